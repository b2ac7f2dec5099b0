"""The engine's speed, each figure against a baseline measured in the same run.

- training characters/second of a preset-sized model (2 x 384, vocab 83): the Trainer's step
  against a bare forward/backward/AdamW loop on the same batches;
- ``CharLSTM.trace`` over 1,000 characters against the plain forward (embedding, ``nn.LSTM``,
  head) over the same text, on the torch-rnn grid (1-3 layers, hidden 64-512);
- the fast sampler against the naive loop (``nn.LSTM`` stepped one character at a time, softmax
  and a draw), against the bare matrix products of a step, and against the memory floor (bytes
  of weights read per character / memory bandwidth measured now);
- several temperatures in one batched pass against one pass per temperature;
- on a GPU: the CUDA-graph sampler against the naive loop and the eager step on that GPU;
- resident memory of a Python process with the engine, a model and the widgets imported,
  against Binder's 2 GB.

    python -m benchmarks.run --only engine [--quick] [--json PATH]
    python benchmarks/bench_engine.py [--quick] [--json PATH]
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from benchmarks.run import cpu_model, interleaved, memory_bandwidth, read_bandwidth, row, timed  # noqa: E402
from benchmarks.run import main as run_main  # noqa: E402
from playground import fastsample, lstm_gates  # noqa: E402
from playground.model import CharLSTM  # noqa: E402
from playground.text import Vocab  # noqa: E402
from playground.training import TrainConfig, Trainer  # noqa: E402

PRESET = dict(hidden=384, layers=2, embed=64)  #: the shipped models' size
VOCAB = Vocab([*(chr(c) for c in range(32, 113)), "\n"])  # 81 + newline + unknown = 83, as shipped
GRID = [(layers, hidden) for layers in (1, 2, 3) for hidden in (64, 128, 256, 512)]
QUICK_GRID = [(1, 64), (2, 256)]
BINDER_BYTES = 2 * 2**30
WIDGETS_IN_RSS = True  #: also import every widgets module in the memory figure


def random_text(n: int, seed: int = 0) -> str:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, len(VOCAB), (n,), generator=g).tolist()
    return "".join(VOCAB.chars[i] for i in ids)


def model_of(layers: int, hidden: int, embed: int = 64, device: str = "cpu", seed: int = 0) -> CharLSTM:
    torch.manual_seed(seed)
    return CharLSTM(VOCAB, hidden=hidden, layers=layers, embed=embed).to(device).eval()


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


# --------------------------------------------------------------------------- training


def bench_training(quick: bool, device: str) -> list[dict[str, Any]]:
    batch, seq, steps = (16, 64, 3) if quick else (32, 128, 12)
    text = random_text(50_000 if quick else 200_000)
    cfg = TrainConfig(batch_size=batch, seq_len=seq, max_steps=10_000, warmup=1, device=device, seed=0)
    model = model_of(**PRESET, device=device)
    trainer = Trainer(model, text, text[:5000], cfg)
    dev = trainer.device

    def trainer_step() -> None:
        trainer.train_step()
        _sync(dev)

    bare = model_of(**PRESET, device=device)
    opt = torch.optim.AdamW(bare.parameters(), lr=1e-3)
    ids = VOCAB.encode(text).tensor()
    g = torch.Generator().manual_seed(1)

    def bare_step() -> None:  # the same arithmetic with nothing around it
        starts = torch.randint(0, ids.numel() - seq - 1, (batch,), generator=g)
        idx = starts[:, None] + torch.arange(seq)
        x, y = ids[idx].to(dev), ids[idx + 1].to(dev)
        logits, _ = bare(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(bare.parameters(), 1.0)
        opt.step()
        _sync(dev)

    t_bare = timed(bare_step, steps)
    t_trainer = timed(trainer_step, steps)
    chars = batch * seq
    where = "GPU" if dev.type == "cuda" else "CPU"
    return [row(f"training {where}, 2x384, batch {batch}x{seq}", chars / t_trainer, "chars/s",
                "bare fwd/bwd/AdamW loop", chars / t_bare,
                notes="ratio ~1: the Trainer adds little to the arithmetic")]


def training_gpu_vs_cpu(gpu_rate: float | None, cpu_rate: float, gpu_name: str | None) -> dict[str, Any]:
    """The Trainer's characters/second on the GPU against the CPU, both measured in this run."""
    cpu = f"CPU ({cpu_model()}, {torch.get_num_threads()} threads)"
    if gpu_rate is None or gpu_name is None:
        return row("training GPU vs CPU, 2x384", math.nan, "chars/s", cpu, None,
                   notes=f"no CUDA GPU in this run: only the CPU's {cpu_rate:,.0f} chars/s was measured")
    return row(f"training GPU vs CPU, 2x384, {gpu_name}", gpu_rate, "chars/s", cpu, cpu_rate,
               notes="same batches and steps on each device")


# --------------------------------------------------------------------------- trace


def repeated(fn: Callable[[], object], times: int) -> Callable[[], None]:
    def go() -> None:
        for _ in range(times):
            fn()

    return go


def bench_trace(quick: bool, device: str) -> list[dict[str, Any]]:
    text = random_text(1000, seed=2)
    ids = VOCAB.encode(text).tensor()[None].to(device)
    rows = []
    for layers, hidden in QUICK_GRID if quick else GRID:
        model = model_of(layers, hidden, device=device)
        dev = model.device

        @torch.no_grad()
        def forward(model: CharLSTM = model, dev: torch.device = dev) -> None:
            model(ids)
            _sync(dev)

        def trace(model: CharLSTM = model) -> None:
            model.trace(text)  # returns CPU tensors: includes the copy back

        def trace_one_core(model: CharLSTM = model) -> None:
            limit = lstm_gates.PIPELINE_HIDDEN
            lstm_gates.PIPELINE_HIDDEN = 10**9  # never pipelined: everything on this thread
            try:
                model.trace(text)
            finally:
                lstm_gates.PIPELINE_HIDDEN = limit

        # each timing covers at least ~30 ms (a few calls of a small model), so one call's
        # scheduling hiccup moves a small model's ratio less
        reps = 1 if quick else max(1, round(0.03 / timed(forward, 3)))
        cases = dict(forward=(repeated(forward, reps), float(reps)), trace=(repeated(trace, reps), float(reps)))
        pipelined = model._pipelined()
        if pipelined:
            cases["one_core"] = (repeated(trace_one_core, reps), float(reps))
        rates = interleaved(cases, 3 if quick else 7)
        t_fwd, t_trace = 1 / rates["forward"], 1 / rates["trace"]
        base = "cuDNN forward" if dev.type == "cuda" else "nn.LSTM forward"
        how = (f"gates on a 2nd core, a chunk behind the kernel; all on 1 core: "
               f"{rates['forward'] / rates['one_core']:.2f}x" if pipelined else "all on this thread")
        rows.append(row(f"trace 1000 chars, {layers}x{hidden}", t_trace * 1e3, "ms", base, t_fwd * 1e3,
                        notes=f"ratio = cost of exposing every gate (aim <= 1.3); {how}"))
    return rows


# --------------------------------------------------------------------------- sampling


def _naive(model: CharLSTM, n: int, temps: list[float]) -> tuple[Any, float]:
    def go() -> None:
        for _ in fastsample.naive_stream_batch(model, "The ", n, temps, None, None, 1):
            pass

    return go, float(n * len(temps))


def _fast(model: CharLSTM, n: int, temps: list[float], graphs: bool = True) -> tuple[Any, float]:
    def go() -> None:
        for _ in fastsample.stream_batch(model, "The ", n, temps, None, None, 1, graphs=graphs):
            pass

    return go, float(n * len(temps))


def _bare(model: CharLSTM, n: int) -> tuple[Any, float]:
    """Only the matrix products of ``n`` steps (the arithmetic no sampler can skip)."""
    w = fastsample.fused(model)
    h = w.hidden
    x = torch.zeros(1, 2 * h, device=model.device)
    out = torch.zeros(1, 4 * h, device=model.device)
    logits = torch.zeros(1, w.vocab_size, device=model.device)

    @torch.inference_mode()
    def go() -> None:
        for _ in range(n):
            torch.addmm(w.table[:1], x[:, :h], w.w_hh0, out=out)
            for k in range(1, w.layers):
                torch.addmm(w.b[k - 1], x, w.w[k - 1], out=out)
            torch.addmm(w.head_b, x[:, :h], w.head_w, out=logits)
        _sync(model.device)

    return go, float(n)


def bench_sampler(quick: bool) -> list[dict[str, Any]]:
    model = model_of(**PRESET)
    n_naive, n_fast, rounds = (40, 160, 3) if quick else (200, 1000, 7)
    temps = [0.5, 0.8, 1.0, 1.5]
    r = interleaved(dict(
        naive=_naive(model, n_naive, [1.0]), fast=_fast(model, n_fast, [1.0]), bare=_bare(model, n_fast),
        batched=_fast(model, n_fast // 4, temps),
    ), rounds)
    nbytes = fastsample.fused(model).bytes_per_step()
    dram = memory_bandwidth(128 if quick else 512, reps=2)["read_gb_s"] * 1e9
    cached = read_bandwidth(nbytes) * 1e9
    mb = nbytes / 2**20
    fast = r["fast"]
    return [
        row("sampler CPU, 2x384, 1 sequence", fast, "chars/s", "naive nn.LSTM loop", r["naive"],
            notes="same seed, same text (tests/perf)"),
        row("sampler CPU vs its bare matmuls", fast, "chars/s", "addmm calls only", r["bare"],
            notes="1.0 = no overhead beyond the weight reads"),
        row("sampler CPU vs memory floor (DRAM)", fast, "chars/s", f"{mb:.1f} MB / big-read GB/s",
            dram / nbytes, notes="floor: every weight read once per character from memory"),
        row("sampler CPU vs memory floor (same-size read)", fast, "chars/s",
            f"{mb:.1f} MB / {mb:.1f}-MB-read GB/s", cached / nbytes,
            notes="floor when the weights stay in cache (a sum reads them at this speed)"),
        row("4 temperatures in one pass", r["batched"], "chars/s", "one pass per temperature", fast,
            notes="ratio > 1: rows share each weight read"),
    ]


def bench_gpu_sampler(quick: bool) -> list[dict[str, Any]]:
    model = model_of(**PRESET, device="cuda")
    n_naive, n_fast, rounds = (100, 2000, 3) if quick else (500, 20_000, 5)
    r = interleaved(dict(
        naive=_naive(model, n_naive, [1.0]), graphed=_fast(model, n_fast, [1.0], graphs=True),
        eager=_fast(model, n_naive, [1.0], graphs=False),
        many=_fast(model, n_fast // 4, [0.5, 0.8, 1.0, 1.5] * 4, graphs=True),
    ), rounds)
    naive, graphed, eager, many = r["naive"], r["graphed"], r["eager"], r["many"]
    name = torch.cuda.get_device_name(0)
    return [
        row(f"sampler GPU (CUDA graph), 2x384, {name}", graphed, "chars/s", "naive nn.LSTM loop, same GPU",
            naive, notes="aim >= 10"),
        row("sampler GPU: graph vs eager step", graphed, "chars/s", "same step, not captured", eager),
        row("sampler GPU: 16 sequences in one graph", many, "chars/s", "1 sequence", graphed),
    ]


# --------------------------------------------------------------------------- memory

_RSS_SCRIPT = r"""
import importlib, json, pathlib, sys
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) * 1024
out = {"python": rss()}
import torch
from playground import sampling
from playground.model import CharLSTM
from playground.text import Vocab
torch.set_num_threads(1)
m = CharLSTM(Vocab(chr(c) for c in range(32, 114)), hidden=384, layers=2, embed=64).eval()
sampling.generate(m, "The ", 50, seed=0)
m.trace("The quick brown fox " * 50)
out["engine"] = rss()
failed = []
for p in sorted(pathlib.Path("widgets").glob("*.py")) if sys.argv[1] == "1" else []:
    try:
        importlib.import_module("widgets." + p.stem)
    except Exception as err:
        failed.append(f"{p.stem}: {type(err).__name__}")
out["widgets"] = rss()
out["failed"] = failed
print(json.dumps(out))
"""


def bench_memory() -> list[dict[str, Any]]:
    root = HERE.parent
    done = subprocess.run([sys.executable, "-c", _RSS_SCRIPT, str(int(WIDGETS_IN_RSS))], cwd=root, capture_output=True, text=True,
                          timeout=180, check=True)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    mb = 2**20
    failed = f"; import failed: {', '.join(out['failed'])}" if out["failed"] else ""
    rows = [row("RSS: engine + 2x384 model, sampled and traced", out["engine"] / mb, "MB", "Binder limit",
                BINDER_BYTES / mb, notes="aim < 500 MB")]
    if WIDGETS_IN_RSS:
        rows.append(row("RSS: + every widgets module imported", out["widgets"] / mb, "MB", "Binder limit",
                        BINDER_BYTES / mb, notes="imports only, no views built" + failed))
    return rows


# --------------------------------------------------------------------------- entry points


def run(quick: bool) -> list[dict[str, Any]]:
    """Every engine figure (the benchmarks/README.md protocol)."""
    rows = bench_training(quick, "cpu")
    if torch.cuda.is_available():
        gpu = bench_training(quick, "cuda")
        rows += gpu + [training_gpu_vs_cpu(gpu[0]["value"], rows[0]["value"], torch.cuda.get_device_name(0))]
    else:
        rows.append(training_gpu_vs_cpu(None, rows[0]["value"], None))
    rows += bench_trace(quick, "cpu")
    if torch.cuda.is_available():
        rows += bench_trace(quick, "cuda")
    rows += bench_sampler(quick)
    if torch.cuda.is_available():
        rows += bench_gpu_sampler(quick)
    rows += bench_memory()
    return rows


def main(argv: list[str] | None = None) -> None:
    run_main(argv, modules=["benchmarks.bench_engine"])


if __name__ == "__main__":
    main()
