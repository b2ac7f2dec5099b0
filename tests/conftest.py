"""Shared test settings: small, deterministic, CPU-friendly."""

from __future__ import annotations

import os

import pytest
import torch

# Two cores on CI: one intra-op thread keeps tests from fighting each other and the kernel.
torch.set_num_threads(1)
os.environ.setdefault("PLAYGROUND_DEVICE", "cpu")


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
