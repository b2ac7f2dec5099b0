"""Fixtures of the live-training tests: small texts and a tiny preset that trains in milliseconds."""

from __future__ import annotations

from pathlib import Path

import pytest

from playground import corpora, live

ROOT = Path(__file__).resolve().parents[2]

#: hidden 16, batch 4, sequences of 16: a step takes a few milliseconds on one thread.
TINY = live.Preset("test-tiny", "Test: 1 x 16", hidden=16, layers=1, embed=8, batch_size=4, seq_len=16,
                   lr=3e-3, minutes=0.5, gpu=False)


def source_text(*names: str) -> str:
    return "\n".join((ROOT / "playground" / n).read_text(encoding="utf-8") for n in names)


@pytest.fixture(scope="session")
def code_corpus() -> corpora.Corpus:
    """Python source: a few of the engine's own files, one document each."""
    docs = [corpora.Document(n, (ROOT / "playground" / n).read_text(encoding="utf-8"))
            for n in ("training.py", "model.py", "corpora.py", "sampling.py")]
    return corpora.Corpus("user", tuple(docs))


@pytest.fixture(scope="session")
def verse_corpus() -> corpora.Corpus:
    """Upper-case verse-like text: a vocabulary quite unlike the source code's."""
    line = "O ROMEO, ROMEO, WHEREFORE ART THOU ROMEO? DENY THY FATHER AND REFUSE THY NAME.\n"
    return corpora.from_user(line * 40, "verse")


@pytest.fixture()
def session(code_corpus: corpora.Corpus):
    """A tiny CPU session that samples and validates often; always stopped afterwards."""
    s = live.Session(code_corpus, TINY, device="cpu", sample_seconds=0.05, eval_seconds=0.05,
                     sample_len=40, eval_chars=500)
    yield s
    s.stop(wait=10)
    assert not s.running
