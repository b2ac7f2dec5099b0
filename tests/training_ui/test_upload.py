"""The upload widget driven like a user: files set on FileUpload.value as ipywidgets 8 does."""

from __future__ import annotations

import codecs
import datetime as dt
import random

import pytest

from playground import corpora, live_corpus
from widgets.upload import UploadWidget

TEXT = "Shall I compare thee to a summer’s day? Thou art more lovely and more temperate. " * 12


def upload(widget: UploadWidget, *files: tuple[str, bytes], size: int | None = None) -> None:
    """Set ``FileUpload.value`` as ipywidgets 8 delivers it (a tuple of dicts, content a memoryview)."""
    widget.files.value = tuple(
        {"name": name, "type": "text/plain", "size": len(data) if size is None else size,
         "content": memoryview(data), "last_modified": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}
        for name, data in files
    )


@pytest.fixture()
def widget() -> UploadWidget:
    w = UploadWidget()
    w.paste.value = "what I typed before"
    return w


def refused(widget: UploadWidget, *phrases: str) -> None:
    assert widget.notice.kind == "error"
    for phrase in phrases:
        assert phrase in widget.notice.text
    assert widget.corpus is None
    assert widget.paste.value == "what I typed before"  # nothing typed is lost


def test_random_bytes_are_not_text(widget: UploadWidget) -> None:
    noise = random.Random(7).randbytes(4000)
    upload(widget, ("noise.bin", noise))
    refused(widget, "noise.bin", "does not look like text")


def test_utf16_with_a_byte_order_mark_is_read(widget: UploadWidget) -> None:
    got: list[corpora.Corpus] = []
    widget.on_corpus(got.append)
    upload(widget, ("sonnet.txt", TEXT.encode("utf-16")))
    assert widget.notice.kind == ""
    assert widget.corpus is not None and widget.corpus.documents[0].text == TEXT
    assert widget.summary.encodings == ("utf-16",)
    assert "utf-16" in widget.info.value and f"{len(TEXT):,} characters" in widget.info.value
    assert got == [widget.corpus]


def test_utf16_without_a_byte_order_mark_is_refused_by_the_stated_policy(widget: UploadWidget) -> None:
    data = TEXT.encode("utf-16-le")
    assert not data.startswith(codecs.BOM_UTF16_LE)
    upload(widget, ("no-bom.txt", data))
    refused(widget, "no-bom.txt", "does not look like text")


def test_an_empty_file_names_the_minimum(widget: UploadWidget) -> None:
    upload(widget, ("empty.txt", b""))
    refused(widget, "empty.txt", "empty", f"{corpora.MIN_CHARS:,}")


def test_an_over_limit_file_is_refused(widget: UploadWidget) -> None:
    upload(widget, ("big.txt", b"a" * (corpora.MAX_UPLOAD_BYTES + 1)))
    refused(widget, "big.txt", "the limit is 5 MB")


def test_the_size_is_checked_before_decoding(widget: UploadWidget, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_decoding(data: bytes) -> tuple[str, str]:
        raise AssertionError("decoded an over-limit file")

    monkeypatch.setattr(corpora, "decode", no_decoding)
    upload(widget, ("declared-big.txt", b"short"), size=6 * 2**20)  # the browser's declared size
    refused(widget, "declared-big.txt", "6.0 MB", "the limit is 5 MB")


def test_too_short_text_names_the_minimum_and_keeps_the_paste(widget: UploadWidget) -> None:
    widget.paste.value = "too short to learn from"
    widget.use_paste.click()
    assert widget.notice.kind == "error" and "at least 500" in widget.notice.text
    assert widget.paste.value == "too short to learn from" and widget.corpus is None


def test_a_good_file_after_a_refusal_clears_the_error(widget: UploadWidget) -> None:
    upload(widget, ("empty.txt", b""))
    assert widget.notice.kind == "error"
    upload(widget, ("a.txt", TEXT.encode()), ("b.txt", ("Second file. " * 60).encode("cp1252")))
    assert widget.notice.kind == ""
    corpus = widget.corpus
    assert corpus is not None and [d.title for d in corpus.documents] == ["a.txt", "b.txt"]
    s = widget.summary
    assert s.documents == 2 and s.encodings == ("utf-8", "utf-8")
    split = corpora.split(corpus)
    assert s.train_characters == len(split.train_text) and s.valid_characters == len(split.valid_text)
    assert len(split.train) == 1 and len(split.valid) == 1  # a whole file is held out


def test_a_refused_file_keeps_the_last_good_corpus(widget: UploadWidget) -> None:
    upload(widget, ("a.txt", TEXT.encode()))
    good = widget.corpus
    upload(widget, ("noise.bin", random.Random(1).randbytes(3000)))
    assert widget.notice.kind == "error" and widget.corpus is good


def test_pasted_text_is_summarised(widget: UploadWidget) -> None:
    widget.paste.value = TEXT
    widget.use_paste.click()
    assert widget.notice.kind == "" and widget.corpus is not None
    assert widget.summary.characters == len(TEXT) and widget.summary.vocabulary == len(set(TEXT))
    assert widget.paste.value == TEXT


def test_the_encoding_policy_is_stated(widget: UploadWidget) -> None:
    assert live_corpus.ENCODING_POLICY in widget.policy.value
    assert "UTF-16" in live_corpus.ENCODING_POLICY and "Windows-1252" in live_corpus.ENCODING_POLICY
