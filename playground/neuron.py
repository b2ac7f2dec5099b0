"""One artificial neuron: a weighted sum of its inputs, plus a bias, through an activation.

``output = activation(w . x + b)``. This is the "should I go to the concert?" neuron of the
talks: score each factor, multiply by how much it matters, add up, and go if the sum clears a
threshold (the bias is minus that threshold). :class:`Neuron` computes it by hand so that every
number can be shown; ``tests/neurons`` checks it against ``nn.Linear`` plus the activation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from playground.errors import PlaygroundError

#: Slope of leaky ReLU for negative inputs (PyTorch's default).
LEAKY_SLOPE = 0.01


class NeuronError(PlaygroundError):
    """A neuron was given inputs, weights or an activation it cannot use."""


def step(x: Tensor) -> Tensor:
    """Heaviside step: 1 where ``x >= 0``, else 0 (the neuron "fires" at the threshold)."""
    return torch.heaviside(x, torch.ones((), dtype=x.dtype, device=x.device))


def leaky_relu(x: Tensor) -> Tensor:
    """ReLU that lets a small slope (:data:`LEAKY_SLOPE`) through for negative inputs."""
    return F.leaky_relu(x, LEAKY_SLOPE)


def linear(x: Tensor) -> Tensor:
    """The identity: no activation at all."""
    return x


#: Activation functions by the name the UI shows.
ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "step": step,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": leaky_relu,
    "linear": linear,
}

#: Names people type, mapped onto :data:`ACTIVATIONS` keys.
_ALIASES = {"leaky relu": "leaky_relu", "leakyrelu": "leaky_relu", "identity": "linear",
            "none": "linear", "heaviside": "step", "logistic": "sigmoid"}


def activation_name(name: str) -> str:
    """The canonical activation name for ``name`` (case and common aliases forgiven).

    Raises
    ------
    NeuronError
        If the name is not one of :data:`ACTIVATIONS`.
    """
    key = name.strip().lower().replace("-", "_")
    key = _ALIASES.get(key, _ALIASES.get(key.replace("_", " "), key))
    if key not in ACTIVATIONS:
        raise NeuronError(f"Unknown activation {name!r}: choose one of {', '.join(ACTIVATIONS)}.")
    return key


def activation(name: str) -> Callable[[Tensor], Tensor]:
    """The activation function called ``name``."""
    return ACTIVATIONS[activation_name(name)]


class Step(nn.Module):
    """The step activation as a module (PyTorch has none); its gradient is zero almost everywhere."""

    def forward(self, x: Tensor) -> Tensor:
        return step(x)


def module(name: str) -> nn.Module:
    """The PyTorch module for activation ``name`` (``nn.Sigmoid``, ``nn.ReLU``...)."""
    key = activation_name(name)
    factories: dict[str, Callable[[], nn.Module]] = {
        "step": Step, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU,
        "leaky_relu": lambda: nn.LeakyReLU(LEAKY_SLOPE), "linear": nn.Identity,
    }
    return factories[key]()


def _finite(values: Sequence[float], what: str) -> list[float]:
    out = [float(v) for v in values]
    for i, v in enumerate(out):
        if not math.isfinite(v):
            raise NeuronError(f"{what} {i + 1} is {v}: every {what.lower()} must be a finite number.")
    return out


@dataclass
class Neuron:
    """A single neuron with explicit weights, bias and activation.

    Parameters
    ----------
    weights:
        One weight per input (how much each input matters).
    bias:
        Added to the weighted sum; minus the firing threshold.
    activation:
        A name from :data:`ACTIVATIONS`.
    names:
        Optional input names for the written-out formula ("weather", "friends going"...).
    """

    weights: list[float]
    bias: float = 0.0
    activation: str = "step"
    names: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.weights) == 0:
            raise NeuronError("A neuron needs at least one input.")
        self.weights = _finite(self.weights, "Weight")
        (self.bias,) = _finite([self.bias], "Bias")
        self.activation = activation_name(self.activation)
        if not self.names:
            self.names = [f"x{i + 1}" for i in range(len(self.weights))]
        if len(self.names) != len(self.weights):
            raise NeuronError(f"{len(self.names)} input names for {len(self.weights)} weights.")

    def _inputs(self, x: Sequence[float] | Tensor) -> Tensor:
        t = torch.as_tensor(x, dtype=torch.float64)
        if t.shape[-1] != len(self.weights):
            raise NeuronError(f"The neuron has {len(self.weights)} inputs but got {t.shape[-1]} values.")
        if not bool(torch.isfinite(t).all()):
            raise NeuronError("Every input must be a finite number.")
        return t

    def weighted_sum(self, x: Sequence[float] | Tensor) -> Tensor:
        """``z = sum_i w_i x_i + b`` for inputs of shape ``(..., n_inputs)``; returns shape ``(...)``."""
        t = self._inputs(x)
        w = torch.tensor(self.weights, dtype=torch.float64)  # (n,)
        return (t * w).sum(-1) + self.bias  # (...,) one sum per input row

    def __call__(self, x: Sequence[float] | Tensor) -> Tensor:
        """``activation(z)``: the neuron's output for inputs of shape ``(..., n_inputs)``."""
        return activation(self.activation)(self.weighted_sum(x))

    def formula(self, x: Sequence[float]) -> str:
        """The weighted sum written out with live numbers, e.g. ``3 x 1 + 4 x 2 - 25 = -14``."""
        t = self._inputs(x)
        terms = [f"{name} {float(v):g} \u00d7 {w:g}" for name, v, w in zip(self.names, t, self.weights)]
        z = round(float(self.weighted_sum(t)), 12)  # 0.5 - 0.5 shows as 0, not 4e-16
        sign = "+" if self.bias >= 0 else "\u2212"
        return f"{' + '.join(terms)} {sign} {abs(self.bias):g} = {z:.4g}"

    def boundary(self) -> tuple[float, float, float] | None:
        """For the first two inputs, the line ``w1 x1 + w2 x2 + c = 0`` where the sum crosses 0.

        ``c`` is the bias (other inputs are taken as 0). ``None`` if both weights are 0.
        """
        w1, w2 = self.weights[0], self.weights[1] if len(self.weights) > 1 else 0.0
        if w1 == 0.0 and w2 == 0.0:
            return None
        return (w1, w2, self.bias)

    def to_linear(self) -> nn.Linear:
        """An ``nn.Linear(n_inputs, 1)`` holding the same weights and bias (float64)."""
        layer = nn.Linear(len(self.weights), 1, dtype=torch.float64)
        with torch.no_grad():
            layer.weight.copy_(torch.tensor([self.weights], dtype=torch.float64))
            layer.bias.fill_(self.bias)
        return layer


@dataclass(frozen=True)
class Preset:
    """A named neuron with named inputs and starting values: a story to tell with sliders."""

    title: str
    names: tuple[str, ...]
    inputs: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    activation: str
    input_range: tuple[float, float]
    weight_range: tuple[float, float]
    bias_range: tuple[float, float]

    def neuron(self) -> Neuron:
        """The preset as a :class:`Neuron`."""
        return Neuron(list(self.weights), self.bias, self.activation, list(self.names))


#: "Should I go to the concert?": score each factor 0..5, weigh it by how much it matters, and go
#: if the total is above 25 (bias -25), as in Rosie Campbell's "Demystifying deep neural networks".
CONCERT = Preset(
    title="Go to the concert?",
    names=("weather", "friends going", "cheap tickets", "love the band"),
    inputs=(3.0, 4.0, 2.0, 5.0),
    weights=(1.0, 2.0, 3.0, 2.0),
    bias=-25.0,
    activation="step",
    input_range=(0.0, 5.0),
    weight_range=(-5.0, 5.0),
    bias_range=(-50.0, 50.0),
)

FREE = Preset(
    title="Free play",
    names=("x1", "x2"),
    inputs=(0.5, -0.5),
    weights=(1.0, 1.0),
    bias=0.0,
    activation="sigmoid",
    input_range=(-3.0, 3.0),
    weight_range=(-3.0, 3.0),
    bias_range=(-5.0, 5.0),
)

PRESETS: dict[str, Preset] = {"concert": CONCERT, "free": FREE}
