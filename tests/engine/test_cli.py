"""The command line trains, saves and samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from playground import checkpoint
from playground.cli import main

from .conftest import TINY_TEXT


def test_train_then_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "poem.txt"
    corpus.write_text("\n\n".join([TINY_TEXT] * 3))
    out = tmp_path / "run"
    code = main([
        "train", "--corpus", str(corpus), "--layers", "1", "--hidden", "16", "--embed", "8",
        "--steps", "12", "--batch", "4", "--seq", "16", "--eval-every", "4", "--snapshots", "4,8",
        "--device", "cpu", "--out", str(out), "--name", "poem",
    ])
    assert code == 0
    meta = checkpoint.read_meta(out / "poem")
    assert meta["steps"] == 12 and meta["end"] == "finished" and meta["seed"] == 0
    assert meta["command"].startswith("python -m playground train")
    assert [s["step"] for s in meta["snapshots"]] == [4, 8]
    assert (out / "poem-step4.safetensors").exists() and (out / "poem-step8.json").exists()
    assert json.loads(capsys.readouterr().out.splitlines()[0])["steps"] == 12
    assert main(["sample", str(out / "poem"), "--prompt", "To be", "--length", "30", "--seed", "1"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("To be") and len(printed.rstrip("\n")) >= 30


def test_a_run_on_your_own_text_can_be_released(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "poem.txt"
    corpus.write_text("\n\n".join([TINY_TEXT] * 3))
    run, shipped = tmp_path / "run", tmp_path / "weights"
    assert main(["train", "--corpus", str(corpus), "--layers", "1", "--hidden", "8", "--embed", "4", "--steps", "4",
                 "--batch", "2", "--seq", "8", "--eval-every", "2", "--snapshots", "2", "--device", "cpu",
                 "--out", str(run), "--name", "poem"]) == 0
    capsys.readouterr()
    assert main(["release", str(run), "--name", "poem", "--out", str(shipped)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["step"] for r in rows] == [2, 4] and all(r["valid_loss"] > 0 for r in rows)
    assert checkpoint.read_meta(shipped / "poem")["corpus"] == str(corpus)


@pytest.mark.parametrize(("args", "says"), [
    (["sample", "shakespeare", "--device", "gpu"], "Unknown device 'gpu': choose one of"),
    (["train", "--corpus", "shakespear", "--out", "x"], "'shakespear' is neither a shipped corpus"),
    (["train", "--corpus", "POEM", "--layers", "0", "--out", "x"], "Layers must be between 1 and 8"),
    (["train", "--corpus", "POEM", "--snapshots", "a,b", "--out", "x"], "--snapshots takes step numbers"),
    (["sample", "shakespeare", "--seed", str(2**70)], "The seed must be a whole number from 0"),
    (["release", "WEIGHTS", "--name", "shakespeare", "--out", "x"], "holds released weights, not a training run"),
    (["release", "WEIGHTS", "--name", "python", "--out", "WEIGHTS"], "is where the release would go"),
])
def test_bad_arguments_get_one_sentence_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    corpus = tmp_path / "poem.txt"
    corpus.write_text("\n\n".join([TINY_TEXT] * 3))
    weights = Path(checkpoint.__file__).parent / "weights"
    real = [str(corpus) if a == "POEM" else str(weights) if a == "WEIGHTS" else str(tmp_path / a) if a == "x" else a
            for a in args]
    assert main(real) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and says in err and "\n" not in err


def test_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    short = tmp_path / "short.txt"
    short.write_text("too short")
    assert main(["train", "--corpus", str(short), "--out", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err.strip() == "error: This text has 9 characters; at least 500 are needed to learn from."
    assert main(["sample", "nonexistent-model"]) == 2
    assert "shakespeare, python, folk" in capsys.readouterr().err


def test_sigterm_ends_a_run_that_is_still_saved(tmp_path: Path) -> None:
    """A long run stopped early (Ctrl-C, SIGTERM) keeps what it learned: evaluated and saved."""
    import signal
    import subprocess
    import sys
    import time

    corpus = tmp_path / "poem.txt"
    corpus.write_text("\n\n".join([TINY_TEXT] * 3))
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "playground", "train", "--corpus", str(corpus), "--layers", "1",
         "--hidden", "16", "--embed", "8", "--minutes", "10", "--batch", "4", "--seq", "16",
         "--eval-every", "1000", "--threads", "1", "--device", "cpu", "--out", str(out), "--name", "poem"],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 120
    seen = ""
    while "step " not in seen and time.monotonic() < deadline:  # training has begun
        seen += proc.stderr.read(1)
    proc.send_signal(signal.SIGTERM)
    stdout, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, stdout
    meta = checkpoint.read_meta(out / "poem")
    assert meta["end"] == "stopped" and meta["steps"] >= 1
    assert meta["valid_loss"] > 0 and (out / "poem.safetensors").exists()
