"""What does the network dream? Activation maximisation on the digit CNN.

Start from faint random ink and change the *input picture* (the weights stay fixed) by gradient
ascent so that one chosen thing grows: a class's logit, or the mean activation of one filter of
a convolution layer. It is the small cousin of DeepDream. The picture is kept in ``[0, 1]`` by
writing it as ``sigmoid(z)`` and optimising ``z``; an L2 and a total-variation penalty keep it
from filling every pixel with noise. :func:`dream` yields the picture as it evolves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray

from playground.cnn import CONV_LAYERS, CNNError, DigitsCNN


@dataclass(frozen=True)
class Target:
    """What to excite: ``layer`` is ``"class"``, ``"conv1"`` or ``"conv2"``; ``index`` the class or filter."""

    layer: str
    index: int

    def check(self, model: DigitsCNN) -> None:
        """Raise :class:`CNNError` if ``model`` has no such class or filter."""
        if self.layer == "class":
            count = 10
        elif self.layer in CONV_LAYERS:
            count = getattr(model, self.layer).out_channels
        else:
            raise CNNError(f"Dream about a class, conv1 or conv2, not {self.layer!r}.")
        if not 0 <= self.index < count:
            raise CNNError(f"{self.layer} has {count} choices: pick 0 to {count - 1}, not {self.index}.")

    def __str__(self) -> str:
        return f"digit {self.index}" if self.layer == "class" else f"{self.layer} filter {self.index}"


def targets(model: DigitsCNN) -> list[Target]:
    """Every class, then every filter of every convolution layer."""
    out = [Target("class", i) for i in range(10)]
    for layer in CONV_LAYERS:
        out += [Target(layer, i) for i in range(getattr(model, layer).out_channels)]
    return out


@dataclass(frozen=True)
class DreamStep:
    """The picture after ``step`` ascent steps, the objective it reached and the class probabilities."""

    step: int
    image: NDArray[np.float32]  # (8, 8) in [0, 1]
    activation: float
    probabilities: NDArray[np.float32]  # (10,)


def objective(model: DigitsCNN, x: torch.Tensor, target: Target) -> torch.Tensor:
    """The quantity to maximise for ``x`` ``(1, 1, 8, 8)``: a logit or a filter's mean activation."""
    if target.layer == "class":
        logit: torch.Tensor = model(x)[0, target.index]
        return logit
    return model.pre_activation(x, target.layer)[0, target.index].mean()


def dream(
    model: DigitsCNN,
    target: Target,
    steps: int = 60,
    lr: float = 0.1,
    every: int = 5,
    l2: float = 0.02,
    tv: float = 0.05,
    seed: int = 0,
) -> Iterator[DreamStep]:
    """Gradient ascent on the input; yields a :class:`DreamStep` at step 0 and every ``every`` steps."""
    target.check(model)
    if not 1 <= steps <= 2000:
        raise CNNError(f"Steps must be between 1 and 2000, not {steps}.")
    dev = next(model.parameters()).device
    g = torch.Generator().manual_seed(seed)
    z = (torch.randn(1, 1, 8, 8, generator=g) * 0.1 - 2.0).to(dev).requires_grad_(True)  # faint ink
    opt = torch.optim.Adam([z], lr=lr)
    for p in model.parameters():
        p.requires_grad_(False)
    try:
        for step in range(steps + 1):
            x = torch.sigmoid(z)  # (1, 1, 8, 8) in (0, 1)
            goal = objective(model, x, target)
            if step % every == 0 or step == steps:
                with torch.no_grad():
                    probs = torch.softmax(model(x)[0], -1)
                yield DreamStep(step, x[0, 0].detach().cpu().numpy(), float(goal.detach()), probs.cpu().numpy())
            if step == steps:
                break
            smooth = (x[..., 1:, :] - x[..., :-1, :]).abs().mean() + (x[..., :, 1:] - x[..., :, :-1]).abs().mean()
            loss = -goal + l2 * (x**2).sum() + tv * smooth  # ascend the goal, keep the picture sparse and smooth
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]  # torch leaves Tensor.backward untyped
            opt.step()
    finally:
        for p in model.parameters():
            p.requires_grad_(True)
