"""The neuron against PyTorch: nn.Linear plus the activation, every activation."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from playground import neuron as eng

ORACLES = {
    "step": lambda z: (z >= 0).to(z.dtype),
    "sigmoid": nn.Sigmoid(),
    "tanh": nn.Tanh(),
    "relu": nn.ReLU(),
    "leaky_relu": nn.LeakyReLU(0.01),
    "linear": nn.Identity(),
}


@pytest.mark.parametrize("name", list(eng.ACTIVATIONS))
@pytest.mark.parametrize("n_inputs", [2, 3, 5])
def test_neuron_equals_linear_plus_activation(name: str, n_inputs: int) -> None:
    g = torch.Generator().manual_seed(n_inputs)
    w = torch.randn(n_inputs, generator=g, dtype=torch.float64)
    b = float(torch.randn(1, generator=g))
    x = torch.randn(64, n_inputs, generator=g, dtype=torch.float64) * 3
    cell = eng.Neuron(w.tolist(), b, name)
    layer = nn.Linear(n_inputs, 1, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(w[None])
        layer.bias.fill_(b)
    expected = ORACLES[name](layer(x))[:, 0]
    torch.testing.assert_close(cell(x), expected)
    torch.testing.assert_close(cell.to_linear()(x)[:, 0], layer(x)[:, 0])
    torch.testing.assert_close(eng.module(name)(layer(x)), ORACLES[name](layer(x)))


def test_leaky_relu_matches_functional_and_step_fires_at_threshold() -> None:
    z = torch.tensor([-2.0, -0.0, 0.0, 1.5])
    torch.testing.assert_close(eng.leaky_relu(z), F.leaky_relu(z, 0.01))
    assert eng.step(z).tolist() == [0.0, 1.0, 1.0, 1.0]


def test_concert_preset_is_the_talks_rule() -> None:
    p = eng.CONCERT
    cell = p.neuron()
    total = sum(x * w for x, w in zip(p.inputs, p.weights))
    assert float(cell.weighted_sum(p.inputs)) == pytest.approx(total - 25)
    assert float(cell(p.inputs)) == float(total > 25)
    worse = list(p.inputs)
    worse[1] = 0.0  # no friends going
    assert float(cell(worse)) == 0.0
    text = cell.formula(p.inputs)
    assert "weather 3 \u00d7 1" in text and text.endswith(f"= {total - 25:g}")


def test_aliases_and_errors() -> None:
    assert eng.activation_name("Leaky ReLU") == "leaky_relu"
    with pytest.raises(eng.NeuronError, match="Unknown activation"):
        eng.activation_name("swish")
    with pytest.raises(eng.NeuronError, match="finite"):
        eng.Neuron([1.0, math.nan])
    with pytest.raises(eng.NeuronError, match="at least one input"):
        eng.Neuron([])
    cell = eng.Neuron([1.0, 2.0])
    with pytest.raises(eng.NeuronError, match="2 inputs but got 3"):
        cell([1.0, 2.0, 3.0])
    with pytest.raises(eng.NeuronError, match="finite"):
        cell([math.inf, 0.0])
    assert issubclass(eng.NeuronError, ValueError)
