"""The views driven like a user: set a control, then compare the figures with the engine."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest
import torch

from playground import bias, classical, toydata
from playground.mlp_config import PlaygroundConfig
from playground.mlp_inspect import decision_surface, explain_point
from widgets import network_views as views
from widgets.bias import BiasWidget
from widgets.classical import ClassicalGrid, DigitsExplorer
from widgets.network import NetworkPlayground
from widgets.neuron import NeuronWidget


def test_neuron_sliders_drive_formula_curve_and_plane() -> None:
    nw = NeuronWidget("concert")
    assert "go to the concert!" in nw.formula.value
    nw.inputs[1].value = 0.0  # friends not going: 3 + 0 + 6 + 10 - 25 < 0
    assert "stay home" in nw.formula.value
    cell = nw.neuron()
    z = float(cell.weighted_sum(nw.values()))
    assert nw.curve.data[1].x[0] == pytest.approx(z, abs=1e-9)
    assert nw.curve.data[1].y == (float(cell(nw.values())),)
    nw.activation.value = "tanh"
    ys = np.asarray(nw.curve.data[0].y)
    np.testing.assert_allclose(ys, np.tanh(np.asarray(nw.curve.data[0].x)))
    heat = nw.plane.data[0]
    z_plane = np.asarray(heat.z, dtype=float)
    a, b = np.meshgrid(np.asarray(heat.x), np.asarray(heat.y))
    rest = cell.bias + sum(w * x for w, x in zip(cell.weights[2:], nw.values()[2:]))
    want = np.tanh(cell.weights[0] * a + cell.weights[1] * b + rest)
    np.testing.assert_allclose(z_plane, want, atol=5e-4)  # sent rounded to 3 places
    # the line where the sum is zero
    (x0, x1), (y0, y1) = nw.plane.data[1].x, nw.plane.data[1].y
    for x, y in ((x0, y0), (x1, y1)):
        assert cell.weights[0] * x + cell.weights[1] * y + rest == pytest.approx(0.0, abs=1e-9)


def test_neuron_input_count_and_nan_weight_message() -> None:
    nw = NeuronWidget("free")
    nw.n_inputs.value = 4
    assert [r.layout.display for r in nw.rows] == ["", "", "", "", "none"]
    assert nw.formula.value.count("\u00d7") == 4
    before = nw.formula.value
    nw.weights[1].value = math.nan
    assert nw.notice.kind == "error" and "Weight 2 is nan" in nw.notice.text
    assert nw.formula.value == before  # the last good drawing stays
    nw.weights[1].value = 0.5
    assert nw.notice.text == ""


@pytest.fixture
def pg() -> NetworkPlayground:
    return NetworkPlayground(PlaygroundConfig(toydata.DataSpec("moons", 200)), resolution=40, device="cpu")


def test_step_button_trains_and_redraws_from_the_engine(pg: NetworkPlayground) -> None:
    pg.speed.value = 7
    pg.step_button.click()
    assert pg.trainer.steps == 7
    np.testing.assert_allclose(np.asarray(pg.surface_fig.data[0].z, dtype=float), decision_surface(pg.trainer, 40).z, atol=5e-4)
    assert list(pg.loss_fig.data[0].x) == [0, 7]
    assert "step <b>7</b>" in pg.status.value
    np.testing.assert_array_equal(np.asarray(pg.surface_fig.data[1].x), pg.trainer.data.x_train[:, 0])


def test_network_controls_rebuild_the_model(pg: NetworkPlayground) -> None:
    pg.layers.value = 8
    pg.neurons.value = 32
    assert pg.trainer.config.hidden == (32,) * 8 and pg.hidden.value == ", ".join(["32"] * 8)
    pg.hidden.value = "3, 5"
    pg.activations.value = "relu, sigmoid"
    assert pg.trainer.config.hidden == (3, 5)
    assert pg.trainer.config.layer_activations == ("relu", "sigmoid")
    assert "nn.Linear(3, 5)" in pg.code.value and "nn.Sigmoid()" in pg.code.value
    pg.optimizer.value = "adam"
    pg.step()
    assert type(pg.trainer.optimizer).__name__ == "Adam"
    pg.kind.value = "blobs"
    assert pg.trainer.data.name == "blobs" and pg.trainer.model.linears[-1].out_features == 3
    tiles = np.asarray(pg.diagram_fig.data[-1].z, dtype=float)
    assert np.isfinite(tiles).all() and tiles.min() >= -1 and tiles.max() == views.GAP


def test_absurd_values_give_one_sentence_and_keep_what_was_typed(pg: NetworkPlayground) -> None:
    pg.step()
    pg.lr.value = 1000.0
    assert pg.notice.kind == "error" and "learning rate of 1000" in pg.notice.text
    assert pg.lr.value == 1000.0 and pg.trainer.config.lr == 0.03  # the old network still trains
    pg.lr.value = 0.1
    assert pg.notice.text == ""
    pg.hidden.value = "4, 0, 4"
    assert "layer 2 has 0 neurons" in pg.notice.text and pg.hidden.value == "4, 0, 4"
    pg.hidden.value = "4"
    pg.edit_value.value = "nan"
    pg.edit_button.click()
    assert pg.notice.text == "A weight must be a finite number; got nan."
    pg.edit_value.value = "2.5"
    pg.edit_layer.value, pg.edit_to.value, pg.edit_from.value = 0, 1, 0
    pg.edit_button.click()
    assert float(pg.trainer.model.linears[0].weight[1, 0].detach()) == 2.5 and pg.notice.text == ""


def test_nan_forced_into_the_weights_stops_and_says_so(pg: NetworkPlayground) -> None:
    with torch.no_grad():
        pg.trainer.model.linears[0].weight.fill_(math.nan)
    pg.step_button.click()
    assert pg.notice.kind == "error" and "Training diverged" in pg.notice.text
    pg.reset_button.click()
    pg.step_button.click()
    assert pg.notice.text == "" and pg.trainer.steps == pg.speed.value


def test_play_trains_in_the_background_and_pause_stops_it(pg: NetworkPlayground) -> None:
    ticked = threading.Event()
    pg.trainer.add_callback("step", lambda _t: ticked.set())
    pg.play.value = True
    assert pg.player.playing and pg.play.description == "pause"
    assert ticked.wait(10)
    pg.play.value = False
    assert not pg.player.playing and pg.play.description == "play"
    steps = pg.trainer.steps
    assert steps > 0 and not pg.player.playing
    assert pg.trainer.steps == steps  # really stopped


def test_play_stops_itself_when_the_run_diverges(pg: NetworkPlayground) -> None:
    with torch.no_grad():
        pg.trainer.model.linears[1].bias.fill_(math.inf)
    pg.play.value = True
    pg.player.join(10)
    assert not pg.player.playing and pg.play.value is False
    assert "Training diverged" in pg.notice.text


def test_how_wrong_was_that_and_show_the_code(pg: NetworkPlayground) -> None:
    pg.step()
    pg.point.value = 4
    pg.explain_button.click()
    e = explain_point(pg.trainer, 4)
    assert f"loss = <b>{e.loss:.4f}</b>" in pg.explanation.value
    assert pg.surface_fig.data[3].x == (float(e.x[0]),)
    assert pg.code.layout.display == "none"
    pg.code_toggle.value = True
    assert pg.code.layout.display == "" and "import torch" in pg.code.value
    compile(pg.code.value, "exported.py", "exec")


def test_state_and_link_round_trip(pg: NetworkPlayground) -> None:
    pg.hidden.value = "6, 6, 6"
    pg.lr.value = 0.3
    pg.kind.value = "spiral"
    state = pg.state()
    again = NetworkPlayground.from_state(state, resolution=20, device="cpu")
    assert again.state() == state and again.hidden.value == "6, 6, 6" and again.kind.value == "spiral"
    link = NetworkPlayground.from_url(pg.link.value, resolution=20, device="cpu")
    assert link.state() == state
    bad = NetworkPlayground.from_url("?lr=1000", resolution=20, device="cpu")
    assert bad.notice.kind == "warning" and "learning rate of 1000" in bad.notice.text


def test_own_data_from_python() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 2))
    d = toydata.from_arrays(x, np.where(x[:, 0] > 0, "right", "left"))
    own = NetworkPlayground(data=d, resolution=20, device="cpu")
    assert own.kind.disabled and own.trainer.data is d
    own.step()
    own.hidden.value = "5"
    assert own.trainer.data is d and "your own data" in own.link.value


def test_classical_grid_beside_the_playground(pg: NetworkPlayground) -> None:
    grid = ClassicalGrid(playground=pg, resolution=20)
    first = grid.results
    ref = classical.fit("knn", pg.trainer.data, 20)
    np.testing.assert_allclose(np.asarray(grid.fig.data[2].z, dtype=float), ref.z, atol=5e-4)
    assert "test accuracy" in grid.fig.layout.annotations[1].text
    pg.kind.value = "circles"  # new data in the playground: the grid refits on it
    assert grid.data is pg.trainer.data and grid.results is not first
    assert grid.fig.data[-1].y[-1] == "network"
    np.testing.assert_allclose(np.asarray(grid.fig.data[12].z, dtype=float), decision_surface(pg.trainer, 20).z, atol=5e-4)


def test_digits_explorer_and_bias_widget() -> None:
    dg = DigitsExplorer(k=4)
    assert np.asarray(dg.centroids.data[0].z).shape == (8, 4 * 9 - 1)
    dg.colour_by.value = "cluster"
    np.testing.assert_array_equal(np.asarray(dg.pca.data[0].marker.color), dg.kmeans.clusters)
    bw = BiasWidget(share=0.02, steps=200, device="cpu")
    bw.share.value = 0.5
    ref = bias.train_with_share(0.5, steps=200, device="cpu")
    assert tuple(bw.bars.data[0].y) == (ref.accuracy["A"], ref.accuracy["B"])
    assert list(bw.curve.data[1].x) == [0.02, 0.5]
    assert bw.curve.data[1].y[0] < bw.curve.data[1].y[1]
    bw.share.value = 0.9  # beyond the slider: clamped to 0.5, no error
    assert bw.notice.text == ""


def _count_messages(fig: object) -> list[str]:
    sent: list[str] = []
    for name in ("_send_update_msg", "_send_restyle_msg", "_send_relayout_msg"):
        original = getattr(fig, name)

        def counted(*args: object, _name: str = name, _original: object = original, **kwargs: object) -> object:
            sent.append(_name)
            return _original(*args, **kwargs)  # type: ignore[operator]

        setattr(fig, name, counted)
    return sent


def test_one_slider_move_sends_one_message_per_figure() -> None:
    nw = NeuronWidget("concert")
    curve, plane = _count_messages(nw.curve), _count_messages(nw.plane)
    nw.weights[2].value = 1.5
    assert curve == ["_send_update_msg"] and plane == ["_send_update_msg"]


def test_diagram_draws_every_connection_by_sign_and_size(pg: NetworkPlayground) -> None:
    pg.hidden.value = "3, 2"
    w = [layer.weight.detach().numpy() for layer in pg.trainer.model.linears]
    edges = pg.diagram_fig.data[:-1]
    segments = sum(int(np.isfinite(np.asarray(t.x, dtype=float)).sum()) // 2 for t in edges)
    assert segments == sum(m.size for m in w) == 2 * 3 + 3 * 2 + 2 * 1
    positive = sum(int(np.isfinite(np.asarray(t.x, dtype=float)).sum()) // 2 for t in edges[:5])
    assert positive == sum(int((m >= 0).sum()) for m in w)
    widths = [t.line.width for t in edges[:5]]
    assert widths == sorted(widths)  # thicker buckets for larger weights
