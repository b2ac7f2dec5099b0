"""Surfaces, "how wrong was that?", the exported code, the config round trip and play/pause."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from playground import toydata
from playground.mlp import Trainer
from playground.mlp_code import to_code
from playground.mlp_config import ConfigError, NetworkConfig, PlaygroundConfig
from playground.mlp_inspect import (
    InspectError,
    connections,
    decision_surface,
    explain_point,
    grid,
    neuron_surfaces,
)
from playground.mlp_loop import Player


@pytest.fixture(scope="module")
def trained() -> Trainer:
    t = Trainer(toydata.make("circles", n=200), NetworkConfig(hidden=(6, 3), lr=0.1), device="cpu")
    t.step(40)
    return t


def test_decision_surface_is_the_models_probability_on_the_grid(trained: Trainer) -> None:
    s = decision_surface(trained, 100)
    assert s.z.shape == (100, 100)
    _, _, pts = grid(trained.data.bounds(), 100)
    np.testing.assert_allclose(s.z.ravel(), trained.predict(pts), atol=1e-5)
    np.testing.assert_allclose(s.xs, np.linspace(*trained.data.bounds()[:2], 100), atol=1e-5)
    with pytest.raises(InspectError, match="resolution"):
        decision_surface(trained, 1)


def test_every_hidden_neuron_has_its_own_surface(trained: Trainer) -> None:
    surfaces = neuron_surfaces(trained, 12)
    assert [len(layer) for layer in surfaces] == [6, 3]
    _, _, pts = grid(trained.data.bounds(), 12)
    h1 = torch.tanh(trained.model.linears[0](torch.as_tensor(pts))).detach().numpy()
    np.testing.assert_allclose(surfaces[0][4].ravel(), h1[:, 4], atol=1e-5)
    with_out = neuron_surfaces(trained, 12, output=True)
    assert len(with_out) == 3 and len(with_out[-1]) == 1
    assert len(connections(trained)) == 2 * 6 + 6 * 3 + 3 * 1


def test_how_wrong_was_that_gives_backprop_gradients(trained: Trainer) -> None:
    e = explain_point(trained, 5)
    model = trained.model
    x, y = trained.x_train[5:6], trained.y_train[5:6].float()
    model.zero_grad()
    loss = F.binary_cross_entropy_with_logits(model(x)[:, 0], y)
    loss.backward()
    assert e.loss == pytest.approx(float(loss.detach()))
    for layer, g, gb, upd in zip(model.linears, e.grads, e.bias_grads, e.updates):
        np.testing.assert_allclose(g, layer.weight.grad.numpy(), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(gb, layer.bias.grad.numpy(), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(upd, -trained.config.lr * g, rtol=1e-6)
    model.zero_grad(set_to_none=True)
    assert [a.shape for a in e.activations] == [(2,), (6,), (3,), (1,)]
    assert e.prediction == pytest.approx(float(torch.sigmoid(model(x).detach())[0, 0]))
    with pytest.raises(InspectError, match="no train point 999"):
        explain_point(trained, 999)


@pytest.mark.parametrize("kind, cfg", [
    ("moons", NetworkConfig(hidden=(5, 4), activations=("relu", "tanh"), lr=0.05, batch_size=8, seed=2)),
    ("blobs", NetworkConfig(hidden=(6,), activations=("leaky_relu",), lr=0.01, optimizer="adam", l2=0.001)),
    ("regression", NetworkConfig(hidden=(), lr=0.05, optimizer="momentum", batch_size=300)),
])
def test_exported_code_runs_and_reproduces_the_playground(kind: str, cfg: NetworkConfig) -> None:
    data = toydata.make(kind, n=150, noise=0.2, seed=1)
    t = Trainer(data, cfg, device="cpu")
    t.step(30)
    code = to_code(t.config, data.spec, data.task, data.n_outputs, steps=30)
    namespace: dict = {}
    exec(compile(code, "exported.py", "exec"), namespace)
    np.testing.assert_array_equal(namespace["X_train"].numpy(), data.x_train)
    exported = list(namespace["model"].parameters())
    assert len(exported) == len(list(t.model.parameters()))
    for a, b in zip(exported, t.model.parameters()):
        torch.testing.assert_close(a, b)


def test_exported_code_for_own_data_says_where_to_put_it() -> None:
    code = to_code(NetworkConfig(activations=("step",)), None)
    assert "X, y = ...  # fill in" in code and "class Step(nn.Module)" in code
    compile(code, "exported.py", "exec")


def test_config_round_trips_through_dict_and_query() -> None:
    cfg = PlaygroundConfig(toydata.DataSpec("spiral", 500, 0.25, 0.2, 9),
                           NetworkConfig(hidden=(32,) * 8, activations=("relu",) * 7 + ("tanh",),
                                         lr=0.003, batch_size=32, l2=0.001, optimizer="adam", seed=5)).validate()
    assert PlaygroundConfig.from_dict(cfg.to_dict()) == cfg
    q = cfg.to_query()
    assert "hidden=32,32,32" in q and "act=relu,relu" in q and "kind=spiral" in q
    assert PlaygroundConfig.from_query("?" + q) == cfg
    linear = PlaygroundConfig(network=NetworkConfig(hidden=())).validate()
    assert PlaygroundConfig.from_query(linear.to_query()) == linear
    assert PlaygroundConfig.from_query("lr=0.1").network.lr == 0.1  # the rest are defaults
    with pytest.raises(ConfigError, match="learning rate of 1000"):
        PlaygroundConfig.from_query("lr=1000")
    with pytest.raises(ValueError, match="not a number|wrong type"):
        PlaygroundConfig.from_query("batch=ten")
    with pytest.raises(ConfigError, match="Unknown network setting"):
        PlaygroundConfig.from_dict({"network": {"depth": 3}})


def test_player_ticks_on_the_callers_thread_for_tests() -> None:
    t = Trainer(toydata.make("xor", n=100), device="cpu")
    seen: list[int] = []
    p = Player(t, on_tick=lambda tr: seen.append(tr.steps), steps_per_tick=3)
    assert p.tick() and p.tick()
    assert seen == [3, 6] and t.steps == 6


def test_player_runs_in_the_background_and_pauses() -> None:
    t = Trainer(toydata.make("xor", n=100), device="cpu")
    ticked = threading.Event()
    threads: set[str] = set()

    def on_tick(_t: Trainer) -> None:
        threads.add(threading.current_thread().name)
        ticked.set()

    stopped: list[str] = []
    p = Player(t, on_tick=on_tick, on_stop=stopped.append, steps_per_tick=2, min_interval=0.0)
    p.play()
    assert ticked.wait(10)
    assert threads == {"playground-player"}
    p.pause()
    assert not p.playing and stopped == ["paused"]
    steps = t.steps
    assert steps > 0 and steps % 2 == 0
    p.play(max_ticks=3)
    p.join(10)
    assert t.steps == steps + 6 and stopped == ["paused", "done"]


def test_player_stops_on_divergence_with_the_message() -> None:
    t = Trainer(toydata.make("xor", n=100), device="cpu")
    with torch.no_grad():
        t.model.linears[1].bias.fill_(math.inf)
    stopped: list[str] = []
    p = Player(t, on_stop=stopped.append, min_interval=0.0)
    p.play()
    p.join(10)
    assert not p.playing
    assert stopped and stopped[0].startswith("diverged: Training diverged at step 5")
