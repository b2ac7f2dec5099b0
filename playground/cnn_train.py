"""Training the digit CNN in seconds, emitting one event per epoch (views subscribe, see minGPT).

The recipe (seeded, full recipe written into the JSON beside the weights):

* scikit-learn's 1797 digits, ink scaled to ``[0, 1]``; a stratified 80/20 train/validation split;
* each epoch, every training digit shifted by up to one pixel (a drawn digit is never centred
  exactly like the data);
* plus "not a digit" pictures (blank, speckle and flat grey noise) whose target is the uniform
  distribution over the ten classes, so a blank or noisy drawing gets an unsure answer;
* Adam with a cosine learning-rate decay, cross-entropy with soft targets, mini-batches.

Rebuild the shipped weights with ``python -m playground.cnn_train``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from playground import device as devices
from playground.cnn import WEIGHTS, CNNError, DigitsCNN


@dataclass(frozen=True)
class Recipe:
    """Every setting that decides the trained weights."""

    channels: tuple[int, int] = (8, 16)
    epochs: int = 40
    batch_size: int = 64
    lr: float = 0.01
    noise_fraction: float = 0.15  # "not a digit" pictures per training digit
    val_fraction: float = 0.2
    seed: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.epochs <= 500:
            raise CNNError(f"Epochs must be between 1 and 500, not {self.epochs}.")
        if not 0 < self.lr <= 1:
            raise CNNError(f"The learning rate must be in (0, 1], not {self.lr}.")


@dataclass
class EpochEvent:
    """Sent after each epoch: mean training loss and validation accuracy so far."""

    epoch: int
    epochs: int
    loss: float
    val_accuracy: float
    seconds: float


@dataclass
class History:
    """Per-epoch curves and the final validation accuracy."""

    loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    seconds: float = 0.0


def _data(recipe: Recipe) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[:, None]  # (N, 1, 8, 8) in [0, 1]
    xtr, xva, ytr, yva = train_test_split(
        x, d.target, test_size=recipe.val_fraction, random_state=recipe.seed, stratify=d.target
    )
    return torch.from_numpy(xtr), torch.from_numpy(ytr), torch.from_numpy(xva), torch.from_numpy(yva)


def not_digits(n: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` pictures that are no digit: blank, speckled (random ink at 32x32, block-averaged) or flat noise."""
    kind = torch.randint(0, 3, (n,), generator=generator)
    density = torch.rand(n, 1, 1, 1, generator=generator)
    speckle = (torch.rand(n, 1, 32, 32, generator=generator) < density).float()
    speckle = F.avg_pool2d(speckle, 4)  # (n, 1, 8, 8), like prepare_drawing's 4x4 blocks
    flat = torch.rand(n, 1, 8, 8, generator=generator) * density
    blank = torch.rand(n, 1, 8, 8, generator=generator) * 0.05
    return torch.where((kind == 0)[:, None, None, None], blank, torch.where((kind == 1)[:, None, None, None], speckle, flat))


def shift(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Each picture moved by -1, 0 or +1 pixel in each direction, filling with zeros."""
    padded = F.pad(x, (1, 1, 1, 1))  # (B, 1, 10, 10)
    dy, dx = torch.randint(0, 3, (2, x.shape[0]), generator=generator)
    rows = (dy[:, None] + torch.arange(8))[:, :, None]  # (B, 8, 1)
    cols = (dx[:, None] + torch.arange(8))[:, None, :]  # (B, 1, 8)
    b = torch.arange(x.shape[0])[:, None, None]  # (B, 1, 1)
    return padded[:, 0][b, rows, cols][:, None]  # (B, 1, 8, 8)


@torch.no_grad()
def accuracy(model: DigitsCNN, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of ``x`` classified as ``y``."""
    dev = next(model.parameters()).device
    return float((model(x.to(dev)).argmax(-1).cpu() == y).float().mean())


def train(
    recipe: Recipe = Recipe(),
    device: str | torch.device | None = "auto",
    callbacks: list[Callable[[EpochEvent], None]] | None = None,
) -> tuple[DigitsCNN, History]:
    """Train a fresh :class:`DigitsCNN` by ``recipe``; call each callback after every epoch."""
    dev = devices.pick(device)
    torch.manual_seed(recipe.seed)
    g = torch.Generator().manual_seed(recipe.seed)
    xtr, ytr, xva, yva = _data(recipe)
    model = DigitsCNN(recipe.channels).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=recipe.epochs)  # lr -> 0 at the end
    n_noise = int(len(xtr) * recipe.noise_fraction)
    uniform = torch.full((n_noise, 10), 0.1)
    history, start = History(), time.perf_counter()
    for epoch in range(1, recipe.epochs + 1):
        model.train()
        x = torch.cat([shift(xtr, g), not_digits(n_noise, g)])  # (N + n, 1, 8, 8)
        target = torch.cat([F.one_hot(ytr, 10).float(), uniform])  # soft targets (N + n, 10)
        order = torch.randperm(len(x), generator=g)
        total = 0.0
        for i in range(0, len(x), recipe.batch_size):
            idx = order[i : i + recipe.batch_size]
            loss = F.cross_entropy(model(x[idx].to(dev)), target[idx].to(dev))
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]  # torch leaves Tensor.backward untyped
            opt.step()
            total += float(loss.detach()) * len(idx)
        schedule.step()
        model.eval()
        history.loss.append(total / len(x))
        history.val_accuracy.append(accuracy(model, xva, yva))
        history.seconds = time.perf_counter() - start
        event = EpochEvent(epoch, recipe.epochs, history.loss[-1], history.val_accuracy[-1], history.seconds)
        for cb in callbacks or []:
            cb(event)
    return model.eval(), history


def save(model: DigitsCNN, recipe: Recipe, history: History, path: Path = WEIGHTS) -> None:
    """Write ``path`` (safetensors, no pickle) and the JSON beside it with recipe and history."""
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}, str(path))
    meta = {
        "model": repr(model),
        "recipe": asdict(recipe),
        "script": "python -m playground.cnn_train",
        "history": {"loss": history.loss, "val_accuracy": history.val_accuracy},
        "val_accuracy": history.val_accuracy[-1],
        "train_seconds": round(history.seconds, 2),
        "torch": torch.__version__,
    }
    path.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")


def main(argv: list[str] | None = None) -> None:
    """Train by the default recipe and write the shipped weights."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    parser.add_argument("--epochs", type=int, default=Recipe.epochs)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (default 1: the shipped file is rebuilt bit for bit only so)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    recipe = Recipe(epochs=args.epochs)
    model, history = train(recipe, args.device, [lambda e: print(f"epoch {e.epoch:3d}  loss {e.loss:.4f}  val {e.val_accuracy:.3f}")])
    save(model, recipe, history, args.out)
    print(f"wrote {args.out} ({history.val_accuracy[-1]:.3f} validation accuracy, {history.seconds:.1f} s)")


if __name__ == "__main__":
    main()
