"""An LSTM layer's internals, named, and the pieces :meth:`CharLSTM.trace` computes them with.

``lstm_step`` is one step from one fused linear and a split (PyTorch's gate order i, f, g, o),
as karpathy/char-rnn names its gates. The rest reads a whole sequence: the fused kernel for
the hidden states (:func:`single_layer`), batched products for the gates
(:func:`chunk_gates`), a blocked scan for the cell state (:func:`cell_recurrence`), and the
worker thread that computes a chunk's gates while the kernel runs the next.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, NamedTuple, TypeVar

import torch

from playground.device import usable_cpus

State = tuple[torch.Tensor, torch.Tensor]  # (h, c)
T_ = TypeVar("T_")


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


def single_layer(
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
#: fused kernel (narrower than NARROW_HIDDEN: with two layers or more, see :func:`pipelined`).
#: Measured with ``benchmarks/bench_engine.py`` over 1,000 characters on the project's 2-core
#: machine (2026-12-03): 2-3 layers of hidden 64 trace at 1.9-2.0x the forward on one core and
#: 1.3-1.85x pipelined in 500-character chunks (the more layers, the more the worker overlaps);
#: hidden 128 at 1.6-1.9x on one core and 1.2-1.75x pipelined in 250-character chunks (about
#: half the runs at or under 1.3x); 256-512 at 1.4-1.7x and 1.04-1.5x. Narrower layers were not
#: measured and stay on one thread.
PIPELINE_HIDDEN = 64
PIPELINE_CHUNK = 250  #: characters per chunk of a pipelined trace, for layers of NARROW_HIDDEN units or more
#: Below this width a kernel call over 250 characters is short next to its fixed cost (about
#: 0.1 ms per kernel call and per gate call there), so chunks are twice as long.
NARROW_HIDDEN = 128


def chunk_length(hidden: int) -> int:
    """Characters per chunk of a pipelined trace of layers ``hidden`` units wide."""
    return PIPELINE_CHUNK if hidden >= NARROW_HIDDEN else 2 * PIPELINE_CHUNK


_worker: ThreadPoolExecutor | None = None
_worker_lock = threading.Lock()


def _forget_worker() -> None:  # a forked child inherits the executor but not its thread
    global _worker
    _worker = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_worker)


def gate_worker() -> ThreadPoolExecutor:
    """The one thread that computes traced gates beside the fused kernel (started on first use)."""
    global _worker
    with _worker_lock:
        if _worker is None:
            _worker = ThreadPoolExecutor(1, thread_name_prefix="playground-trace")
        return _worker


def at_once(fn: Callable[..., T_], *args: Any) -> Future[T_]:
    """``fn(*args)`` now, as a finished future: the same interface as the worker's ``submit``."""
    done: Future[T_] = Future()
    done.set_result(fn(*args))
    return done


@torch.no_grad()  # grad mode is per thread: the worker needs its own
def chunk_gates(
    x: torch.Tensor, h_seq: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor, w_ih: torch.Tensor,
    w_hh: torch.Tensor, bias: torch.Tensor,
) -> tuple[Gates, torch.Tensor]:
    """Gates and cell states of a chunk ``(t, H)`` from its input, outputs and entering state."""
    pre = torch.addmm(bias, x, w_ih.t())  # (t, 4H): input half of the gates, all at once
    h_prev = torch.cat([h0, h_seq[:-1]], dim=0)  # (t, H): h_{t-1}
    gates = activated(pre.addmm_(h_prev, w_hh.t()))  # 4 x (t, H): + recurrent half
    return gates, cell_recurrence(gates, c0[0])


def activated(preact: torch.Tensor) -> Gates:
    """:func:`gates_from` in place over a contiguous ``(T, 4H)``: the gates are views of it.

    One vectorised sigmoid covers all four gates, with ``tanh(x) = 2 sigmoid(2x) - 1`` for the
    candidate (within 2.4e-7 of ``torch.tanh``): on the CPU ``torch.tanh`` of a column slice
    runs about five times slower per element than ``sigmoid`` of the whole block.
    """
    hidden = preact.shape[-1] // 4
    cand = preact[..., 2 * hidden : 3 * hidden]
    cand.mul_(2)
    preact.sigmoid_()
    cand.mul_(2).sub_(1)
    i, f, g, o = preact.chunk(4, dim=-1)
    return Gates(i, f, g, o)


def joined(parts: list[tuple[Gates, torch.Tensor]], h_seq: torch.Tensor) -> LayerTrace:
    if len(parts) == 1:
        return LayerTrace(parts[0][0], parts[0][1], h_seq)
    gates = Gates(*(torch.cat(q) for q in zip(*(g for g, _ in parts))))
    return LayerTrace(gates, torch.cat([c for _, c in parts]), h_seq)


def cell_recurrence(gates: Gates, c0: torch.Tensor) -> torch.Tensor:
    """``c_t = f_t * c_{t-1} + i_t * g_t`` for all t; ``c0`` is ``(H,)``; returns ``(T, H)``.

    The recurrence is linear in ``c``, so it runs in blocks of ``K ~ sqrt(T)`` steps: every
    block at once, step by step within the blocks, from a zero cell (``K`` vectorised steps);
    then block by block, adding the cell carried in times the block's running product of
    forget gates (``T / K`` steps). About ``2 sqrt(T)`` small operations instead of ``T``. The
    blocks are laid out step-major, ``(K, blocks, H)``, so each vectorised step reads one
    contiguous slab, and the slabs are taken with one ``unbind`` rather than one index each.
    """
    f, written = gates.forget, gates.input * gates.cell  # (T, H): multiplier of the cell before, what is written
    steps, hidden = written.shape
    if steps == 0:
        return written
    k = max(1, math.isqrt(steps - 1) + 1)  # block length
    n = -(-steps // k)  # blocks
    a = _step_major(f, k, n, pad=1.0)  # copies (the gates are left as they were); padded with
    b = _step_major(written, k, n, pad=0.0)  # c -> 1 * c + 0
    a_at, b_at = a.unbind(0), b.unbind(0)
    for j in range(1, k):  # within each block, from a zero cell at its start
        b_at[j].addcmul_(a_at[j], b_at[j - 1])  # b_j = a_j * b_{j-1} + b_j
        a_at[j].mul_(a_at[j - 1])  # a_j = a_j * a_{j-1}: forget gates since the block began
    carry, carries = c0, [c0]  # the cell entering each block
    for end_b, end_a in zip(b_at[-1].unbind(0)[:-1], a_at[-1].unbind(0)[:-1]):
        carry = torch.addcmul(end_b, end_a, carry)
        carries.append(carry)
    b.addcmul_(a, torch.stack(carries))  # c = b + a * (cell at the block's start)
    return b.transpose(0, 1).reshape(n * k, hidden)[:steps]


def _step_major(x: torch.Tensor, k: int, n: int, pad: float) -> torch.Tensor:
    """``x (T, H)`` copied into ``(k, n, H)``, ``[j, m]`` = step ``j`` of block ``m``; ``pad`` past T."""
    out = x.new_full((k, n, x.shape[1]), pad)
    blocks = out.transpose(0, 1)  # (n, k, H) view
    full, rest = divmod(x.shape[0], k)
    blocks[:full].copy_(x[: full * k].view(full, k, -1))
    if rest:
        blocks[full, :rest].copy_(x[full * k :])
    return out


def to_cpu(layer: LayerTrace) -> LayerTrace:
    g = Gates(*(t.cpu() for t in layer.gates))
    return LayerTrace(g, layer.c.cpu(), layer.h.cpu())


def pipelined(device: torch.device, hidden: int, layers: int = 1) -> bool:
    """Whether a trace on ``device`` of ``layers`` layers this wide computes its gates on the
    worker: only with a second core this process may use (on one, the worker only adds
    overhead), and for a narrow model only with two layers or more (one narrow layer came out
    no faster pipelined: 1.7-2.0x against 1.8-1.9x on one core)."""
    wide_enough = hidden >= PIPELINE_HIDDEN and (hidden >= NARROW_HIDDEN or layers > 1)
    return device.type == "cpu" and wide_enough and usable_cpus() > 1
