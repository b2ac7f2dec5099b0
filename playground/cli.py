"""Command line: ``python -m playground train ...`` and ``python -m playground sample DIR ...``."""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import signal
import sys
import time
from pathlib import Path
from typing import Any

import torch

from playground import checkpoint, corpora, sampling
from playground.device import describe, pick
from playground.errors import PlaygroundError, TrainingConfigError
from playground.model import CharLSTM
from playground.text import Vocab
from playground.training import EndEvent, EvalEvent, StepEvent, TrainConfig, Trainer


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m playground", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a character LSTM on a corpus")
    t.add_argument("--corpus", default="shakespeare", help="shakespeare, python, folk, or a path to a text file")
    t.add_argument("--layers", type=int, default=2)
    t.add_argument("--hidden", type=int, default=256)
    t.add_argument("--embed", type=int, default=64)
    t.add_argument("--dropout", type=float, default=0.0)
    t.add_argument("--weight-decay", type=float, default=0.0, help="AdamW weight decay")
    t.add_argument("--keep-best", action="store_true",
                   help="save the weights of the evaluation with the lowest validation loss, not the last")
    t.add_argument("--minutes", type=float, default=None, help="wall-clock budget of training steps")
    t.add_argument("--steps", type=int, default=100_000, help="at most this many steps")
    t.add_argument("--batch", type=int, default=32)
    t.add_argument("--seq", type=int, default=128)
    t.add_argument("--lr", type=float, default=3e-3)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    t.add_argument("--eval-every", type=int, default=500)
    t.add_argument("--snapshots", default="", help="comma-separated steps to save snapshots at, e.g. 50,200,1000")
    t.add_argument("--device", default="auto")
    t.add_argument("--out", required=True, help="directory to write NAME.safetensors and NAME.json into")
    t.add_argument("--name", default=None, help="file stem (defaults to the corpus name)")
    s = sub.add_parser("sample", help="sample text from a saved model")
    s.add_argument("model", help="a checkpoint stem or a directory holding one, or a shipped name")
    s.add_argument("--prompt", default="")
    s.add_argument("--length", type=int, default=500)
    s.add_argument("--temperature", type=float, default=0.8)
    s.add_argument("--top-k", type=int, default=None)
    s.add_argument("--top-p", type=float, default=None)
    s.add_argument("--seed", type=int, default=None)
    s.add_argument("--device", default="auto")
    r = sub.add_parser("release", help="copy a run into the shipped weights, re-evaluating its snapshots")
    r.add_argument("run", help="the run's --out directory")
    r.add_argument("--name", required=True)
    r.add_argument("--out", default=str(Path(__file__).parent / "weights"))
    return p


def train(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(sampling.check_seed(args.seed))
    corpus = corpora.load_or_read(args.corpus)
    split = corpora.split(corpus)
    vocab = Vocab.from_text(corpus.text)
    model = CharLSTM(vocab, args.hidden, args.layers, args.embed, args.dropout)
    config = TrainConfig(
        batch_size=args.batch, seq_len=args.seq, lr=args.lr, max_steps=args.steps,
        max_seconds=args.minutes * 60 if args.minutes else None, eval_every=args.eval_every,
        sample_every=args.eval_every, seed=args.seed, device=args.device, weight_decay=args.weight_decay,
    )
    trainer = Trainer(model, split.train_text, split.valid_text, config)
    out = Path(args.out)
    name = args.name or (args.corpus if args.corpus in corpora.CORPORA else "model")
    try:
        snap_steps = {int(x) for x in args.snapshots.split(",") if x.strip()}
    except ValueError:
        raise TrainingConfigError(f"--snapshots takes step numbers separated by commas, such as "
                                  f"50,200,1000, not {args.snapshots!r}.") from None
    snapshots: list[dict[str, Any]] = []
    started = time.time()
    last_print = [0.0]
    best: dict[str, Any] = {}  # with --keep-best: step, valid_loss and weights of the best evaluation

    def progress(e: StepEvent) -> None:
        now = time.time()
        if now - last_print[0] > 2.0:
            last_print[0] = now
            budget = f"/{args.minutes:.0f}" if args.minutes else ""
            print(
                f"\rstep {e.step:,}  loss {e.loss:.3f}  {e.chars_per_second:,.0f} chars/s  "
                f"{(now - started) / 60:.1f}{budget} min on {e.device}", end="", file=sys.stderr, flush=True,
            )

    def snapshot(e: EvalEvent) -> None:
        print(f"\n[eval] step {e.step:,}  train {e.train_loss:.3f}  valid {e.val_loss:.3f}", file=sys.stderr)
        if args.keep_best and e.val_loss < best.get("valid_loss", float("inf")):
            best.update(step=e.step, valid_loss=e.val_loss,
                        state={k: v.detach().clone() for k, v in model.state_dict().items()})
        if e.step in snap_steps:
            stem = out / f"{name}-step{e.step}"
            checkpoint.save(model, stem, {"step": e.step, "valid_loss": e.val_loss})
            sample = sampling.generate(model, "\n", 300, 0.8, seed=args.seed)
            snapshots.append({"step": e.step, "valid_loss_partial": e.val_loss, "sample": sample, "file": stem.name})
            model.train()

    def end(e: EndEvent) -> None:
        print(f"\n[end] {e.message}", file=sys.stderr)

    trainer.add_callback("on_step", progress)
    trainer.add_callback("on_eval", snapshot)
    trainer.add_callback("on_end", end)
    trainer.eval_steps |= snap_steps  # make sure snapshot steps are evaluated
    # Ctrl-C (or SIGTERM) ends the run after the step in flight; it is still evaluated and saved.
    previous = {sig: signal.signal(sig, lambda *_: trainer.stop(wait=None)) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        result = trainer.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    final_step = result.step
    last_eval = trainer.history.evals[-1][1] if trainer.history.evals else float("inf")
    if best and best["valid_loss"] < last_eval:
        model.load_state_dict(best["state"])
        final_step = best["step"]
        print(f"[keep-best] step {final_step:,} ({best['valid_loss']:.3f}) beat the end ({last_eval:.3f})",
              file=sys.stderr)
    weights, info = checkpoint.save(model, out / name)
    reloaded = checkpoint.load(out / name)  # the figure recorded is that of the float16 file
    valid_loss = reloaded.evaluate(split.valid_text)
    meta = {
        "corpus": args.corpus if args.corpus in corpora.CORPORA else str(Path(args.corpus).resolve()),
        "command": "python -m playground " + " ".join(shlex.quote(a) for a in args.argv),
        "seed": args.seed,
        "valid_documents": [d.title for d in split.valid],
        "train_chars": len(split.train_text),
        "valid_chars": len(split.valid_text),
        "valid_loss": valid_loss,
        "steps": final_step,
        "trained_steps": result.step,
        "end": result.reason,
        "train_seconds": round(result.seconds, 1),
        "chars_per_second": round(result.chars_per_second),
        "hardware": f"{describe(trainer.device)}; {platform.processor() or platform.machine()}; torch {torch.__version__}",
        "train_config": config.to_dict(),
        "sample": sampling.generate(reloaded, "\n", 400, 0.8, seed=args.seed),
        "snapshots": snapshots,
    }
    checkpoint.save(model, out / name, meta)
    print(json.dumps({k: meta[k] for k in ("valid_loss", "steps", "train_seconds", "chars_per_second")}))
    print(f"wrote {weights} and {info}")
    return 0


def sample(args: argparse.Namespace) -> int:
    from playground import pretrained

    device = pick(args.device)
    path = Path(args.model)
    if path.is_dir():
        stems = sorted(path.glob("*.json"))
        if not stems:
            raise PlaygroundError(f"No checkpoint in {path}.")
        model = checkpoint.load(stems[-1], device)
    elif path.with_suffix(".json").exists():
        model = checkpoint.load(path, device)
    else:
        model = pretrained.load(args.model, device)
    text = sampling.generate(model, args.prompt, args.length, args.temperature, args.top_k, args.top_p, args.seed)
    print(args.prompt + text)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    args.argv = argv
    try:
        if args.command == "release":
            from playground.release import release

            for row in release(args.run, args.name, args.out):
                print(json.dumps(row))
            return 0
        return train(args) if args.command == "train" else sample(args)
    except PlaygroundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
