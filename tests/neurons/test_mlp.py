"""The playground's trainer: it learns, one step is one optimiser step, and it stops when it blows up."""

from __future__ import annotations

import copy
import math

import pytest
import torch
import torch.nn.functional as F

from playground import toydata
from playground.device import pick
from playground.mlp import MLP, DivergedError, Trainer, build_model
from playground.mlp_config import ConfigError, NetworkConfig


@pytest.fixture(scope="module")
def moons() -> toydata.Dataset:
    return toydata.make("moons", n=300, noise=0.1)


def test_a_few_steps_lower_the_loss_on_moons(moons: toydata.Dataset) -> None:
    t = Trainer(moons, NetworkConfig(hidden=(8, 8), lr=0.1, batch_size=16), device="cpu")
    before = t.history.points[-1]
    t.step(150)
    after = t.history.points[-1]
    assert after.train_loss < 0.8 * before.train_loss
    assert after.test_loss < before.test_loss
    assert after.test_accuracy > before.test_accuracy
    assert t.steps == 150 and len(t.history.points) == 2


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "rmsprop"])
@pytest.mark.parametrize("l2", [0.0, 0.01])
def test_single_step_equals_one_optimiser_step(moons: toydata.Dataset, optimizer: str, l2: float) -> None:
    cfg = NetworkConfig(hidden=(5, 3), activations=("relu", "tanh"), lr=0.05, batch_size=12,
                        l2=l2, optimizer=optimizer, seed=4)
    t = Trainer(moons, cfg, device="cpu")
    ref = copy.deepcopy(t.model)
    opts = {"sgd": lambda p: torch.optim.SGD(p, lr=0.05),
            "momentum": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
            "adam": lambda p: torch.optim.Adam(p, lr=0.05),
            "rmsprop": lambda p: torch.optim.RMSprop(p, lr=0.05)}
    opt = opts[optimizer](ref.parameters())
    g = torch.Generator().manual_seed(4)
    order = torch.randperm(len(moons.x_train), generator=g)
    x = torch.as_tensor(moons.x_train)
    y = torch.as_tensor(moons.y_train).float()
    for k in range(2):  # two single steps: the second also checks the batch order moves on
        idx = order[k * 12:(k + 1) * 12]
        loss = F.binary_cross_entropy_with_logits(ref(x[idx])[:, 0], y[idx])
        loss = loss + l2 * 0.5 * sum((m.weight ** 2).sum() for m in ref.linears)
        opt.zero_grad()
        loss.backward()
        opt.step()
        t.step(1)
        for a, b in zip(t.model.parameters(), ref.parameters()):
            torch.testing.assert_close(a, b)
    assert t.steps == 2


def test_trace_exposes_every_layer(moons: toydata.Dataset) -> None:
    model = build_model(moons, NetworkConfig(hidden=(4, 6), activations=("sigmoid", "leaky_relu")))
    x = torch.as_tensor(moons.x_train[:7])
    out, traces = model.trace(x)
    assert [tr.post.shape for tr in traces] == [(7, 4), (7, 6), (7, 1)]
    torch.testing.assert_close(traces[0].post, torch.sigmoid(model.linears[0](x)))
    torch.testing.assert_close(traces[1].post, F.leaky_relu(model.linears[1](traces[0].post), 0.01))
    torch.testing.assert_close(out, model(x))
    assert repr(model) == "MLP(2 -> 4 -> 6 -> 1, activations=[sigmoid, leaky_relu])"


def test_eight_layers_of_32_train_on_the_picked_device(moons: toydata.Dataset) -> None:
    cfg = NetworkConfig(hidden=(32,) * 8, activations=("relu",), lr=0.01, optimizer="adam")
    t = Trainer(moons, cfg)  # "auto": the GPU where there is one, the CPU here (PLAYGROUND_DEVICE=cpu)
    assert t.device == pick("auto")
    assert next(t.model.parameters()).device.type == t.device.type
    first = t.history.points[-1].train_loss
    t.step(60)
    assert t.history.points[-1].train_loss < first
    assert isinstance(t.model, MLP) and len(t.model.linears) == 9


def test_multiclass_and_regression_losses() -> None:
    blobs = Trainer(toydata.make("blobs", n=150), NetworkConfig(hidden=(6,), lr=0.1), device="cpu")
    assert blobs.model.linears[-1].out_features == 3
    first = blobs.history.points[-1].train_loss
    blobs.step(80)
    assert blobs.history.points[-1].train_loss < first
    assert blobs.predict(blobs.data.x_test).shape == (len(blobs.data.x_test), 3)
    reg = Trainer(toydata.make("regression", n=150), NetworkConfig(hidden=(8,), lr=0.05), device="cpu")
    first = reg.history.points[-1].train_loss
    reg.step(100)
    m = reg.history.points[-1]
    assert m.train_loss < first and math.isnan(m.test_accuracy)


@pytest.mark.parametrize("bad, message", [
    (dict(lr=1e3), "learning rate of 1000"),
    (dict(lr=-1.0), "positive"),
    (dict(lr=math.nan), "positive"),
    (dict(hidden=(4, 0)), "layer 2 has 0 neurons"),
    (dict(hidden=(4,) * 17), "At most 16"),
    (dict(hidden=(300,)), "the most is 256"),
    (dict(activations=("relu", "tanh", "relu")), "one per layer"),
    (dict(activations=("swish",)), "Unknown activation"),
    (dict(batch_size=0), "batch size"),
    (dict(l2=5.0), "L2"),
    (dict(optimizer="lbfgs"), "Unknown optimiser"),
])
def test_absurd_settings_are_refused_with_one_sentence(bad: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        NetworkConfig(**bad).validate()


def test_forced_nan_weight_stops_training_and_says_so(moons: toydata.Dataset) -> None:
    t = Trainer(moons, device="cpu")
    events: list[int] = []
    t.add_callback("diverged", lambda tr: events.append(tr.steps))
    with torch.no_grad():
        t.model.linears[0].weight[0, 0] = math.nan
    with pytest.raises(DivergedError, match="Training diverged at step 1: .*NaN"):
        t.step(1)
    assert events == [1]
    with pytest.raises(DivergedError):  # stays stopped until reset
        t.step(1)
    assert t.steps == 1
    t.reset()
    t.step(1)
    assert t.diverged is None and t.steps == 1


def test_large_learning_rate_diverges_and_stops() -> None:
    data = toydata.make("regression", n=200)
    t = Trainer(data, NetworkConfig(hidden=(8,), activations=("linear",), lr=5.0), device="cpu")
    with pytest.raises(DivergedError, match="lower the learning rate \\(now 5\\)"):
        for _ in range(50):
            t.step(5)
    assert t.diverged is not None and t.steps <= 250


def test_set_weight_refuses_nan_and_bad_indices(moons: toydata.Dataset) -> None:
    t = Trainer(moons, device="cpu")
    t.set_weight(1, 2, 3, 0.75)
    assert float(t.model.linears[1].weight[2, 3].detach()) == 0.75
    with pytest.raises(ConfigError, match="finite"):
        t.set_weight(0, 0, 0, math.nan)
    with pytest.raises(ConfigError, match="no \\(9, 0\\)"):
        t.set_weight(0, 9, 0, 1.0)
    with pytest.raises(ConfigError, match="no layer 5"):
        t.set_weight(5, 0, 0, 1.0)


def test_reset_is_reproducible_and_epochs_count(moons: toydata.Dataset) -> None:
    t = Trainer(moons, NetworkConfig(batch_size=100), device="cpu")
    t.step(5)
    w1 = [p.detach().clone() for p in t.model.parameters()]
    assert t.epochs == 2  # 210 training points: a reshuffle after 2 batches of 100, again after 4
    t.reset()
    t.step(5)
    for a, b in zip(w1, t.model.parameters()):
        torch.testing.assert_close(a, b)
