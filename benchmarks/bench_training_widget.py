"""What watching costs: training throughput inside the live widget against the bare engine.

The same run (corpus, preset, seed, number of steps, device) is timed three ways, each from
building the model to the last step, in characters trained per wall-clock second:

- **bare**: ``Trainer.run()`` in the foreground, validating only at the end;
- **bare + same evals**: ``Trainer.run()`` validating and sampling as often as the widget run did;
- **widget**: :class:`widgets.trainer.TrainerWidget` with live loss curves, the sample timeline
  and the status line redrawn from the training thread (at its default refresh rate).

The ratio widget / bare + same evals is the cost of the view itself (the issue wants it within
10%); widget / bare also counts the extra validations and samples the audience sees. Each is
run ``--repeat`` times, interleaved, and the fastest kept. ``--reach`` (meant for a GPU) also
times how long the Shakespeare preset takes to reach validation losses of 2.0 and 1.6.

    python benchmarks/bench_training_widget.py --quick
    python benchmarks/bench_training_widget.py --json out.json --reach
    python benchmarks/bench_training_widget.py --reach-only --threads 1   # only the time to a loss
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from typing import Any

import torch

from playground import corpora, live
from playground.device import describe, pick
from playground.model import CharLSTM
from playground.training import Trainer


def corpus(max_docs: int) -> corpora.Corpus:
    full = corpora.load("shakespeare")
    return corpora.Corpus("shakespeare", full.documents[:max_docs])


def bare_run(session: live.Session, steps: int, eval_every: int, sample_every: int) -> float:
    """Seconds for ``steps`` steps of the engine alone, on the session's text, model and config."""
    cfg = session.train_config()
    cfg.max_steps, cfg.max_seconds, cfg.eval_every, cfg.sample_every = steps, None, eval_every, sample_every
    p = session.preset
    assert session.vocab is not None
    t0 = time.perf_counter()  # from building the model, as the widget's Start click does
    torch.manual_seed(session.seed)
    model = CharLSTM(session.vocab, p.hidden, p.layers, p.embed)
    trainer = Trainer(model, session.train_text, session.valid_text, cfg)
    trainer.run()
    return time.perf_counter() - t0


def widget_run(text: corpora.Corpus, preset: str, device: str, steps: int) -> tuple[float, live.Session]:
    """Seconds for ``steps`` steps driven from the training widget, live plotting on."""
    from widgets.trainer import TrainerWidget

    view = TrainerWidget(corpus="user", preset=preset, mode="live", device=device)
    view.session.set_corpus(text)
    view.session.max_steps = steps
    view.session.configure(minutes=600)
    t0 = time.perf_counter()
    view.start.click()
    view.session.join()
    seconds = time.perf_counter() - t0
    return seconds, view.session


def reach(text: corpora.Corpus, device: str, targets: tuple[float, ...] = (2.0, 1.6), minutes: float = 8.0) -> dict[str, Any]:
    """When the validation loss first reaches each target (the Medium preset on a GPU, Tiny on a CPU).

    For each target: wall seconds since the Start (model built, validations and samples
    included), seconds spent in optimiser steps (the clock of the widget's timeline), and the
    latest sample the run had written by then.
    """
    s = live.Session(text, "medium" if pick(device).type != "cpu" else "tiny", device=device, eval_seconds=1.0)
    s.configure(minutes=minutes)
    seen: dict[float, dict[str, Any]] = {}
    t0 = time.perf_counter()

    def watch(kind: str, session: live.Session) -> None:
        if kind == "eval":
            now = session.progress()
            val = now.evals[-1][2]
            for target in targets:
                if target not in seen and val <= target:
                    trainer = session.trainer
                    seen[target] = {"wall_seconds": time.perf_counter() - t0,
                                    "training_seconds": trainer.busy_seconds if trainer is not None else None,
                                    "step": now.step, "sample": now.timeline[-1].text if now.timeline else None}
            if len(seen) == len(targets):
                session.stop(wait=0)  # called in the training thread: ask, don't wait

    s.subscribe(watch)
    s.start()
    s.join()
    done = s.progress()
    return {f"reached_{t}": seen.get(t) for t in targets} | {
        "preset": s.preset.name, "steps": done.step, "chars_per_second": done.chars_per_second,
        "best_val_loss": min((e[2] for e in done.evals), default=None)}


def hardware(device: torch.device) -> dict[str, Any]:
    return {"processor": platform.processor() or platform.machine(), "threads": torch.get_num_threads(),
            "device": describe(device)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a ~20 s run")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=None)
    ap.add_argument("--reach", action="store_true", help="also time reaching val loss 2.0 and 1.6")
    ap.add_argument("--reach-only", action="store_true", help="only time reaching val loss 2.0 and 1.6")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    ap.add_argument("--json", default=None, help="write the results here")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick(args.device)
    hw = hardware(device)
    if args.reach_only:
        print(f"processor: {hw['processor']}  torch {torch.__version__}  threads {hw['threads']}  device {hw['device']}")
        reached: dict[str, Any] = {"hardware": hw, "reach": reach(corpus(38), str(device))}
        print("time to reach validation loss:", json.dumps(reached["reach"], indent=1))
        if args.json:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump(reached, f, indent=1)
        return reached
    gpu = device.type != "cpu"
    steps = args.steps or ((400 if gpu else 120) if args.quick else (3000 if gpu else 600))
    repeat = args.repeat or (1 if args.quick else 2)
    preset = "medium" if gpu else "tiny"
    text = corpus(4 if args.quick else 38)
    print(f"processor: {hw['processor']}  python {platform.python_version()}  "
          f"torch {torch.__version__}  threads {hw['threads']}  device {hw['device']}")
    print(f"preset {preset}, {steps} steps, best of {repeat}, Shakespeare ({len(text)} plays)")

    widget_s, bare_s, matched_s = [], [], []
    _, session = widget_run(text, preset, str(device), 5)  # warm-up: first optimiser, first figure
    bare_run(session, 5, 5, 6)
    for _ in range(repeat):
        seconds, session = widget_run(text, preset, str(device), steps)
        widget_s.append(seconds)
        assert session.trainer is not None
        eval_every = session.trainer.config.eval_every
        sample_every = max(1, steps // max(1, len(session.progress().timeline)))
        bare_s.append(bare_run(session, steps, steps, steps + 1))
        matched_s.append(bare_run(session, steps, eval_every, sample_every))
    chars = steps * session.batch_size * session.seq_len
    rows = {"bare engine": min(bare_s), "bare + same evals/samples": min(matched_s), "widget, live plotting": min(widget_s)}
    print(f"\n{'run':<28}{'seconds':>10}{'chars/s':>12}{'vs bare':>10}{'vs same':>10}")
    for name, sec in rows.items():
        print(f"{name:<28}{sec:>10.2f}{chars / sec:>12,.0f}{rows['bare engine'] / sec:>10.2f}"
              f"{rows['bare + same evals/samples'] / sec:>10.2f}")
    cost = min(widget_s) / min(matched_s) - 1.0
    print(f"\nwidget cost over the same run: {cost:+.1%} (target: at most +10%); "
          f"over bare training: {min(widget_s) / min(bare_s) - 1.0:+.1%}")
    result: dict[str, Any] = {
        "hardware": hw,
        "preset": preset, "steps": steps, "chars": chars, "seconds": rows,
        "widget_cost_vs_same_run": cost, "widget_cost_vs_bare": min(widget_s) / min(bare_s) - 1.0,
    }
    if args.reach:
        result["reach"] = reach(corpus(38), str(device))
        print("time to reach validation loss:", result["reach"])
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == "__main__":
    main()
