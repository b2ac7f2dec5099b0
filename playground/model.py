"""A character-level LSTM language model whose gates can be read at every character.

The network is embedding -> multi-layer ``nn.LSTM`` (cuDNN on a GPU) -> linear head, as in
karpathy/char-rnn. :meth:`CharLSTM.trace` returns, per layer and per character, the input,
forget and output gates, the cell candidate, the cell state and the hidden state, computed
from the model's own weights and checked against ``nn.LSTM`` in the tests.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple, TypeVar

import torch
import torch.nn.functional as F
from torch import nn

from playground.errors import ModelConfigError, TextInputError
from playground.text import Vocab

State = tuple[torch.Tensor, torch.Tensor]  # (h, c), each (layers, B, H)
T_ = TypeVar("T_")


@dataclass(frozen=True)
class ModelConfig:
    """Shape of a :class:`CharLSTM`."""

    vocab_size: int
    hidden: int = 256
    layers: int = 2
    embed: int = 64
    dropout: float = 0.0

    def __post_init__(self) -> None:
        if self.vocab_size < 2:
            raise ModelConfigError("A character model needs at least two characters in its vocabulary.")
        if not 1 <= self.layers <= 8:
            raise ModelConfigError(f"Layers must be between 1 and 8, not {self.layers}.")
        if not 1 <= self.hidden <= 4096:
            raise ModelConfigError(f"Hidden size must be between 1 and 4096, not {self.hidden}.")
        if not 1 <= self.embed <= 4096:
            raise ModelConfigError(f"Embedding size must be between 1 and 4096, not {self.embed}.")
        if not 0.0 <= self.dropout < 1.0:
            raise ModelConfigError(f"Dropout must be in [0, 1), not {self.dropout}.")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Gates(NamedTuple):
    """One LSTM layer's internals. Each tensor is ``(..., H)``: per character when traced."""

    input: torch.Tensor  # i = sigmoid(.)  how much of the candidate enters the cell
    forget: torch.Tensor  # f = sigmoid(.)  how much of the old cell is kept
    cell: torch.Tensor  # g = tanh(.)     the candidate written to the cell
    output: torch.Tensor  # o = sigmoid(.)  how much of the cell is shown as h


class LayerTrace(NamedTuple):
    """A layer over a text: its gates, cell state ``c`` and hidden state ``h``, each ``(T, H)``."""

    gates: Gates
    c: torch.Tensor
    h: torch.Tensor


@dataclass(frozen=True)
class Trace:
    """Everything the model computed over a text: per layer internals and next-char logits."""

    text: str
    ids: torch.Tensor  # (T,)
    layers: tuple[LayerTrace, ...]
    logits: torch.Tensor  # (T, V): row t predicts the character after position t

    def probabilities(self) -> torch.Tensor:
        """Softmax of the logits, ``(T, V)``."""
        return torch.softmax(self.logits, dim=-1)


def gates_from(preact: torch.Tensor) -> Gates:
    """Split the fused pre-activations ``(..., 4H)`` in PyTorch's order i, f, g, o."""
    i, f, g, o = preact.chunk(4, dim=-1)
    return Gates(torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o))


def lstm_step(
    x: torch.Tensor, h: torch.Tensor, c: torch.Tensor, w_ih: torch.Tensor, w_hh: torch.Tensor,
    bias: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, Gates]:
    """One LSTM step from one fused linear and a split; returns ``(h, c, gates)``.

    ``x`` is ``(B, In)``, ``h`` and ``c`` are ``(B, H)``; ``bias`` is ``b_ih + b_hh``.
    """
    gates = gates_from(torch.addmm(bias, x, w_ih.t()) + h @ w_hh.t())  # (B, 4H) -> 4 x (B, H)
    c = gates.forget * c + gates.input * gates.cell  # c_t = f * c_{t-1} + i * g
    h = gates.output * torch.tanh(c)  # h_t = o * tanh(c_t)
    return h, c, gates


class CharLSTM(nn.Module):
    """Embedding, multi-layer LSTM and a linear head over a character :class:`Vocab`.

    Parameters
    ----------
    vocab:
        The characters the model reads and writes.
    hidden, layers, embed, dropout:
        Sizes; dropout applies between LSTM layers and before the head, in training only.
    """

    def __init__(
        self, vocab: Vocab, hidden: int = 256, layers: int = 2, embed: int = 64, dropout: float = 0.0
    ) -> None:
        super().__init__()
        self.vocab = vocab
        self.config = ModelConfig(len(vocab), hidden, layers, embed, dropout)
        self.embed = nn.Embedding(len(vocab), embed)
        self.lstm = nn.LSTM(embed, hidden, layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, len(vocab))

    @property
    def device(self) -> torch.device:
        return self.head.weight.device

    def __repr__(self) -> str:
        n = sum(p.numel() for p in self.parameters())
        c = self.config
        return (
            f"CharLSTM({c.layers} layers x {c.hidden} hidden, embed {c.embed}, "
            f"{c.vocab_size} chars, {n:,} parameters, on {self.device})"
        )

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def initial_state(self, batch: int = 1) -> State:
        """Zero ``(h, c)``, each ``(layers, batch, hidden)``."""
        shape = (self.config.layers, batch, self.config.hidden)
        zeros = torch.zeros(shape, device=self.device)
        return zeros, zeros.clone()

    def forward(self, ids: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """Logits for the next character at every position.

        ``ids`` is ``(B, T)``; returns logits ``(B, T, V)`` and the final ``(h, c)``.
        """
        x = self.embed(ids)  # (B, T, E)
        out, state = self.lstm(x, state)  # (B, T, H)
        return self.head(self.drop(out)), state  # (B, T, V)

    def layer_weights(self, layer: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(W_ih (4H, In), W_hh (4H, H), b_ih + b_hh (4H,))`` of one layer."""
        w_ih = getattr(self.lstm, f"weight_ih_l{layer}")
        w_hh = getattr(self.lstm, f"weight_hh_l{layer}")
        bias = getattr(self.lstm, f"bias_ih_l{layer}") + getattr(self.lstm, f"bias_hh_l{layer}")
        return w_ih, w_hh, bias

    @torch.no_grad()
    def trace(self, text: str, state: State | None = None) -> Trace:
        """Run over ``text`` and return every gate, cell and hidden state, per layer and character.

        Characters the vocabulary has never seen are skipped (see ``vocab.encode``). Each layer
        runs through ``nn.LSTM``'s fused kernel for its hidden states; the gates then come from
        batched matrix products over all positions (input half, then the recurrent half added
        in place), and the cell state from ``c_t = f_t * c_{t-1} + i_t * g_t``. (Stepping the
        layer to keep the gates as it goes was measured slower on the CPU: the fused kernel's
        one-row products beat MKL's, so reading ``W_hh`` twice costs less.)

        On a CPU with a core to spare and layers of :data:`PIPELINE_HIDDEN` units or more, the
        kernel runs in chunks of :data:`PIPELINE_CHUNK` characters and a worker thread computes
        each chunk's gates while the kernel runs the next (the kernel hands over the exact cell
        state at each chunk's end), so the extra products cost little wall time.
        """
        enc = self.vocab.encode(text)
        ids = enc.tensor().to(self.device)
        kept = self.vocab.decode(enc.ids)
        if not kept:
            raise TextInputError("There is nothing to trace: the text has no character this model knows."
                                 if text else "There is nothing to trace: the text is empty.")
        if state is None:
            state = self.initial_state(1)
        h0, c0 = state
        pipelined = self._pipelined()
        chunk = PIPELINE_CHUNK if pipelined else max(1, ids.numel())
        run = _gate_worker().submit if pipelined else _at_once
        x = self.embed(ids)  # (T, E)
        pending: list[tuple[list[Future[tuple[Gates, torch.Tensor]]], torch.Tensor]] = []
        for k in range(self.config.layers):
            w_ih, w_hh, bias = self.layer_weights(k)
            h, c = h0[k], c0[k]  # (1, H): the state entering the chunk
            outs, parts = [], []
            for start in range(0, ids.numel(), chunk):
                xs = x[start : start + chunk]
                out, (h_end, c_end) = _single_layer(xs, h, c, w_ih, w_hh, bias)  # (t, H)
                parts.append(run(_chunk_gates, xs, out, h, c, w_ih, w_hh, bias))
                outs.append(out)
                h, c = h_end[0], c_end[0]
            x = outs[0] if len(outs) == 1 else torch.cat(outs)  # (T, H): the next layer's input
            pending.append((parts, x))
        logits = self.head(x)  # (T, V)
        layers = tuple(_cpu(_joined([p.result() for p in parts], h_seq)) for parts, h_seq in pending)
        return Trace(kept, ids.cpu(), layers, logits.cpu())

    def _pipelined(self) -> bool:
        return (self.device.type == "cpu" and self.config.hidden >= PIPELINE_HIDDEN
                and (os.cpu_count() or 1) > 1)

    @torch.no_grad()
    def evaluate(self, text: str, batch_chars: int = 65_536) -> float:
        """Mean cross-entropy of predicting each character of ``text`` from the ones before it.

        In nats per character; unknown characters are skipped (``vocab.encode``). The text is
        read in chunks whose state carries over, so the figure is that of one long pass.
        """
        self_training = self.training
        self.eval()
        ids = self.vocab.encode(text).tensor().to(self.device)
        if ids.numel() < 2:
            raise TextInputError("Evaluation needs at least two known characters of text.")
        total, count = 0.0, 0
        state: State | None = None
        for start in range(0, ids.numel() - 1, batch_chars):
            chunk = ids[start : start + batch_chars + 1]
            logits, state = self(chunk[:-1].unsqueeze(0), state)
            loss = F.cross_entropy(logits[0].float(), chunk[1:], reduction="sum")
            total += float(loss)
            count += chunk.numel() - 1
        self.train(self_training)
        return total / count


def _single_layer(
    x: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor, w_ih: torch.Tensor, w_hh: torch.Tensor,
    bias: torch.Tensor,
) -> tuple[torch.Tensor, State]:
    """One LSTM layer over a sequence with the fused kernel: ``x (T, In) -> h (T, H)``."""
    zeros = torch.zeros_like(bias)
    out, h, c = torch.lstm(  # the op behind nn.LSTM, with one layer's weights
        x.unsqueeze(0), (h0.unsqueeze(0), c0.unsqueeze(0)), [w_ih, w_hh, bias, zeros],
        True, 1, 0.0, False, False, True,
    )
    return out[0], (h, c)


#: Hidden size from which a CPU trace computes gates on a worker thread, a chunk behind the
#: fused kernel. Below it the chunks' Python overhead costs more than the second core saves
#: (``benchmarks/bench_engine.py``: on 2 cores, 2x256 and 3x512 traces fall from 1.7x the
#: forward to 1.1-1.3x; 2x128 stays about 2x either way).
PIPELINE_HIDDEN = 256
PIPELINE_CHUNK = 250  #: characters per chunk of a pipelined trace

_worker: ThreadPoolExecutor | None = None
_worker_lock = threading.Lock()


def _gate_worker() -> ThreadPoolExecutor:
    """The one thread that computes traced gates beside the fused kernel (started on first use)."""
    global _worker
    with _worker_lock:
        if _worker is None:
            _worker = ThreadPoolExecutor(1, thread_name_prefix="playground-trace")
        return _worker


def _at_once(fn: Callable[..., T_], *args: Any) -> Future[T_]:
    """``fn(*args)`` now, as a finished future: the same interface as the worker's ``submit``."""
    done: Future[T_] = Future()
    done.set_result(fn(*args))
    return done


@torch.no_grad()  # grad mode is per thread: the worker needs its own
def _chunk_gates(
    x: torch.Tensor, h_seq: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor, w_ih: torch.Tensor,
    w_hh: torch.Tensor, bias: torch.Tensor,
) -> tuple[Gates, torch.Tensor]:
    """Gates and cell states of a chunk ``(t, H)`` from its input, outputs and entering state."""
    pre = torch.addmm(bias, x, w_ih.t())  # (t, 4H): input half of the gates, all at once
    h_prev = torch.cat([h0, h_seq[:-1]], dim=0)  # (t, H): h_{t-1}
    gates = gates_from(pre.addmm_(h_prev, w_hh.t()))  # 4 x (t, H): + recurrent half
    return gates, _cell_recurrence(gates, c0[0])


def _joined(parts: list[tuple[Gates, torch.Tensor]], h_seq: torch.Tensor) -> LayerTrace:
    if len(parts) == 1:
        return LayerTrace(parts[0][0], parts[0][1], h_seq)
    gates = Gates(*(torch.cat(q) for q in zip(*(g for g, _ in parts))))
    return LayerTrace(gates, torch.cat([c for _, c in parts]), h_seq)


def _cell_recurrence(gates: Gates, c0: torch.Tensor) -> torch.Tensor:
    """``c_t = f_t * c_{t-1} + i_t * g_t`` for all t; ``c0`` is ``(H,)``; returns ``(T, H)``.

    The recurrence is linear in ``c``, so it runs in blocks of ``K ~ sqrt(T)`` steps: every
    block at once, step by step within the blocks, from a zero cell (``K`` vectorised steps);
    then block by block, adding the cell carried in times the block's running product of
    forget gates (``T / K`` steps). About ``3 sqrt(T)`` small operations instead of ``T``.
    """
    f, b0 = gates.forget, gates.input * gates.cell  # (T, H): multiplier of the cell before, what is written
    steps, hidden = b0.shape
    if steps == 0:
        return b0
    k = max(1, math.isqrt(steps - 1) + 1)  # block length
    n = -(-steps // k)  # blocks
    a = f.new_ones(n * k, hidden)
    b = f.new_zeros(n * k, hidden)
    a[:steps], b[:steps] = f, b0  # padded with c -> 1 * c + 0
    a, b = a.view(n, k, hidden), b.view(n, k, hidden)
    for j in range(1, k):  # within each block, from a zero cell at its start
        b[:, j].addcmul_(a[:, j], b[:, j - 1])  # b_j = a_j * b_{j-1} + b_j
        a[:, j].mul_(a[:, j - 1])  # a_j = a_j * a_{j-1}: forget gates since the block began
    carry = c0
    for m in range(n):  # across blocks: c = b + a * (cell at the block's start)
        b[m].addcmul_(a[m], carry)
        carry = b[m, -1]
    return b.view(n * k, hidden)[:steps]


def _cpu(layer: LayerTrace) -> LayerTrace:
    g = Gates(*(t.cpu() for t in layer.gates))
    return LayerTrace(g, layer.c.cpu(), layer.h.cpu())
