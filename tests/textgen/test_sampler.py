"""The sampling playground driven like a user: its figures hold exactly what the engine computes."""

from __future__ import annotations

import html

import numpy as np
import pytest
import torch

from playground import pretrained, sampling
from playground.model import CharLSTM
from playground.text import Vocab
from tests.textgen.helpers import live_widgets, messages
from widgets import sampler_views
from widgets.sampler import SamplingPlayground
from widgets.textgen_parts import show_char

PROMPT = 'JULIET:\nO Romeo, "where'


@pytest.fixture
def play(tiny):
    return SamplingPlayground(tiny, name="tiny", prompt=PROMPT, seed=3)


def expected(model, prompt, t, k, p):
    """The bars the engine's own next_distribution gives: top 20 at T = 1, then "other"."""
    d = sampling.next_distribution(model, prompt, t, k, p)
    idx = torch.topk(d.raw, min(20, d.raw.numel())).indices.tolist()
    raw = [float(d.raw[i]) for i in idx]
    probs = [float(d.probs[i]) for i in idx]
    return d, idx, raw + [1 - sum(raw)], probs + [1 - sum(probs)]


def assert_bars(play, prompt, t, k, p):
    d, idx, raw, probs = expected(play.model(), prompt, t, k, p)
    np.testing.assert_allclose(play.dist.data[0].y, raw, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(play.dist.data[1].y, probs, rtol=1e-6, atol=1e-7)
    assert list(play.dist.layout.xaxis.ticktext) == [show_char(d.chars[i]) for i in idx] + ["other"]
    return d


@pytest.mark.parametrize(("t", "k", "p"), [(1.0, 0, 1.0), (0.5, 0, 1.0), (0.0, 0, 1.0), (2.5, 0, 1.0),
                                           (1.0, 5, 1.0), (0.8, 0, 0.6), (1.3, 10, 0.9)])
def test_bars_and_formula_hold_the_engine_distribution(play, t, k, p):
    play.temperature.value, play.top_k.value, play.top_p.value = t, k, p
    d = assert_bars(play, PROMPT, t, k or None, p if p < 1 else None)
    best = int(torch.argmax(d.probs))
    formula = html.unescape(play.formula.value)
    entropy = max(0.0, float(sampling.entropy(d.probs)))
    assert f"<b>{entropy:.3f}</b> nats after your settings" in formula
    assert repr(d.chars[best]) in formula
    if t > 0:
        assert f"<b>{float(d.probs[best]):.4f}</b>" in formula and f"T = <b>{t:.2f}</b>" in formula
    else:
        assert "greedy" in formula and play.dist.data[1].y[0] == 1.0


def test_the_formula_parts_multiply_out_to_the_probability(play):
    play.temperature.value = 0.7
    logits = play._next_logits().double()
    d = play.distribution()
    best = int(torch.argmax(d.probs))
    num, den = float(torch.exp(logits[best] / 0.7)), float(torch.exp(logits / 0.7).sum())
    formula = html.unescape(play.formula.value)
    assert f"{num:.4g} / {den:.4g}" in formula
    np.testing.assert_allclose(num / den, float(d.probs[best]), rtol=1e-5)


@pytest.mark.parametrize(("control", "value"), [("temperature", 0.35), ("top_k", 7), ("top_p", 0.5)])
def test_one_slider_move_sends_one_figure_update(play, control, value):
    with messages(play.dist) as sent:
        getattr(play, control).value = value
    assert sent == ["_send_update_msg"]


def test_500_slider_moves_leave_no_new_widgets_or_figures(play):
    values = [round(v, 2) for v in np.linspace(0, 3, 61)]
    play.temperature.value = 0.05  # warm every path once
    before = live_widgets()
    with messages(play.dist) as sent:
        for i in range(500):
            play.temperature.value = values[i % len(values)]
    assert live_widgets() == before
    assert 0 < len(sent) <= 500
    assert_bars(play, PROMPT, values[499 % len(values)], None, None)


def test_step_draws_from_the_shown_distribution_and_marks_it(play):
    play.temperature.value = 1.2
    before = play.context()
    d, idx, _, _ = expected(play.model(), before, 1.2, None, None)
    ch = play.step()
    assert ch is not None and play.context() == before + ch
    i = d.chars.index(ch)
    assert play.generated[-1] == (ch, pytest.approx(float(d.probs[i]), rel=1e-6))
    colours = list(play.dist.data[1].marker.color)
    at = idx.index(i) if i in idx else len(idx)
    assert colours[at] == sampler_views.MARK and colours.count(sampler_views.MARK) == 1
    assert repr(ch) in play.dist.layout.title.text
    assert play.output.value  # the drawn character is in the page


def test_the_same_seed_steps_the_same_text(tiny):
    a = SamplingPlayground(tiny, prompt="ROMEO:\n", seed=11)
    b = SamplingPlayground(tiny, prompt="ROMEO:\n", seed=11)
    assert [a.step() for _ in range(6)] == [b.step() for _ in range(6)]


def test_generate_streams_what_the_engine_samples(play):
    play.temperature.value, play.top_k.value, play.length.value = 0.8, 12, 80
    play.generate()
    play.join(30)
    assert not play.running and not play.generate_button.disabled and play.stop_button.disabled
    engine = list(sampling.stream(play.model(), PROMPT, 80, 0.8, 12, None, seed=3))
    assert [c for c, _ in play.generated] == [c for c, _ in engine]
    np.testing.assert_allclose([p for _, p in play.generated], [p for _, p in engine], rtol=1e-6)
    assert play.last_generation == PROMPT + "".join(c for c, _ in engine)
    assert_bars(play, play.context(), 0.8, 12, None)  # redrawn for the character after it all


def test_stop_ends_a_long_generation(play):
    play.length.value = sampling.MAX_LENGTH
    play.generate()
    assert play.running and not play.stop_button.disabled and play.prompt.disabled
    play.stop_button.click()
    play.join(30)
    assert not play.running
    assert len(play.generated) < sampling.MAX_LENGTH
    assert not play.prompt.disabled and not play.step_button.disabled


def test_compare_samples_every_temperature_in_one_batched_pass(play):
    play.compare_length.value = 120
    texts = play.compare()
    assert texts == sampling.generate_many(play.model(), PROMPT, 120, [0.2, 0.5, 1.0, 1.2], seed=3)
    shown = [c for c in play.columns if c.layout.display != "none"]
    assert len(shown) == 4
    for col, t, text in zip(shown, (0.2, 0.5, 1.0, 1.2), texts):
        assert f"T = {t:g}" in col.value
        assert html.escape(text.replace("\n", "")[:5]) in col.value.replace("\n", "")


@pytest.mark.parametrize(("typed", "words"), [("hot, 1", "numbers"), ("-1", "negative"), ("", "at least one"),
                                              ("1 " * 9, "at most 8")])
def test_bad_temperature_lists_are_one_sentence(play, typed, words):
    play.temperatures.value = typed
    assert play.compare() == []
    assert play.notice.kind == "error" and words in play.notice.text
    assert play.temperatures.value == typed  # nothing typed is lost


@pytest.mark.parametrize("prompt", ["ROMEO: \U0001f600\U0001f3ad ", "O\x00Romeo\x00", "\u05e9\u05dc\u05d5\u05dd Romeo \u0645\u0631\u062d\u0628\u0627",
                                    "", "\U0001f600\u202e", "thou art " * 11_111 + "a"])
def test_strange_prompts_work_and_say_what_was_skipped(play, prompt):
    play.prompt.value = prompt
    assert play.notice.kind in ("", "warning")
    assert_bars(play, prompt, 1.0, None, None)
    if any(c not in play.model().vocab for c in prompt[-sampling.CONTEXT_CHARS:]):
        assert "never saw" in play.notice.text
    assert play.step() is not None
    play.length.value = 20
    play.generate()
    play.join(30)
    assert len(play.generated) == 21 and play.notice.kind in ("", "warning")


def test_a_prompt_over_the_limit_is_refused_in_the_widget(play):
    long = "x" * (sampling.MAX_PROMPT_CHARS + 1)
    play.prompt.value = long
    assert play.notice.kind == "error" and "100,000" in play.notice.text
    assert play.prompt.value == long
    play.prompt.value = PROMPT  # and the widget recovers
    assert play.notice.kind == "" and len(play.dist.data[0].y) == 21


def test_the_picker_switches_between_models(tiny):
    other = CharLSTM(Vocab.from_text("abc \n"), hidden=8, layers=1, embed=4)
    play = SamplingPlayground(tiny, name="tiny", models={"abc": other}, prompt="ab")
    assert set(play.picker.options) >= {"tiny", "abc"}
    play.picker.value = "abc"
    assert play.top_k.max == len(other.vocab)
    assert_bars(play, "ab", 1.0, None, None)
    assert len(play.dist.data[0].y) == len(other.vocab) + 1  # fewer than 20 characters: all, then "other"


def test_without_any_model_the_widget_says_so(monkeypatch):
    monkeypatch.setattr(pretrained, "available", lambda: [])
    play = SamplingPlayground()
    assert play.notice.kind == "error" and "no model" in play.notice.text.lower()
    assert play.step_button.disabled and play.generate_button.disabled
    assert play.step() is None
