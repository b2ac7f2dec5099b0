from __future__ import annotations

import pytest
import torch

from playground.model import CharLSTM
from playground.text import Vocab

TINY_TEXT = (
    "To be, or not to be, that is the question:\n"
    "Whether 'tis nobler in the mind to suffer\n"
    "The slings and arrows of outrageous fortune,\n"
    "Or to take arms against a sea of troubles\n"
    "And by opposing end them. To die: to sleep;\n"
) * 8


@pytest.fixture
def vocab() -> Vocab:
    return Vocab.from_text(TINY_TEXT)


@pytest.fixture
def tiny_model(vocab: Vocab) -> CharLSTM:
    torch.manual_seed(0)
    return CharLSTM(vocab, hidden=24, layers=2, embed=8).eval()
