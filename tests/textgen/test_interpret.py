"""Features of a text and the ranking of units by correlation, on texts whose structure is known."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from playground import interpret
from playground.interpret import InterpretError, Unit
from playground.model import Gates, LayerTrace, Trace
from tests.textgen.helpers import TEXT


def as_list(t: torch.Tensor) -> list[float]:
    return [float(v) for v in t]


def test_inside_quotes_counts_the_opening_quote_and_not_the_closing_one():
    text = 'a "bc" d "e\nf" g'
    assert as_list(interpret.inside_quotes(text)) == [0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0]
    assert interpret.inside_quotes(text).dtype == torch.float32


def test_single_and_double_quotes_close_only_with_their_own_kind():
    text = "x 'a\"b' \"c'd\" y"
    got = as_list(interpret.inside_quotes(text, "'\""))
    assert got == [0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0]
    assert as_list(interpret.inside_quotes("it's", '"')) == [0, 0, 0, 0]  # an apostrophe is no quote


def test_position_bracket_and_indent_features():
    text = "ab\n  f(x[1])\n\tz"
    assert as_list(interpret.position_in_line(text)) == [1, 2, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2]
    assert as_list(interpret.bracket_depth(text)) == [0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 1, 0, 0, 0, 0]
    assert as_list(interpret.indentation(text)) == [0, 0, 0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 0, 4, 4]
    assert as_list(interpret.bracket_depth(")(")) == [0, 1]  # never negative


def test_speaker_features_follow_a_play():
    text = "ROMEO:\nHi.\nThere.\n\nExit\nFIRST CITIZEN:\nNo"
    name = as_list(interpret.speaker_name_line(text))
    speech = as_list(interpret.in_speech(text))
    lines = text.splitlines(keepends=True)
    expect_name = [1.0] * len(lines[0]) + [0.0] * sum(map(len, lines[1:5])) + [1.0] * len(lines[5]) + [0.0] * len(lines[6])
    expect_speech = [0.0] * len(lines[0]) + [1.0] * (len(lines[1]) + len(lines[2])) + [0.0] * (
        len(lines[3]) + len(lines[4]) + len(lines[5])) + [1.0] * len(lines[6])
    assert name == expect_name
    assert speech == expect_speech


def test_every_feature_has_one_value_per_character():
    feats = interpret.features(TEXT)
    assert set(feats) == set(interpret.FEATURES)
    assert all(v.shape == (len(TEXT),) for v in feats.values())
    assert all(v.shape == (0,) for v in interpret.features("").values())


def test_correlations_match_numpy_and_constant_columns_give_zero():
    gen = torch.Generator().manual_seed(0)
    values = torch.randn(50, 6, generator=gen)
    values[:, 2] = 0.7  # a unit that never moves
    feature = torch.randn(50, generator=gen)
    r = interpret.correlations(values, feature)
    for j in (0, 1, 3, 4, 5):
        np.testing.assert_allclose(float(r[j]), np.corrcoef(values[:, j].numpy(), feature.numpy())[0, 1], rtol=1e-5)
    assert float(r[2]) == 0.0
    assert torch.equal(interpret.correlations(values, torch.ones(50)), torch.zeros(6, dtype=torch.float64))


def planted_trace(text: str, hidden: int = 8) -> Trace:
    """A two-layer trace of noise, with a quote cell (layer 2, c, unit 5) and an anti-quote unit (layer 1, h, 3)."""
    gen = torch.Generator().manual_seed(1)
    t = len(text)
    quotes = interpret.inside_quotes(text)

    def noise() -> torch.Tensor:
        return torch.rand(t, hidden, generator=gen)

    layers = []
    for k in range(2):
        c, h = noise(), noise()
        if k == 1:
            c[:, 5] = quotes + 0.05 * torch.rand(t, generator=gen)
        else:
            h[:, 3] = -quotes + 0.3 * torch.rand(t, generator=gen)
        layers.append(LayerTrace(Gates(noise(), noise(), noise(), noise()), c, h))
    return Trace(text, torch.zeros(t, dtype=torch.long), tuple(layers), torch.zeros(t, 3))


def test_rank_finds_the_planted_quote_cells_best_first():
    text = 'He said "no, not now" and then "yes" and left. ' * 6
    trace = planted_trace(text)
    ranked = interpret.rank(trace, "inside quotes", top=2)
    assert [s.unit for s in ranked] == [Unit(1, "c", 5), Unit(0, "h", 3)]
    assert ranked[0].correlation > 0.95 and ranked[1].correlation < -0.8
    assert ranked[0].score >= ranked[1].score
    assert ranked[0].feature == "inside quotes"
    quotes = interpret.inside_quotes(text).numpy()
    for s in ranked:  # the score is the Pearson correlation, as numpy computes it
        act = interpret.activation(trace, s.unit).numpy()
        np.testing.assert_allclose(s.correlation, np.corrcoef(act, quotes)[0, 1], rtol=1e-5)


def test_find_cells_skips_features_that_do_not_vary():
    trace = planted_trace("plain words on one line without any marks")
    found = interpret.find_cells(trace)
    assert "inside quotes" not in found and "inside brackets" not in found
    assert "position in line" in found  # it varies on any text
    assert all(len(v) == 3 for v in found.values())


def test_rank_on_a_real_trace_agrees_with_numpy(tiny):
    trace = tiny.trace(TEXT[:400])
    feature = interpret.bracket_depth(trace.text).numpy()
    ranked = interpret.rank(trace, "inside brackets", top=4, quantities=interpret.QUANTITIES)
    assert len(ranked) == 4
    everything = []
    for k in range(len(trace.layers)):
        for q in interpret.QUANTITIES:
            values = interpret.quantity(trace, k, q).numpy()
            everything += [abs(np.corrcoef(values[:, j], feature)[0, 1]) for j in range(values.shape[1])
                           if values[:, j].std() > 0]
    np.testing.assert_allclose([s.score for s in ranked], sorted(everything, reverse=True)[:4], rtol=1e-4)


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda tr: interpret.rank(tr, "inside sonnets"), "no feature called"),
        (lambda tr: interpret.rank(tr, "inside quotes", quantities=("gamma",)), "Unknown quantity"),
        (lambda tr: interpret.rank(tr, torch.zeros(3)), "characters"),
        (lambda tr: interpret.activation(tr, Unit(5, "c", 0)), "Layer 6 does not exist"),
        (lambda tr: interpret.activation(tr, Unit(0, "c", 99)), "Unit 99 does not exist"),
    ],
)
def test_bad_requests_are_one_clear_sentence(call, words):
    trace = planted_trace('a "b" c')
    with pytest.raises(InterpretError, match=words) as err:
        call(trace)
    assert isinstance(err.value, ValueError)
