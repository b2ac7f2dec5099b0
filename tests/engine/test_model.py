"""The gate-exposing LSTM against PyTorch's own layers (the oracle)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from playground.errors import TextInputError
from playground.model import CharLSTM, ModelConfig, lstm_step
from playground.text import Vocab

from .conftest import TINY_TEXT


@pytest.mark.parametrize(("layers", "hidden"), [(1, 16), (2, 32), (3, 64)])
def test_trace_equals_nn_lstm(vocab: Vocab, layers: int, hidden: int) -> None:
    torch.manual_seed(layers)
    model = CharLSTM(vocab, hidden=hidden, layers=layers, embed=12).eval()
    h0 = torch.randn(layers, 1, hidden) * 0.5
    c0 = torch.randn(layers, 1, hidden)
    text = TINY_TEXT[:300]
    trace = model.trace(text, (h0, c0))
    ids = vocab.encode(text).tensor()
    with torch.no_grad():
        x = model.embed(ids).unsqueeze(0)
        out, (h_n, c_n) = model.lstm(x, (h0, c0))
        logits = model.head(out)[0]
    assert len(trace.layers) == layers
    torch.testing.assert_close(trace.layers[-1].h, out[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(trace.logits, logits, atol=1e-5, rtol=1e-5)
    for k, layer in enumerate(trace.layers):
        torch.testing.assert_close(layer.h[-1], h_n[k, 0], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(layer.c[-1], c_n[k, 0], atol=1e-5, rtol=1e-5)
        # h_t = o_t * tanh(c_t) at every step, so the cell states are the real ones
        torch.testing.assert_close(layer.h, layer.gates.output * torch.tanh(layer.c), atol=1e-5, rtol=1e-5)
        for name in ("input", "forget", "output"):
            g = getattr(layer.gates, name)
            assert g.shape == (len(text), hidden) and float(g.min()) >= 0 and float(g.max()) <= 1
        assert float(layer.gates.cell.abs().max()) <= 1


def test_trace_gates_match_an_lstm_cell_step_by_step(vocab: Vocab) -> None:
    model = CharLSTM(vocab, hidden=20, layers=1, embed=6).eval()
    cell = nn.LSTMCell(6, 20)
    with torch.no_grad():
        cell.weight_ih.copy_(model.lstm.weight_ih_l0)
        cell.weight_hh.copy_(model.lstm.weight_hh_l0)
        cell.bias_ih.copy_(model.lstm.bias_ih_l0)
        cell.bias_hh.copy_(model.lstm.bias_hh_l0)
    text = "To be, or not"
    trace = model.trace(text)
    h = c = torch.zeros(1, 20)
    w_ih, w_hh, bias = model.layer_weights(0)
    with torch.no_grad():
        for t, i in enumerate(vocab.encode(text).ids):
            x = model.embed(torch.tensor([i]))
            h_ref, c_ref = cell(x, (h, c))
            h, c, gates = lstm_step(x, h, c, w_ih, w_hh, bias)
            torch.testing.assert_close(h, h_ref, atol=1e-6, rtol=1e-5)
            torch.testing.assert_close(c, c_ref, atol=1e-6, rtol=1e-5)
            torch.testing.assert_close(gates.forget[0], trace.layers[0].gates.forget[t], atol=1e-6, rtol=1e-5)
            torch.testing.assert_close(c[0], trace.layers[0].c[t], atol=1e-6, rtol=1e-5)


def test_trace_of_a_long_text_matches(vocab: Vocab) -> None:
    model = CharLSTM(vocab, hidden=8, layers=1, embed=4).eval()
    text = TINY_TEXT * 3  # > 2,000 characters: many scan doublings
    trace = model.trace(text)
    with torch.no_grad():
        out, (_, c_n) = model.lstm(model.embed(vocab.encode(text).tensor()).unsqueeze(0))
    torch.testing.assert_close(trace.layers[0].c[-1], c_n[0, 0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(trace.layers[0].h, out[0], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(("text", "says"), [("", "the text is empty"), ("\u65e5\u672c", "no character this model knows")])
def test_trace_of_nothing_raises_a_sentence(tiny_model: CharLSTM, text: str, says: str) -> None:
    with pytest.raises(TextInputError, match=says):
        tiny_model.trace(text)


def test_trace_skips_unknown_characters(tiny_model: CharLSTM) -> None:
    trace = tiny_model.trace("to 🙂be")
    assert trace.text == "to be" and trace.logits.shape == (5, len(tiny_model.vocab))
    assert torch.allclose(trace.probabilities().sum(-1), torch.ones(5))


def test_evaluate_is_mean_cross_entropy(tiny_model: CharLSTM) -> None:
    text = TINY_TEXT[:400]
    ids = tiny_model.vocab.encode(text).tensor()
    with torch.no_grad():
        logits, _ = tiny_model(ids[:-1].unsqueeze(0))
        expected = F.cross_entropy(logits[0], ids[1:]).item()
    assert tiny_model.evaluate(text) == pytest.approx(expected, rel=1e-5)
    # chunked reading carries the state over, so it gives the same figure
    assert tiny_model.evaluate(text, batch_chars=37) == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="two known characters"):
        tiny_model.evaluate("🙂")


def test_config_validation_and_repr(vocab: Vocab) -> None:
    with pytest.raises(ValueError, match="Layers"):
        CharLSTM(vocab, layers=0)
    with pytest.raises(ValueError, match="Dropout"):
        ModelConfig(10, dropout=1.5)
    m = CharLSTM(vocab, hidden=10, layers=1, embed=4)
    assert "1 layers x 10 hidden" in repr(m) and f"{m.num_parameters():,} parameters" in repr(m)
