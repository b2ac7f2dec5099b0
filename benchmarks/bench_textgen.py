"""How fast the text-generation views answer, as ratios against the engine measured in the same run.

1. Temperature slider -> redrawn distribution: the playground's whole handler (engine work,
   formula, one figure update) against the engine call it makes (``sampling.probabilities`` on
   the cached logits), and against ``sampling.next_distribution`` (which re-reads the prompt).
2. 200 characters at 5 temperatures: one batched pass (``sampling.generate_many``) against five
   sequential ``sampling.generate`` runs.
3. The gate explorer: picking a character (gates + next-char bars, one message) against the
   ``model.trace`` of the same text.

The model is the shipped Shakespeare model when its weights are installed, else the newest
Shakespeare training snapshot in ``runs/shakespeare/``, else an untrained model of the same
shape (2 x 384): the timings depend on the shape, not the weights.

    python benchmarks/bench_textgen.py [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # `python benchmarks/bench_textgen.py` from anywhere
    sys.path.insert(0, str(HERE.parent))

import torch  # noqa: E402

from benchmarks.run import hardware, row, timed  # noqa: E402
from playground import checkpoint, corpora, pretrained, sampling  # noqa: E402
from playground.model import CharLSTM  # noqa: E402
from playground.text import Vocab  # noqa: E402

PROMPT = "ROMEO:\nBut soft, what light through yonder window breaks?\nIt is the east, and Juliet is the sun.\n"
TEMPERATURES = (0.2, 0.5, 1.0, 1.2, 1.5)


def shakespeare_model() -> tuple[CharLSTM, str]:
    """The shipped model, else the newest training snapshot, else an untrained one of its shape."""
    if "shakespeare" in pretrained.available():
        return pretrained.load_cached("shakespeare"), "shipped shakespeare"
    snaps = sorted((HERE.parent / "runs" / "shakespeare").glob("shakespeare-step*.safetensors"),
                   key=lambda p: int(p.stem.rsplit("step", 1)[1]))
    if snaps:
        return checkpoint.load(snaps[-1].with_suffix(""), "cpu"), f"snapshot {snaps[-1].stem}"
    vocab = Vocab.from_text(corpora.load("shakespeare").text)
    return CharLSTM(vocab, hidden=384, layers=2, embed=64).eval(), "untrained 2x384 (no weights yet)"


def bench_slider(model: CharLSTM, reps: int) -> list[dict[str, Any]]:
    from widgets.sampler import SamplingPlayground

    play = SamplingPlayground(model, name="bench", prompt=PROMPT)
    logits = play._next_logits()
    temps = [0.3 + 0.05 * (i % 40) for i in range(reps + 4)]
    it = iter(range(10**9))

    def move() -> None:
        play.temperature.value = temps[next(it) % len(temps)]  # engine + formula + one figure update

    def engine() -> None:
        sampling.probabilities(logits, temps[next(it) % len(temps)])

    def full_engine() -> None:
        sampling.next_distribution(model, PROMPT, temps[next(it) % len(temps)])

    handler = timed(move, reps, warmup=3)
    base = timed(engine, reps * 3, warmup=3)
    prime = timed(full_engine, max(5, reps // 4), warmup=1)
    assert play.notice.kind in ("", "warning"), play.notice.text
    return [
        row("temperature slider -> redrawn bars", handler * 1e3, "ms", "sampling.probabilities (cached logits)",
            base * 1e3, notes="whole handler: engine + formula + one figure update"),
        row("temperature slider -> redrawn bars", handler * 1e3, "ms", "sampling.next_distribution (re-reads prompt)",
            prime * 1e3, notes="what the handler would cost without the logits cache"),
    ]


def bench_batched(model: CharLSTM, length: int, reps: int) -> dict[str, Any]:
    batched = timed(lambda: sampling.generate_many(model, PROMPT, length, TEMPERATURES, seed=0), reps)
    sequential = timed(lambda: [sampling.generate(model, PROMPT, length, t, seed=0) for t in TEMPERATURES], reps)
    return row(f"{length} chars at {len(TEMPERATURES)} temperatures, 5 sequential runs", sequential * 1e3, "ms",
               "one batched generate_many pass", batched * 1e3,
               notes="ratio > 1: the batched pass is that many times faster")


def bench_gates(model: CharLSTM, reps: int) -> dict[str, Any]:
    from widgets.gates import GateExplorer

    text = corpora.load("shakespeare").documents[0].text[:600]
    gates = GateExplorer(model, name="bench", text=text)
    it = iter(range(10**9))

    def pick() -> None:
        gates.position.value = 300 + next(it) % 40  # inside one window: step figure + marker

    handler = timed(pick, reps, warmup=3)
    trace = timed(lambda: model.trace(text), max(3, reps // 4))
    return row("gate explorer: pick a character", handler * 1e3, "ms", "model.trace of the 600-char text",
               trace * 1e3, notes="gates at the step + next-char bars, updated together")


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Every figure of this module as :func:`benchmarks.run.row` dicts."""
    torch.set_num_threads(1)
    model, source = shakespeare_model()
    reps = 20 if quick else 100
    rows = bench_slider(model, reps)
    rows.append(bench_batched(model, 200, 1 if quick else 3))
    rows.append(bench_gates(model, reps))
    for r in rows:
        r["notes"] = f"{r['notes']}; model: {source} ({model.config.layers}x{model.config.hidden})"
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Text-generation views: time per update against the engine.")
    parser.add_argument("--quick", action="store_true", help="few repetitions (~20 s)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    hw = hardware(quick=True)
    print("hardware: " + ", ".join(f"{k}={v}" for k, v in hw.items() if k != "memory") + ", device=CPU (1 thread)")
    rows = run(args.quick)
    print(f"{'figure':58s} {'value':>9s}  {'baseline':44s} {'base':>9s} {'ratio':>7s}")
    for r in rows:
        print(f"{r['name']:58s} {r['value']:7.2f}{r['unit']:>2s}  {r['baseline']:44s} {r['baseline_value']:7.2f}ms "
              f"{r['ratio']:7.2f}")
    for r in rows:
        print(f"  - {r['name']} vs {r['baseline']}: {r['notes']}")
    if args.json:
        args.json.write_text(json.dumps(dict(hardware=hw, quick=args.quick, rows=rows), indent=1))


if __name__ == "__main__":
    main()
