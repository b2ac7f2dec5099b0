"""Algorithmic bias in miniature: "the network sees what it is trained to see".

Two groups of people live in different parts of the plane and follow different rules for the
same yes/no answer. :func:`train_with_share` trains the playground's network on a training set
where group B is a chosen share of the points, then scores it on a balanced test set, group by
group. When B is rare, the network learns A's rule, applies it to everyone, and B's accuracy
falls toward a coin toss while the overall score on the (A-heavy) training data still looks good.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from playground.errors import PlaygroundError
from playground.mlp import Trainer
from playground.mlp_config import NetworkConfig
from playground.toydata import Dataset

GROUPS = ("A", "B")
#: Group centres: A on the left, B on the right.
CENTRES = ((-1.0, 0.0), (1.0, 0.0))


class BiasError(PlaygroundError):
    """A share or size the experiment cannot use."""


def make_group(group: int, n: int, rng: np.random.Generator) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """``n`` points of group 0 (A) or 1 (B) and their true labels.

    A says yes above the rising line through its centre; B says yes below the falling line
    through its own centre: same question, different rule.
    """
    cx, cy = CENTRES[group]
    x = rng.normal(0.0, 0.6, size=(n, 2)) + [cx, cy]
    slope = 0.8 if group == 0 else -0.8
    above = x[:, 1] - cy > slope * (x[:, 0] - cx)
    y = (above if group == 0 else ~above).astype(np.int64)
    return x, y


def make_population(n: int, share_b: float, seed: int) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """``n`` points of which ``round(share_b * n)`` (at least 0) are group B: ``x, y, group``."""
    rng = np.random.default_rng(seed)
    n_b = int(round(share_b * n))
    xa, ya = make_group(0, n - n_b, rng)
    xb, yb = make_group(1, n_b, rng)
    g = np.concatenate([np.zeros(n - n_b, np.int64), np.ones(n_b, np.int64)])
    return np.concatenate([xa, xb]), np.concatenate([ya, yb]), g


@dataclass
class BiasResult:
    """Per-group test accuracy of a network trained with group B at ``share`` of the training data."""

    share: float
    train_counts: dict[str, int]
    accuracy: dict[str, float]
    overall: float
    trainer: Trainer
    x_train: NDArray[np.float64]
    y_train: NDArray[np.int64]
    g_train: NDArray[np.int64]

    @property
    def gap(self) -> float:
        """Accuracy of A minus accuracy of B."""
        return self.accuracy["A"] - self.accuracy["B"]


def train_with_share(share_b: float, n_train: int = 300, n_test: int = 400, steps: int = 300,
                     seed: int = 0, device: str = "auto") -> BiasResult:
    """Train on ``n_train`` points with group B at ``share_b``, test on ``n_test`` per group.

    The network (2 -> 8 -> 8 -> 1, tanh, SGD with momentum, full batch) is the playground's own
    :class:`~playground.mlp.Trainer`.
    """
    if not 0.0 <= share_b <= 0.5:
        raise BiasError(f"The share of group B must be between 0 and 0.5; got {share_b}.")
    if not 20 <= n_train <= 5000:
        raise BiasError(f"The training set must have 20 to 5000 points; got {n_train}.")
    x, y, g = make_population(n_train, share_b, seed)
    rng = np.random.default_rng(seed + 1000)
    tests = [make_group(k, n_test, rng) for k in range(2)]
    xt = np.concatenate([t[0] for t in tests])
    yt = np.concatenate([t[1] for t in tests])
    data = Dataset(x.astype(np.float32), y, xt.astype(np.float32), yt, "classification",
                   ("no", "yes"), f"groups (B = {share_b:.0%})")
    # Full-batch SGD with momentum: 300 steps settle this small problem in a fraction of a second.
    config = NetworkConfig(hidden=(8, 8), activations=("tanh",), lr=0.1, batch_size=n_train,
                           optimizer="momentum", seed=seed)
    trainer = Trainer(data, config, device=device)
    trainer.step(steps)
    p = trainer.predict(xt) > 0.5
    correct = p == yt.astype(bool)
    acc = {name: float(correct[k * n_test:(k + 1) * n_test].mean()) for k, name in enumerate(GROUPS)}
    counts = {name: int((g == k).sum()) for k, name in enumerate(GROUPS)}
    return BiasResult(share_b, counts, acc, float(correct.mean()), trainer, x, y, g)
