"""A tiny character model for the text-generation tests (the shipped weights may not exist yet)."""

from __future__ import annotations

import pytest
import torch

from playground.model import CharLSTM
from playground.text import Vocab
from tests.textgen.helpers import TEXT


@pytest.fixture(scope="session")
def tiny() -> CharLSTM:
    """A 2-layer, 24-unit CharLSTM trained for 40 steps: its distributions are far from uniform."""
    torch.manual_seed(0)
    model = CharLSTM(Vocab.from_text(TEXT), hidden=24, layers=2, embed=8)
    ids = model.vocab.encode(TEXT).tensor()
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for step in range(40):
        start = (step * 37) % (len(ids) - 65)
        chunk = ids[start : start + 65].unsqueeze(0)
        logits, _ = model(chunk[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits[0], chunk[0, 1:])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()
