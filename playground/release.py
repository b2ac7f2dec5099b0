"""Turning a training run's directory into the shipped weights under ``playground/weights/``.

``python -m playground release runs/shakespeare --name shakespeare`` copies the final model
and its snapshots, evaluates every snapshot on the whole held-out text (the same documents
the final figure uses) and writes a sample for each, so a slider can walk from gibberish to
verse with no training at all. For the folk model it also records how many of 32 tunes it
writes parse with music21 (:func:`playground.music.tune_report`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from playground import checkpoint, corpora, music, sampling
from playground.errors import CheckpointError

SAMPLE_CHARS = 300
SAMPLE_TEMPERATURE = 0.8
#: How many tunes the folk model writes for its recorded parse rate (seed 0).
TUNES = 32


def release(run_dir: str | Path, name: str, out: str | Path) -> list[dict[str, Any]]:
    """Copy ``run_dir/name*`` into ``out``, re-evaluating the snapshots; returns their rows."""
    run_dir, out = Path(run_dir), Path(out)
    if run_dir.resolve() == out.resolve():
        raise CheckpointError(f"{run_dir} is where the release would go: release copies from the "
                              f"--out folder of `python -m playground train` into another folder.")
    out.mkdir(parents=True, exist_ok=True)
    final_meta = checkpoint.read_meta(run_dir / name)
    split = corpora.split(corpora.load_or_read(final_meta["corpus"]))
    if [d.title for d in split.valid] != final_meta["valid_documents"]:
        raise CheckpointError("The corpus split differs from the one the run recorded.")
    valid = split.valid_text
    rows: list[dict[str, Any]] = []
    for snap in final_meta.get("snapshots", []):
        if "file" not in snap:
            raise CheckpointError(f"{run_dir} holds released weights, not a training run: release "
                                  f"copies from the --out folder of `python -m playground train`.")
        stem = run_dir / snap["file"]
        model = checkpoint.load(stem)
        meta = checkpoint.read_meta(stem)
        meta.update(
            step=snap["step"],
            valid_loss=model.evaluate(valid),
            sample=sampling.generate(model, "\n", SAMPLE_CHARS, SAMPLE_TEMPERATURE, seed=0),
            corpus=final_meta["corpus"],
            run=final_meta["command"],
        )
        shutil.copyfile(stem.with_suffix(".safetensors"), out / f"{snap['file']}.safetensors")
        (out / f"{snap['file']}.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
        rows.append({"step": meta["step"], "valid_loss": meta["valid_loss"]})
    final_meta["snapshots"] = rows
    if final_meta["corpus"] == "folk":  # how many of its tunes music21 reads
        model = checkpoint.load(run_dir / name)
        tunes = music.write_tunes(model, TUNES, SAMPLE_TEMPERATURE, seed=0)
        final_meta["tunes"] = {**music.tune_report(tunes), "temperature": SAMPLE_TEMPERATURE, "seed": 0,
                               "prompt": music.TUNE_PROMPT, "chars": music.TUNE_CHARS}
    shutil.copyfile(run_dir / f"{name}.safetensors", out / f"{name}.safetensors")
    (out / f"{name}.json").write_text(json.dumps(final_meta, indent=1, ensure_ascii=False) + "\n")
    rows.append({"step": final_meta["steps"], "valid_loss": final_meta["valid_loss"]})
    return rows
