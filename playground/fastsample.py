"""Fast sampling: the naive loop's text for the same seed, without its per-character overhead.

The naive loop (:func:`naive_stream_batch`, the reference) steps ``nn.LSTM`` one character at a
time through the module call, then temperature, top-k, top-p, softmax and a multinomial draw,
row by row in Python. Most of a character's time there is framework overhead, not arithmetic.
:class:`Stepper` does the same arithmetic with nothing a gate step does not need:

- the weights are fused once (and re-fused when training changes them): the embedding is
  folded into layer 0's input weights, a ``(V, 4H)`` table of which one row is read per
  character; layers above read ``[h_below, h_own]`` with ONE matrix ``[W_ih | W_hh]``; the gates
  are reordered to ``i, f, o, g`` so one ``sigmoid_`` and one ``tanh_`` cover them;
- all state lives in preallocated buffers updated in place, under ``torch.inference_mode``;
- every row of the batch (several temperatures or sequences) shares each weight read;
- the draw is ``argmax(p / q)`` with ``q ~ Exp(1)``, exactly what ``torch.multinomial`` does for
  one sample (same generator consumption, so the same seed gives the same text), minus the
  validity checks that make it synchronise with the host.

On CUDA the same step, repeated ``CHUNK`` times (all layers, head, temperature, top-k, top-p
and the draw), is captured once as a CUDA graph and replayed: a character costs one share of
a graph launch. The captured function is :meth:`Stepper.run`, the very one the CPU runs eagerly
(and the tests check against the naive loop), so the graph cannot compute something else.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import torch

from playground import sampling
from playground.model import CharLSTM

CHUNK = 32  #: characters computed per host round trip (and per CUDA graph replay)
_REORDER_CACHE: dict[tuple[int, str], torch.Tensor] = {}


def naive_stream_batch(
    model: CharLSTM, prompt: str, length: int, temperatures: Sequence[float], top_k: int | None,
    top_p: float | None, seed: int,
) -> Iterator[list[tuple[str, float]]]:
    """The reference loop: ``nn.LSTM`` one character at a time, per-row settings and a draw.

    This is the loop :func:`playground.sampling.generate` used before the fast sampler, kept as
    the oracle of the tests and the baseline of the benchmarks (and for devices the fast path
    does not cover).
    """
    gen = torch.Generator(device=model.device)
    gen.manual_seed(seed)
    with torch.no_grad():
        logits, state = sampling.prime(model, prompt, batch=len(temperatures))  # (B, V)
    chars = model.vocab.chars
    rows = torch.arange(len(temperatures), device=model.device)
    for _ in range(length):
        with torch.no_grad():
            probs = torch.stack(
                [sampling.probabilities(logits[b], t, top_k, top_p) for b, t in enumerate(temperatures)]
            )  # (B, V)
            nxt = sampling.draw(probs, gen)  # (B,)
            p = probs[rows, nxt].tolist()
        yield [(chars[i], pi) for i, pi in zip(nxt.tolist(), p)]
        with torch.no_grad():
            out, state = model(nxt.unsqueeze(1), state)  # (B, 1, V)
            logits = sampling.known(out[:, -1])


# --------------------------------------------------------------------------- fused weights


def _gate_order(hidden: int, device: torch.device) -> torch.Tensor:
    """Row permutation taking PyTorch's gate order ``i, f, g, o`` to ``i, f, o, g``."""
    key = (hidden, str(device))
    if key not in _REORDER_CACHE:
        h = hidden
        _REORDER_CACHE[key] = torch.cat(
            [torch.arange(0, 2 * h), torch.arange(3 * h, 4 * h), torch.arange(2 * h, 3 * h)]
        ).to(device)
    return _REORDER_CACHE[key]


@dataclass(frozen=True, eq=False)  # identity: one object per fusing, usable as a cache key
class FusedWeights:
    """A model's weights arranged for one-character steps (a copy; see :func:`fused`).

    ``table`` is ``(V, 4H)``: ``embed @ W_ih0^T + b_ih0 + b_hh0``, so layer 0 reads one row per
    character instead of multiplying the embedding. ``w_hh0`` is ``W_hh0^T`` ``(H, 4H)``; ``w[k]``
    for layers ``k >= 1`` is ``[W_ih | W_hh]^T`` ``(2H, 4H)`` with bias ``b[k]``; gate columns are
    ``i, f, o, g``. The matrices are stored transposed and contiguous, ``x @ W`` row by row, which
    MKL runs faster for one row than ``x @ W.t()`` (about 25% on the AMD EPYC we measured on).
    """

    table: torch.Tensor  # (V, 4H)
    w_hh0: torch.Tensor  # (H, 4H)
    w: tuple[torch.Tensor, ...]  # layers 1..L-1: (2H, 4H)
    b: tuple[torch.Tensor, ...]  # layers 1..L-1: (4H,)
    head_w: torch.Tensor  # (H, V)
    head_b: torch.Tensor  # (V,)
    hidden: int
    layers: int
    vocab_size: int
    #: captured CUDA graphs not in use, by (batch, top_k, top_p); they go when these weights go
    graphs: dict[tuple[object, ...], list[GraphedStepper]] = field(default_factory=dict, repr=False)
    _transposed: list[tuple[torch.Tensor, ...]] = field(default_factory=list, repr=False)

    def matrices(self, batch: int) -> tuple[torch.Tensor, ...]:
        """``(W_hh0, W_1, ..., head)`` as ``x @ W`` operands laid out for ``batch`` rows.

        One row: the contiguous ``(In, 4H)`` matrices. Several rows on the CPU: transposed views
        of contiguous ``(4H, In)`` copies (made once), MKL's faster layout for a few rows there.
        """
        mats = (self.w_hh0, *self.w, self.head_w)
        if batch == 1 or self.table.device.type != "cpu":
            return mats
        if not self._transposed:
            self._transposed.append(tuple(m.t().contiguous().t() for m in mats))
        return self._transposed[0]

    def bytes_per_step(self) -> int:
        """Bytes of weights one step reads (one table row, every matrix once, the head)."""
        mats = [self.w_hh0, *self.w, *self.b, self.head_w, self.head_b]
        row = self.table.shape[1] * self.table.element_size()
        return row + sum(t.numel() * t.element_size() for t in mats)


def _signature(model: CharLSTM) -> tuple[object, ...]:
    """Changes whenever a parameter is replaced or updated in place (optimiser, load_state_dict)."""
    return tuple((p.data_ptr(), p._version, p.dtype, str(p.device)) for p in model.parameters())


_FUSED: weakref.WeakKeyDictionary[CharLSTM, tuple[tuple[object, ...], FusedWeights]] = (
    weakref.WeakKeyDictionary()
)
_FUSED_LOCK = threading.Lock()


@torch.inference_mode()
def _fuse(model: CharLSTM) -> FusedWeights:
    cfg = model.config
    order = _gate_order(cfg.hidden, model.device)
    w_ih0, w_hh0, b0 = (t.detach() for t in model.layer_weights(0))
    table = torch.addmm(b0, model.embed.weight.detach(), w_ih0.t())[:, order].contiguous()
    ws, bs = [], []
    for k in range(1, cfg.layers):
        w_ih, w_hh, b = (t.detach() for t in model.layer_weights(k))
        ws.append(torch.cat([w_ih, w_hh], dim=1)[order].t().contiguous())  # (2H, 4H)
        bs.append(b[order].contiguous())
    return FusedWeights(
        table, w_hh0[order].t().contiguous(), tuple(ws), tuple(bs),
        model.head.weight.detach().t().contiguous(), sampling.known(model.head.bias.detach()),
        cfg.hidden, cfg.layers, cfg.vocab_size,
    )


def fused(model: CharLSTM) -> FusedWeights:
    """The model's :class:`FusedWeights`, cached until a parameter changes."""
    sig = _signature(model)
    with _FUSED_LOCK:
        hit = _FUSED.get(model)
        if hit is not None and hit[0] == sig:
            return hit[1]
    weights = _fuse(model)
    with _FUSED_LOCK:
        _FUSED[model] = (sig, weights)
    return weights


# --------------------------------------------------------------------------- the step


class Stepper:
    """Static buffers and the batched step: sample from ``logits``, then advance the model.

    The state, the model's buffers and the outputs are allocated here once and :meth:`run`
    writes into them in place (only the sampling's small temporaries are allocated per step;
    under capture they come from the graph's private pool), so the same call can be captured
    as a CUDA graph. ``general=True`` keeps the greedy branch in the step whatever the
    temperatures are (a captured graph must serve any temperatures it is given later).

    Parameters
    ----------
    weights:
        From :func:`fused`.
    temperatures:
        One per row of the batch (0 is greedy).
    top_k, top_p:
        As in :func:`playground.sampling.probabilities`; ``None`` leaves them out.
    steps:
        Characters per :meth:`run` (the output buffers' length).
    keep_distributions:
        Also store every step's sampling distribution in ``out_probs`` (for tests).
    """

    def __init__(
        self, weights: FusedWeights, temperatures: Sequence[float], top_k: int | None,
        top_p: float | None, steps: int = CHUNK, general: bool = False,
        keep_distributions: bool = False,
    ) -> None:
        w = self.weights = weights
        dev = w.table.device
        b, h, v = len(temperatures), w.hidden, w.vocab_size
        self.batch, self.steps = b, steps
        self.mats = w.matrices(b)
        self.top_k = top_k if top_k is not None and top_k < v else None
        self.top_p = top_p if top_p is not None and top_p < 1.0 else None
        greedy = [t == 0 for t in temperatures]
        self.with_greedy = general or any(greedy)
        self.with_temperature = general or not all(greedy)
        self.generator = torch.Generator(device=dev)
        with torch.inference_mode():
            f32 = torch.float32
            self.temps = torch.tensor([[t if t > 0 else 1.0] for t in temperatures], dtype=f32, device=dev)
            self.greedy = torch.tensor([[g] for g in greedy], dtype=torch.bool, device=dev)  # (B, 1)
            self.ids = torch.zeros(b, dtype=torch.long, device=dev)  # (B,) the last character
            self.hs = torch.zeros(b, w.layers * h, device=dev)  # (B, L*H): layer k at [kH, (k+1)H)
            self.cs = torch.zeros(w.layers, b, h, device=dev)  # (L, B, H)
            self.gates = torch.zeros(b, 4 * h, device=dev)  # (B, 4H) in order i, f, o, g
            self.rows = torch.zeros(b, 4 * h, device=dev)  # (B, 4H) table rows of ids
            self.tanh_c = torch.zeros(b, h, device=dev)
            self.logits = torch.zeros(b, v, device=dev)  # (B, V) scores of the next character
            self.noise = torch.zeros(b, v, device=dev)  # (B, V) q ~ Exp(1) of the draw
            self.out_ids = torch.zeros(steps, b, dtype=torch.long, device=dev)
            self.out_p = torch.zeros(steps, b, device=dev)
            self.out_probs = torch.zeros(steps, b, v, device=dev) if keep_distributions else None

    @torch.inference_mode()
    def load(self, logits: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor], seed: int) -> None:
        """Start from primed ``logits (B, V)`` and ``(h, c)`` (each ``(L, B, H)``); seed the draw."""
        h, c = state
        self.logits.copy_(logits)
        self.hs.copy_(h.permute(1, 0, 2).reshape(self.batch, -1))  # (B, L*H)
        self.cs.copy_(c)
        self.generator.manual_seed(seed)

    def distribution(self) -> torch.Tensor:
        """The sampling distribution ``(B, V)`` of the current logits (fresh tensor)."""
        z = self.logits
        if self.with_temperature:
            z = z / self.temps  # (B, V) logits / T, row by row
        if self.with_greedy:  # T = 0: only the argmax survives
            best = torch.full_like(z, -math.inf).scatter_(-1, self.logits.argmax(-1, keepdim=True), 0.0)
            z = torch.where(self.greedy, best, z)
        if self.top_k is not None:  # keep the k largest of each row
            kth = torch.topk(z, self.top_k, dim=-1).values[:, -1:]  # (B, 1)
            z = z.masked_fill(z < kth, -math.inf)
        if self.top_p is not None:  # keep the smallest set reaching p
            sorted_z, order = torch.sort(z, dim=-1, descending=True)
            sp = torch.softmax(sorted_z, dim=-1)
            drop_sorted = (torch.cumsum(sp, dim=-1) - sp) >= self.top_p  # mass ranked above >= p
            z = z.masked_fill(torch.zeros_like(drop_sorted).scatter_(-1, order, drop_sorted), -math.inf)
        return torch.softmax(z, dim=-1)

    def advance(self) -> None:
        """Feed ``ids`` through every layer and the head, in place: new ``hs``, ``cs``, ``logits``."""
        w, h, mats = self.weights, self.weights.hidden, self.mats
        g = self.gates
        for k in range(w.layers):
            if k == 0:  # table row (input part and both biases) + W_hh0 h0
                torch.index_select(w.table, 0, self.ids, out=self.rows)
                torch.addmm(self.rows, self.hs[:, :h], mats[0], out=g)
            else:  # [h_{k-1} (new), h_k (old)] is one contiguous column range of hs
                torch.addmm(w.b[k - 1], self.hs[:, (k - 1) * h : (k + 1) * h], mats[k], out=g)
            g[:, : 3 * h].sigmoid_()  # i, f, o
            g[:, 3 * h :].tanh_()  # g, the candidate
            c = self.cs[k]
            c.mul_(g[:, h : 2 * h]).addcmul_(g[:, :h], g[:, 3 * h :])  # c = f * c + i * g
            torch.tanh(c, out=self.tanh_c)
            torch.mul(g[:, 2 * h : 3 * h], self.tanh_c, out=self.hs[:, k * h : (k + 1) * h])  # h = o * tanh(c)
        top = self.hs[:, (w.layers - 1) * h :]
        torch.addmm(w.head_b, top, mats[-1], out=self.logits)  # (B, V)

    def step(self, j: int) -> None:
        """Draw character ``j`` of the chunk from ``logits``, record it, and advance the model."""
        probs = self.distribution()  # (B, V)
        self.noise.exponential_(1.0, generator=self.generator)  # q ~ Exp(1), as multinomial draws
        nxt = torch.argmax(probs / self.noise, dim=-1)  # (B,): argmax p / q is a draw from p
        self.out_ids[j].copy_(nxt)
        self.out_p[j].copy_(probs.gather(1, nxt.unsqueeze(1)).squeeze(1))
        if self.out_probs is not None:
            self.out_probs[j].copy_(probs)
        self.ids.copy_(nxt)
        self.advance()

    @torch.inference_mode()
    def run(self, n: int | None = None) -> None:
        """``n`` (default ``steps``) characters into ``out_ids[:n]`` and ``out_p[:n]``."""
        for j in range(self.steps if n is None else n):
            self.step(j)


class GraphedStepper:
    """A :class:`Stepper`'s :meth:`~Stepper.run` captured as one CUDA graph and replayed.

    Raises ``RuntimeError`` if the stepper is not on a CUDA device or capture is unsupported;
    :func:`stream_batch` then runs the stepper eagerly.
    """

    def __init__(self, stepper: Stepper) -> None:
        if stepper.weights.table.device.type != "cuda":
            raise RuntimeError("CUDA graphs need a CUDA device.")
        self.stepper = stepper
        self.graph = torch.cuda.CUDAGraph()
        register = getattr(self.graph, "register_generator_state", None)
        if register is None:  # older torch: a private generator cannot be captured
            raise RuntimeError("This PyTorch cannot capture a private generator in a CUDA graph.")
        register(stepper.generator)
        side = torch.cuda.Stream()  # type: ignore[no-untyped-call]
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):  # warm-up: cuBLAS handles, allocator pools
            stepper.run()
            stepper.run()
        torch.cuda.current_stream().wait_stream(side)
        with torch.cuda.graph(self.graph, capture_error_mode="thread_local"):  # a trainer may use the GPU
            stepper.run()
        torch.cuda.synchronize()

    def run(self) -> None:
        self.graph.replay()


# --------------------------------------------------------------------------- the streams

_GRAPHS_LOCK = threading.Lock()
_CAPTURE = {"works": True}  # set False after a failed capture, so later streams go eager at once


def supports(model: CharLSTM) -> bool:
    """Whether the fast path covers this model (float32 weights on the CPU or a CUDA GPU)."""
    p = model.head.weight
    return p.dtype == torch.float32 and p.device.type in ("cpu", "cuda")


def _checkout(weights: FusedWeights, temperatures: Sequence[float], top_k: int | None,
              top_p: float | None) -> GraphedStepper | None:
    """A captured graph for this batch size and filters (the temperatures are loaded, not baked)."""
    key = (len(temperatures), top_k, top_p)
    with _GRAPHS_LOCK:
        free = weights.graphs.setdefault(key, [])
        if free:
            graphed = free.pop()
            _set_temperatures(graphed.stepper, temperatures)
            return graphed
    if not _CAPTURE["works"] or weights.table.device.type != "cuda":
        return None
    try:
        stepper = Stepper(weights, temperatures, top_k, top_p, general=True)
        return GraphedStepper(stepper)
    except Exception:  # no capture here (old driver or PyTorch): the same step runs eagerly
        _CAPTURE["works"] = False
        return None


def _set_temperatures(stepper: Stepper, temperatures: Sequence[float]) -> None:
    with torch.inference_mode():
        stepper.temps.copy_(torch.tensor([[t if t > 0 else 1.0] for t in temperatures]))
        stepper.greedy.copy_(torch.tensor([[t == 0] for t in temperatures]))


def _checkin(weights: FusedWeights, graphed: GraphedStepper, top_k: int | None,
             top_p: float | None) -> None:
    key = (graphed.stepper.batch, top_k, top_p)
    with _GRAPHS_LOCK:
        weights.graphs.setdefault(key, []).append(graphed)


def stream_batch(
    model: CharLSTM, prompt: str, length: int, temperatures: Sequence[float], top_k: int | None,
    top_p: float | None, seed: int, graphs: bool = True,
) -> Iterator[list[tuple[str, float]]]:
    """Yield, per character, ``[(char, probability it had)]`` for each temperature.

    The settings must already be checked (``sampling.check``). On the CPU the text equals
    :func:`naive_stream_batch`'s for the same seed. On CUDA the step runs as a captured graph
    (``graphs=False`` runs it eagerly). Other devices and dtypes use the naive loop.
    """
    seed = sampling.check_seed(seed)
    if not supports(model):
        yield from naive_stream_batch(model, prompt, length, temperatures, top_k, top_p, seed)
        return
    if length == 0:
        return
    weights = fused(model)
    with torch.no_grad():
        logits, state = sampling.prime(model, prompt, batch=len(temperatures))
    chars = model.vocab.chars
    graphed = None
    if graphs and model.device.type == "cuda":
        graphed = _checkout(weights, temperatures, top_k, top_p)
    stepper = graphed.stepper if graphed is not None else Stepper(weights, temperatures, top_k, top_p)
    stepper.load(logits, state, seed)
    try:
        for ids, ps in chunks(stepper, length, graphed.run if graphed is not None else None):
            for row_ids, row_p in zip(ids, ps):
                yield [(chars[i], p) for i, p in zip(row_ids, row_p)]
    finally:
        if graphed is not None:
            _checkin(weights, graphed, top_k, top_p)


def chunks(
    stepper: Stepper, length: int, whole: Callable[[], None] | None = None
) -> Iterator[tuple[list[list[int]], list[list[float]]]]:
    """Run ``length`` characters, yielding ``(ids, probabilities)`` lists per chunk, ``(n, B)``.

    ``whole`` (a graph replay) always runs a whole chunk of ``stepper.steps``; the characters
    beyond ``length`` are dropped. Without it the stepper runs eagerly, exactly ``length`` steps.
    """
    done = 0
    while done < length:
        n = min(stepper.steps, length - done)
        if whole is not None:
            whole()
        else:
            stepper.run(n)
        yield stepper.out_ids[:n].tolist(), stepper.out_p[:n].tolist()
        done += n


def generate_many(
    model: CharLSTM, prompt: str, length: int, temperatures: Sequence[float],
    top_k: int | None = None, top_p: float | None = None, seed: int = 0, graphs: bool = True,
) -> list[str]:
    """One text per temperature from :func:`stream_batch` (for benchmarks and tests)."""
    texts: list[list[str]] = [[] for _ in temperatures]
    for step in stream_batch(model, prompt, length, temperatures, top_k, top_p, seed, graphs):
        for b, (c, _) in enumerate(step):
            texts[b].append(c)
    return ["".join(t) for t in texts]
