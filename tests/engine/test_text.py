from __future__ import annotations

import pytest

from playground.text import UNKNOWN, Vocab


def test_round_trip(vocab: Vocab) -> None:
    text = "To be, or not to be"
    enc = vocab.encode(text)
    assert enc.unknown == 0 and vocab.decode(enc.ids) == text
    assert vocab.decode(enc.tensor()) == text


def test_unknown_characters_are_skipped_and_reported(vocab: Vocab) -> None:
    enc = vocab.encode("be 🙂\x00 שלום be")
    assert vocab.decode(enc.ids) == "be   be"
    assert enc.unknown == 6  # the emoji, NUL and four Hebrew letters
    assert enc.unknown_chars[:2] == ("🙂", "\x00")


def test_unknown_characters_can_be_mapped(vocab: Vocab) -> None:
    enc = vocab.encode("b🙂e", policy="map")
    assert enc.ids[1] == 0 and vocab.decode(enc.ids) == f"b{UNKNOWN}e" and enc.unknown == 1


def test_bad_policy_and_bad_chars() -> None:
    with pytest.raises(ValueError, match="policy"):
        Vocab.from_text("ab").encode("a", policy="drop")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="single characters"):
        Vocab(["ab"])


def test_unknown_is_id_zero_and_never_duplicated() -> None:
    v = Vocab([UNKNOWN, "a", "b", "a"])
    assert v.chars == [UNKNOWN, "a", "b"] and len(v) == 3 and "a" in v
    assert v.to_list() == ["a", "b"] and "3 chars" in repr(v)
