from __future__ import annotations

import codecs
import os

import pytest

from playground import corpora
from playground.errors import TextInputError


def test_shakespeare_is_whole_plays_in_plain_text() -> None:
    c = corpora.shakespeare()
    assert len(c) == 38
    hamlet = next(d for d in c.documents if d.title == "hamlet")
    assert "HAMLET:\nTo be, or not to be" in hamlet.text
    assert "**" not in c.text and "  \n" not in c.text


def test_split_holds_out_whole_documents_stably() -> None:
    c = corpora.shakespeare()
    s1, s2 = corpora.split(c), corpora.split(c)
    assert [d.title for d in s1.valid] == [d.title for d in s2.valid]
    train, valid = {d.title for d in s1.train}, {d.title for d in s1.valid}
    assert train.isdisjoint(valid) and len(train) + len(valid) == len(c)
    share = len(s1.valid_text) / len(c.text)
    assert 0.05 < share < 0.2


def test_python_and_folk_corpora() -> None:
    py = corpora.python_source()
    assert len(py) > 100 and all(d.title.endswith(".py") for d in py.documents)
    assert not any("/test" in d.title or d.title.startswith("test") for d in py.documents)
    folk = corpora.folk()
    assert len(folk) > 1000
    for tune in folk.documents[:50]:
        lines = tune.text.splitlines()
        assert lines[0].startswith("X:") and any(x.startswith("K:") for x in lines)
        assert not any(x.startswith("Z:") for x in lines)
    with pytest.raises(ValueError, match="shakespeare, python, folk"):
        corpora.load("klingon")


def test_single_text_is_split_at_a_paragraph() -> None:
    text = "\n\n".join(f"Paragraph {i} " + "words " * 20 for i in range(20))
    s = corpora.split(corpora.from_user(text))
    assert s.train_text.strip() and s.valid_text.strip()
    assert s.valid_text.startswith("Paragraph")
    assert abs(len(s.valid_text) / len(text) - 0.1) < 0.08


GOOD = "A line of honest text.\n" * 40


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"", "empty"),
        ("   \n\t ", "empty"),
        ("too short", "at least 500"),
        (os.urandom(4000), "does not look like text"),
        (b"\xff" * (corpora.MAX_UPLOAD_BYTES + 1), "limit is 5 MB"),
        ("x" * (corpora.MAX_UPLOAD_BYTES + 1), "5 MB limit"),
        ("".join(chr(0x4E00 + i) for i in range(400)) * 2, "at most 300"),
        (12345, "str or bytes"),
    ],
)
def test_user_text_refusals(data: object, needle: str) -> None:
    with pytest.raises(TextInputError, match=needle):
        corpora.from_user(data)  # type: ignore[arg-type]


def test_user_text_encodings() -> None:
    assert corpora.from_user(GOOD.encode("utf-8")).text.strip() == GOOD.strip()
    utf16 = codecs.BOM_UTF16_LE + ("Ünïcödé " + GOOD).encode("utf-16-le")
    assert corpora.decode(utf16) == ("Ünïcödé " + GOOD, "utf-16")
    assert corpora.from_user(utf16).documents[0].text.lstrip("\ufeff").startswith("Ünïcödé")
    latin = ("café " + GOOD).encode("cp1252")
    text, enc = corpora.decode(latin)
    assert enc == "cp1252" and text.startswith("café")
    assert corpora.from_user(GOOD.replace("\n", "\r\n")).text.count("\r") == 0


def test_several_files_make_several_documents() -> None:
    c = corpora.from_files([("a.txt", GOOD.encode()), ("b.txt", (GOOD * 2).encode())])
    assert [d.title for d in c.documents] == ["a.txt", "b.txt"]
    with pytest.raises(TextInputError, match="^c.txt: This file is empty"):
        corpora.from_files([("a.txt", GOOD.encode()), ("c.txt", b"")])
    with pytest.raises(TextInputError, match="No files"):
        corpora.from_files([])
