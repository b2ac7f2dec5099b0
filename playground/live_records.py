"""The pieces of a live run that are plain data: size presets, timeline moments, progress.

:mod:`playground.live` drives the run; this module holds what it records and what it offers,
so that a view can import them without the machinery.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from playground import pretrained


@dataclass(frozen=True)
class Preset:
    """A model size with the batch, sequence length, learning rate and time budget that suit it."""

    name: str
    label: str
    hidden: int
    layers: int
    embed: int
    batch_size: int
    seq_len: int
    lr: float
    minutes: float
    gpu: bool  #: too slow to watch on a CPU


PRESETS: dict[str, Preset] = {p.name: p for p in (
    # On 2 CPU cores "tiny" writes spaced, word-like text within a minute or two and "small" real words.
    Preset("tiny", "Tiny: 1 x 64 (CPU, words in ~2 min)", 64, 1, 32, 32, 64, 1e-2, 2.0, False),
    Preset("small", "Small: 1 x 128 (CPU)", 128, 1, 48, 32, 64, 6e-3, 4.0, False),
    Preset("medium", "Medium: 2 x 256 (GPU)", 256, 2, 64, 64, 128, 3e-3, 5.0, True),
    Preset("large", "Large: 2 x 512 (GPU)", 512, 2, 64, 128, 128, 2e-3, 10.0, True),
    Preset("xl", "XL: 3 x 768 (GPU)", 768, 3, 96, 128, 256, 1.5e-3, 15.0, True),
)}
STATES = ("idle", "running", "paused", "stopping", "finished", "time", "stopped", "diverged", "failed")


def presets_for(device: torch.device, presets: dict[str, Preset] | None = None) -> list[str]:
    """Preset names worth offering on ``device``: all of them on a GPU, the small ones on a CPU."""
    return [n for n, p in (presets or PRESETS).items() if device.type != "cpu" or not p.gpu]


@dataclass(frozen=True)
class Moment:
    """One point of the timeline: what the model wrote at ``step``, and how it was doing."""

    step: int
    text: str
    seconds: float | None  #: training seconds so far (None for shipped snapshots)
    train_loss: float | None
    val_loss: float | None


@dataclass(frozen=True)
class Progress:
    """A consistent copy of a session's state, for a view to draw from any thread."""

    state: str
    message: str
    device: str
    step: int
    chars_per_second: float
    steps: tuple[tuple[int, float], ...]  #: (step, training loss) of every step
    evals: tuple[tuple[int, float, float], ...]  #: (step, training loss, validation loss)
    timeline: tuple[Moment, ...]


def shipped_timeline(name: str) -> list[Moment]:
    """The shipped run's learning snapshots as a timeline (validation loss, the sample it wrote)."""
    return [Moment(s.step, s.sample, None, None, s.valid_loss) for s in pretrained.snapshots(name)]
