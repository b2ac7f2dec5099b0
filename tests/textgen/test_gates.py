"""The gate explorer driven like a user: heatmaps, one step, a unit's text, found cells, the link."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
import torch

from playground import interpret, sampling
from playground.interpret import QUANTITIES, Unit
from tests.textgen.helpers import TEXT, live_widgets, messages
from widgets import gates_views
from widgets.gates import MAX_TRACE_CHARS, GateExplorer
from widgets.sampler import SamplingPlayground
from widgets.sampler_views import MARK
from widgets.textgen import TextGenLab
from widgets.textgen_parts import activation_colour, show_char

TEXT_IN = TEXT[:420]


@pytest.fixture
def gates(tiny):
    return GateExplorer(tiny, name="tiny", text=TEXT_IN)


def window(gates):
    return list(gates.heat.data[0].x)


@pytest.mark.parametrize("layer", [0, 1])
def test_heatmaps_hold_the_models_own_trace(gates, tiny, layer):
    gates.layer.value = layer
    oracle = tiny.trace(TEXT_IN)  # computed here, independently of the widget
    x = window(gates)
    assert x == list(range(gates.start.value, gates.start.value + gates_views.WINDOW))
    for tr, q in zip(gates.heat.data, QUANTITIES):
        want = interpret.quantity(oracle, layer, q)[x[0] : x[-1] + 1].T.numpy()  # (H, W)
        np.testing.assert_allclose(np.asarray(tr.z, dtype=float), want, atol=5e-4)  # 3 places sent
    assert list(gates.heat.layout.xaxis.ticktext) == [show_char(c) for c in TEXT_IN[x[0] : x[-1] + 1]]


def test_the_window_slider_scrolls_the_heatmaps(gates, tiny):
    gates.start.value = 100
    assert window(gates)[0] == 100
    np.testing.assert_allclose(np.asarray(gates.heat.data[5].z, dtype=float), tiny.trace(TEXT_IN).layers[0].h[100:260].T.numpy(),
                               atol=5e-4)


def test_picking_a_character_shows_its_gates_beside_the_next_character(gates, tiny):
    oracle = tiny.trace(TEXT_IN)
    gates.layer.value = 1
    t = 37
    with messages(gates.step) as sent:
        gates.position.value = t
    assert sent == ["_send_update_msg"]  # gates and distribution move together, in one message
    want = torch.stack([interpret.quantity(oracle, 1, q)[t] for q in QUANTITIES]).numpy()
    np.testing.assert_allclose(np.asarray(gates.step.data[0].z, dtype=float), want, atol=5e-4)
    probs = torch.softmax(sampling.known(oracle.logits[t]), -1)  # the unknown id is never drawn
    idx = torch.topk(probs, 20).indices.tolist()
    np.testing.assert_allclose(gates.step.data[1].y[:20], [float(probs[i]) for i in idx], atol=5e-4)
    assert gates.step.data[1].y[20] == pytest.approx(1 - float(probs[idx].sum()), abs=1e-6)
    nxt = tiny.vocab.chars.index(TEXT_IN[t + 1])
    colours = list(gates.step.data[1].marker.color)
    if nxt in idx:
        assert colours[idx.index(nxt)] == MARK
    assert repr(TEXT_IN[t + 1]) in gates.step.layout.title.text


def test_a_character_outside_the_window_moves_the_window(gates):
    with messages(gates.heat) as heat_sent:
        gates.position.value = 400
    assert 400 in window(gates) and len(heat_sent) == 1
    assert gates.heat.layout.shapes[0].x0 == 399.5
    with messages(gates.heat) as heat_sent:
        gates.position.value = 390  # inside the window: only the marker moves
    assert len(heat_sent) == 1 and gates.heat.layout.shapes[0].x0 == 389.5


def spans(html_text: str) -> list[tuple[str, str]]:
    """(colour, character) for every character of a coloured text."""
    out = []
    for colour, body in re.findall(r'<span style="background:(#[0-9a-f]{6})">(.*?)</span>', html_text, re.S):
        body = re.sub(r'<span style="color:#999">(.*?)</span>', r"\1", body)
        out += [(colour, ch) for ch in html.unescape(body)]
    return out


@pytest.mark.parametrize(("quantity", "lo"), [("forget", 0.0), ("h", -1.0), ("c", None)])
def test_a_units_text_is_coloured_by_its_activation(gates, tiny, quantity, lo):
    gates.layer.value, gates.quantity.value, gates.unit.value = 1, quantity, 5
    values = interpret.quantity(tiny.trace(TEXT_IN), 1, quantity)[:, 5]
    if lo is None:  # the cell state is unbounded: scaled to its largest magnitude
        lo, hi = -float(values.abs().max()), float(values.abs().max())
    else:
        hi = 1.0
    got = spans(gates.unit_text.value)
    assert "".join(ch for _, ch in got) == TEXT_IN
    assert [c for c, _ in got] == [activation_colour(float(v), lo, hi) for v in values]


def test_find_cells_lists_what_the_engine_ranks_and_picks_one(gates, tiny):
    found = gates.find_cells()
    assert found == interpret.find_cells(tiny.trace(TEXT_IN), top=3)
    assert "inside quotes" in found and "inside brackets" in found
    for feature, scores in found.items():
        assert html.escape(feature) in gates.found.value
        for s in scores:
            assert f"{s.correlation:+.3f}" in gates.found.value
    best = found["inside quotes"][0].unit
    gates.found_pick.value = best
    assert gates.unit_choice() == best
    assert str(best) in gates.unit_text.value
    assert gates.heat.layout.title.text.startswith(f"Layer {best.layer + 1}")


@pytest.mark.parametrize("text", ["\U0001f600\U0001f3ad", "\x00\x00", "\u05e9\u05dc\u05d5\u05dd", ""])
def test_text_with_nothing_the_model_knows_is_one_sentence(gates, text):
    gates.text.value = text
    assert gates.notice.kind == "error" and gates.notice.text.endswith(".")
    assert gates.text.value == text and gates.trace is None
    assert gates.find_cells() == {} and gates.notice.kind == "error"
    gates.text.value = TEXT_IN  # and it recovers
    assert gates.notice.kind == "" and gates.trace is not None


@pytest.mark.parametrize("text", ['She said "\U0001f600 hi" (\x00)', "\u05e9\u05dc\u05d5\u05dd Romeo \u202e [x]"])
def test_unseen_characters_are_left_out_with_a_note(gates, tiny, text):
    gates.text.value = text
    kept = tiny.vocab.decode(tiny.vocab.encode(text).ids)
    assert gates.notice.kind == "warning" and "never saw" in gates.notice.text
    assert gates.trace.text == kept
    assert "".join(ch for _, ch in spans(gates.unit_text.value)) == kept


def test_a_100000_character_text_is_read_from_its_end(gates, tiny):
    long = ("O Romeo, " * 11_112)[:100_000]
    gates.text.value = long
    assert gates.notice.kind == "warning" and "5,000 of 100,000" in gates.notice.text
    assert gates.trace.text == long[-MAX_TRACE_CHARS:] and gates.position.max == MAX_TRACE_CHARS - 1
    gates.position.value = MAX_TRACE_CHARS - 1
    probs = torch.softmax(sampling.known(tiny.trace(long[-MAX_TRACE_CHARS:]).logits[-1]), -1)
    assert gates.step.data[1].y[0] == pytest.approx(float(probs.max()), rel=1e-5)


def test_500_character_picks_leave_no_new_widgets_or_figures(gates):
    gates.position.value = 1
    before = live_widgets()
    for i in range(500):
        gates.position.value = (i * 3) % 330  # mostly inside a window, now and then moving it
    assert live_widgets() == before


def test_the_explorer_reads_the_playgrounds_last_generation(tiny):
    play = SamplingPlayground(tiny, name="tiny", prompt="ROMEO:\n", seed=2)
    gates = GateExplorer(tiny, name="tiny", text="x")
    gates.link(play)
    assert gates.take_button.layout.display == "" and gates.picker.options == play.picker.options
    play.length.value = 40
    play.generate()
    play.join(30)
    gates.take_button.click()
    assert gates.text.value == play.last_generation and len(gates.text.value) == 47
    gates.follow.value = True
    play.step()
    assert gates.text.value == play.last_generation and len(gates.text.value) == 48
    # The gates just before the stepped character sit beside the distribution it was drawn from.
    oracle = tiny.trace(play.last_generation)
    gates.position.value = len(oracle.text) - 2
    np.testing.assert_allclose(gates.step.data[1].y, play.dist.data[0].y, rtol=1e-5, atol=1e-7)
    assert list(gates.step.layout.xaxis2.ticktext) == list(play.dist.layout.xaxis.ticktext)


def test_the_composite_follows_every_step(tiny):
    lab = TextGenLab(tiny, name="tiny", prompt="JULIET:\n")
    lab.sampler.step()
    lab.sampler.step()
    assert lab.gates.text.value == lab.sampler.last_generation
    kept = tiny.vocab.decode(tiny.vocab.encode(lab.sampler.last_generation).ids)
    assert lab.gates.trace is not None and lab.gates.trace.text == kept
    assert Unit(0, "c", 0) == lab.gates.unit_choice()


def test_displaying_a_view_sends_its_figures_as_drawn(tiny):
    """plotly refreshes a figure's first browser state only when the figure itself is displayed;
    inside a box it would open empty. Displaying the view must carry what the constructor drew."""
    lab = TextGenLab(tiny, name="tiny", prompt="ROMEO:\n")
    figures = [lab.sampler.dist, lab.gates.heat, lab.gates.step]
    assert all("y" not in d and "z" not in d for f in figures for d in f._widget_data)  # what plotly would send
    lab._repr_mimebundle_()
    for fig in figures:
        for sent, drawn in zip(fig._widget_data, fig._data):
            assert sent.keys() == drawn.keys()
            for key in ("y", "z"):
                if key in drawn:
                    np.testing.assert_array_equal(np.asarray(sent[key]), np.asarray(drawn[key]))
    assert lab.sampler.dist._widget_layout["xaxis"]["ticktext"] == list(lab.sampler.dist.layout.xaxis.ticktext)
