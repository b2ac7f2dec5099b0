"""Trace after the speed work (gates added in place, the blocked cell scan) against nn.LSTM.

tests/engine checks trace on small layers; these are the wider ones the benchmarks time.
"""

from __future__ import annotations

import os

import pytest
import torch

from playground import device, lstm_gates
from playground.lstm_gates import Gates, activated, cell_recurrence, gates_from, lstm_step
from playground.model import CharLSTM
from playground.text import Vocab

TEXT = "Now is the winter of our discontent\nMade glorious summer by this sun of York;\n" * 3


@pytest.mark.parametrize(("layers", "hidden"), [(1, 256), (2, 320)])
def test_trace_of_wide_layers_equals_nn_lstm(layers: int, hidden: int) -> None:
    vocab = Vocab.from_text(TEXT)
    torch.manual_seed(hidden)
    model = CharLSTM(vocab, hidden=hidden, layers=layers, embed=16).eval()
    h0, c0 = torch.randn(layers, 1, hidden) * 0.5, torch.randn(layers, 1, hidden)
    trace = model.trace(TEXT, (h0, c0))
    ids = vocab.encode(TEXT).tensor()
    with torch.no_grad():
        x = model.embed(ids).unsqueeze(0)
        out, (h_n, c_n) = model.lstm(x, (h0, c0))
        logits = model.head(out)[0]
    torch.testing.assert_close(trace.logits, logits, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(trace.layers[-1].h, out[0], atol=1e-5, rtol=1e-5)
    for k, layer in enumerate(trace.layers):
        torch.testing.assert_close(layer.c[-1], c_n[k, 0], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(layer.h[-1], h_n[k, 0], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(layer.h, layer.gates.output * torch.tanh(layer.c), atol=1e-5, rtol=1e-5)
    # the gates at a few positions equal one explicit step from the state before
    w_ih, w_hh, bias = model.layer_weights(0)
    x0 = model.embed(ids)
    with torch.no_grad():
        for t in (0, 1, 57, len(ids) - 1):
            h_prev = h0[0] if t == 0 else trace.layers[0].h[t - 1 : t]
            c_prev = c0[0] if t == 0 else trace.layers[0].c[t - 1 : t]
            _, _, g = lstm_step(x0[t : t + 1], h_prev, c_prev, w_ih, w_hh, bias)
            for name in ("input", "forget", "cell", "output"):
                torch.testing.assert_close(getattr(trace.layers[0].gates, name)[t], getattr(g, name)[0],
                                           atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(("chunk", "length"), [(7, 100), (25, 100), (250, 700)])
def test_pipelined_trace_in_chunks_equals_the_trace_at_once(
    monkeypatch: pytest.MonkeyPatch, chunk: int, length: int
) -> None:
    """Chunks on the worker thread (forced on for a small model) give the at-once trace."""
    vocab = Vocab.from_text(TEXT)
    torch.manual_seed(chunk)
    model = CharLSTM(vocab, hidden=24, layers=2, embed=8).eval()
    state = torch.randn(2, 1, 24) * 0.5, torch.randn(2, 1, 24)
    text = (TEXT * 4)[:length]
    monkeypatch.setattr(lstm_gates, "PIPELINE_HIDDEN", 10**6)
    assert not model._pipelined()
    want = model.trace(text, state)
    monkeypatch.setattr(lstm_gates, "PIPELINE_HIDDEN", 1)
    monkeypatch.setattr(lstm_gates, "PIPELINE_CHUNK", chunk)
    monkeypatch.setattr(lstm_gates, "usable_cpus", lambda: 2)  # chosen on any machine this test runs on
    assert model._pipelined()
    got = model.trace(text, state)
    assert got.text == want.text and torch.equal(got.ids, want.ids)
    torch.testing.assert_close(got.logits, want.logits, atol=1e-5, rtol=1e-5)
    for a, b in zip(got.layers, want.layers):
        assert a.h.shape == b.h.shape == (length, 24)
        for x, y in zip((*a.gates, a.c, a.h), (*b.gates, b.c, b.h)):
            torch.testing.assert_close(x, y, atol=1e-5, rtol=1e-5)
        assert not a.c.requires_grad and not a.gates.input.requires_grad  # no graph built on the worker


def test_wide_or_deep_models_choose_the_pipelined_trace_only_with_a_second_usable_core(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    vocab = Vocab.from_text(TEXT)
    wide = CharLSTM(vocab, hidden=lstm_gates.NARROW_HIDDEN, layers=1)
    narrow_deep = CharLSTM(vocab, hidden=lstm_gates.PIPELINE_HIDDEN, layers=2)
    assert not CharLSTM(vocab, hidden=lstm_gates.PIPELINE_HIDDEN - 1, layers=3)._pipelined()
    assert not CharLSTM(vocab, hidden=lstm_gates.NARROW_HIDDEN - 1, layers=1)._pipelined()  # one narrow layer
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert wide._pipelined() == narrow_deep._pipelined() == (device.usable_cpus() > 1)
    assert lstm_gates.chunk_length(lstm_gates.PIPELINE_HIDDEN) > lstm_gates.chunk_length(lstm_gates.NARROW_HIDDEN)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)  # taskset -c 0
    assert device.usable_cpus() == 1 and not wide._pipelined() and not narrow_deep._pipelined()


def test_a_forked_child_can_trace_after_its_parent_did(monkeypatch: pytest.MonkeyPatch) -> None:
    """The child inherits the worker's executor but not its thread: it must start its own."""
    import multiprocessing

    vocab = Vocab.from_text(TEXT)
    model = CharLSTM(vocab, hidden=16, layers=1, embed=4).eval()
    monkeypatch.setattr(lstm_gates, "PIPELINE_HIDDEN", 1)
    monkeypatch.setattr(lstm_gates, "usable_cpus", lambda: 2)
    want = model.trace(TEXT)  # starts the parent's worker thread
    child = multiprocessing.get_context("fork").Process(target=model.trace, args=(TEXT,))
    child.start()
    child.join(60)
    hung = child.is_alive()
    if hung:
        child.kill()
    assert not hung and child.exitcode == 0
    torch.testing.assert_close(model.trace(TEXT).layers[0].h, want.layers[0].h)  # the parent still can


@pytest.mark.parametrize("steps", [1, 2, 3, 5, 16, 17, 99, 400])
def test_blocked_cell_scan_equals_the_plain_recurrence(steps: int) -> None:
    torch.manual_seed(steps)
    gates = Gates(*(torch.rand(steps, 7) for _ in range(2)), torch.rand(steps, 7) * 2 - 1, torch.rand(steps, 7))
    c0 = torch.randn(7)
    want, c = [], c0
    for t in range(steps):
        c = gates.forget[t] * c + gates.input[t] * gates.cell[t]
        want.append(c)
    before = gates.forget.clone()
    torch.testing.assert_close(cell_recurrence(gates, c0), torch.stack(want), atol=1e-6, rtol=1e-5)
    assert torch.equal(gates.forget, before)  # the gates are left as they were


def test_gates_activated_in_place_match_the_named_activations_even_when_saturated() -> None:
    torch.manual_seed(0)
    pre = torch.randn(50, 4 * 9) * 4
    pre[0], pre[1] = 100.0, -100.0  # saturated: no NaN from 2 * sigmoid(2x) - 1
    want = gates_from(pre)
    got = activated(pre.clone())
    for name, w, g in zip(Gates._fields, want, got):
        torch.testing.assert_close(g, w, atol=3e-7, rtol=0, msg=name)
    assert got.cell[0].eq(1).all() and got.cell[1].eq(-1).all()
