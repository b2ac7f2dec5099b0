"""The shipped models: Shakespeare, Python source and folk tunes, and snapshots of learning.

Weights live in ``playground/weights/`` as float16 safetensors with a JSON beside each that
records the recipe (command, seed, held-out documents, hardware, wall time) and the
validation loss on the held-out documents. They load on the CPU in well under a second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import torch

from playground import checkpoint, corpora
from playground.device import pick
from playground.errors import PlaygroundError
from playground.model import CharLSTM

NAMES = ("shakespeare", "python", "folk")


def weights_dir() -> Path:
    """Where the shipped weights are installed."""
    return Path(str(resources.files("playground") / "weights"))


def _check(name: str) -> None:
    if name not in NAMES:
        raise PlaygroundError(f"There is no shipped model called {name!r}; the shipped models are {', '.join(NAMES)}.")


def available() -> list[str]:
    """The shipped names whose weights are present."""
    return [n for n in NAMES if (weights_dir() / f"{n}.safetensors").exists()]


def info(name: str) -> dict[str, Any]:
    """The JSON beside a shipped model: recipe, hardware, wall time, validation loss, sample."""
    _check(name)
    return checkpoint.read_meta(weights_dir() / name)


def load(name: str, device: str | torch.device = "auto") -> CharLSTM:
    """A shipped model by name, in float32, in evaluation mode.

    Raises
    ------
    ValueError
        For a name that is not shipped; the message lists those that are.
    """
    _check(name)
    return checkpoint.load(weights_dir() / name, pick(device))


@cache
def load_cached(name: str) -> CharLSTM:
    """One shared CPU instance per name, for views that only read (sampling, gates)."""
    return load(name, "cpu")


def held_out_text(name: str) -> str:
    """The validation text of a shipped model: the whole documents its run never trained on.

    Rebuilt from the corpus with the same split; the documents are checked against the ones
    the JSON recorded, so a changed corpus cannot silently change the figure.
    """
    meta = info(name)
    split = corpora.split(corpora.load(meta["corpus"]))
    titles = [d.title for d in split.valid]
    if titles != meta["valid_documents"]:
        raise PlaygroundError(
            f"The {name} corpus on this machine differs from the one the model was validated on."
        )
    return split.valid_text


@dataclass(frozen=True)
class Snapshot:
    """One checkpoint of the shipped run, on the way from gibberish to verse."""

    name: str
    step: int
    valid_loss: float
    sample: str
    file: str

    def load(self, device: str | torch.device = "cpu") -> CharLSTM:
        return checkpoint.load(weights_dir() / self.file, pick(device))


def snapshots(name: str) -> list[Snapshot]:
    """The shipped run's snapshots, in step order, the final model last."""
    _check(name)
    out: list[Snapshot] = []
    for path in weights_dir().glob(f"{name}-step*.json"):
        if not re.fullmatch(rf"{re.escape(name)}-step\d+\.json", path.name):
            continue
        meta = checkpoint.read_meta(path)
        out.append(Snapshot(name, int(meta["step"]), float(meta["valid_loss"]), meta["sample"], path.stem))
    final = info(name)
    out.append(Snapshot(name, int(final["steps"]), float(final["valid_loss"]), final["sample"], name))
    return sorted(out, key=lambda s: s.step)
