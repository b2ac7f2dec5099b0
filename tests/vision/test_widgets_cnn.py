"""The digit-CNN view driven like a user: strokes on the canvas, a set drawing, dreams, retraining."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits

from playground import cnn
from widgets.cnn import DigitsCNNView, mosaic
from widgets.cnn_panels import shown_ink


@pytest.fixture(scope="module")
def view() -> DigitsCNNView:
    return DigitsCNNView()


def assert_figures_show(view: DigitsCNNView, ink: np.ndarray) -> None:
    a = cnn.analyse(view.model, ink)
    np.testing.assert_allclose([bar.value for bar in view.bars], a.probabilities, rtol=1e-6)
    assert [lab.value for lab in view.bar_labels] == [f"{p:.0%}" for p in a.probabilities]
    np.testing.assert_allclose(shown_ink(view.seen), a.image, atol=1 / 255)
    for i, name in enumerate(cnn.LAYERS):
        np.testing.assert_allclose(np.array(view.inside.data[i].z, dtype=float), mosaic(a.maps[name], 4), atol=5e-4)


def test_mouse_events_draw_and_update_the_answer(view):
    view.clear()
    before = view.updates
    send = view.canvas._handle_frontend_event  # the path a browser's mouse messages take
    send(None, {"event": "mouse_down", "x": 60, "y": 40}, [])
    for x in range(70, 170, 10):
        send(None, {"event": "mouse_move", "x": x, "y": 40}, [])  # a top bar ...
    for i in range(1, 12):
        send(None, {"event": "mouse_move", "x": 160 - 7 * i, "y": 40 + 15 * i}, [])  # ... and a diagonal: a 7
    send(None, {"event": "mouse_up", "x": 83, "y": 205}, [])
    assert view.ink.sum() > 50 and view.updates > before + 2  # live updates during the stroke
    assert_figures_show(view, view.ink)
    send(None, {"event": "mouse_move", "x": 10, "y": 10}, [])  # pen up: moving does not draw
    assert view.ink[:5, :5].sum() == 0


def test_touch_events_draw_too(view):
    view.clear()
    send = view.canvas._handle_frontend_event
    send(None, {"event": "touch_start", "touches": [{"x": 112, "y": 30}]}, [])
    send(None, {"event": "touch_move", "touches": [{"x": 112, "y": 190}]}, [])
    send(None, {"event": "touch_end", "touches": []}, [])
    assert view.ink[:, 26:30].sum() > 20 and view.ink[:, :20].sum() == 0  # a vertical line in the middle
    assert_figures_show(view, view.ink)


def test_set_drawing_of_real_digits(view):
    d = load_digits()
    hits = 0
    for i in range(10):
        view.set_drawing(np.kron(d.images[i] / 16.0, np.ones((7, 7))))
        hits += view.analysis.label == d.target[i]
        assert_figures_show(view, view.ink)
    assert hits >= 9
    assert "looks like" in view.verdict.value
    assert [bar.bar_style for bar in view.bars].count("info") == 1


def test_blank_canvas_is_unsure_not_an_error(view):
    view.clear()
    assert view.notice.text == "" and not view.analysis.confident
    assert "unsure" in view.verdict.value and all(bar.bar_style == "" for bar in view.bars)
    view.set_drawing(np.random.default_rng(0).random((56, 56)))
    assert view.notice.text == "" and not view.analysis.confident
    view.set_drawing(np.zeros((3, 3, 3)))
    assert view.notice.kind == "error" and "2-D" in view.notice.text


def test_filters_figure_shows_the_learned_kernels(view):
    f1 = cnn.filters(view.model, "conv1")[:, 0]
    np.testing.assert_allclose(np.array(view.inside.data[4].z, dtype=float), mosaic(f1, 4), rtol=1e-6)
    assert np.array(view.inside.data[5].z).shape == (16 * 4 - 1, 8 * 4 - 1)


def test_dream_panel_shows_the_evolving_picture(view):
    panel = view.dreams
    panel.target.value = dict(panel.target.options)["digit 2"]
    panel.steps.value = 20
    panel.button.click()
    assert [f.step for f in panel.frames] == [0, 5, 10, 15, 20]
    np.testing.assert_allclose(shown_ink(panel.picture), panel.frames[-1].image, atol=1 / 255)
    assert "step 20" in panel.status.value


def test_retraining_draws_the_curve_and_swaps_the_model():
    view = DigitsCNNView()
    old = view.model
    view.training.epochs.value = 5
    view.training.button.click()
    assert list(view.training.fig.data[0].x) == [1, 2, 3, 4, 5]
    assert view.model is not old and view.dreams.model is view.model
    np.testing.assert_allclose(np.array(view.inside.data[4].z, dtype=float), mosaic(cnn.filters(view.model, "conv1")[:, 0], 4), rtol=1e-6)


def test_displaying_sends_the_current_figures(view):
    view.set_drawing(np.kron(load_digits().images[0] / 16.0, np.ones((6, 6))))
    view._repr_mimebundle_()
    sent = view.inside._widget_data[0]["z"]
    np.testing.assert_allclose(np.array(sent, dtype=float), mosaic(view.analysis.maps["conv1"], 4), atol=5e-4)
    assert len(view.training.fig._widget_data[0]["x"]) == len(cnn.read_meta()["history"]["loss"])  # nested too


def test_canvas_is_painted_only_once_the_browser_is_ready():
    view = DigitsCNNView()
    sent: list[object] = []
    view.canvas.put_image_data = lambda data, x=0, y=0: sent.append(data)  # what would go to the browser
    view.set_drawing(np.eye(56))
    assert sent == [] and not view.canvas_ready  # no canvas in a browser yet: nothing to address
    view.canvas._handle_frontend_event(None, {"event": "client_ready"}, [])
    assert view.canvas_ready and len(sent) == 1
    np.testing.assert_array_equal(sent[0][::4, ::4, 0], (np.eye(56) * 255).astype(np.uint8))
