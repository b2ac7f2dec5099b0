"""Weights go to disk as safetensors and come back; a pickle never loads."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
import torch

from playground import checkpoint
from playground.errors import CheckpointError
from playground.model import CharLSTM


def test_round_trip_in_float32_and_float16(tiny_model: CharLSTM, tmp_path: Path) -> None:
    checkpoint.save(tiny_model, tmp_path / "exact", {"note": "hi"}, half=False)
    back = checkpoint.load(tmp_path / "exact")
    assert back.vocab.chars == tiny_model.vocab.chars and back.config == tiny_model.config
    for (k, v), (_, w) in zip(tiny_model.state_dict().items(), back.state_dict().items()):
        assert torch.equal(v, w), k
    assert checkpoint.read_meta(tmp_path / "exact")["note"] == "hi"
    weights, _ = checkpoint.save(tiny_model, tmp_path / "half.safetensors")
    assert weights.stat().st_size < (tmp_path / "exact.safetensors").stat().st_size * 0.6
    half = checkpoint.load(tmp_path / "half")
    assert half.head.weight.dtype == torch.float32
    text = "To be, or not to be, that is the question"
    assert half.evaluate(text) == pytest.approx(tiny_model.evaluate(text), abs=1e-3)


class _Payload:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (str(Path(__file__).parent / "PWNED"),))


def test_a_pickle_is_refused_and_never_run(tiny_model: CharLSTM, tmp_path: Path) -> None:
    checkpoint.save(tiny_model, tmp_path / "m")
    (tmp_path / "m.safetensors").write_bytes(pickle.dumps({"w": _Payload()}))
    marker = Path(__file__).parent / "PWNED"
    with pytest.raises(CheckpointError, match="not a safetensors file"):
        checkpoint.load(tmp_path / "m")
    assert not marker.exists()


def test_missing_and_mismatched_files(tiny_model: CharLSTM, tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="No checkpoint description"):
        checkpoint.load(tmp_path / "none")
    checkpoint.save(tiny_model, tmp_path / "m")
    (tmp_path / "m.safetensors").unlink()
    with pytest.raises(CheckpointError, match="No weights file"):
        checkpoint.load(tmp_path / "m")
    checkpoint.save(tiny_model, tmp_path / "m")
    doc = json.loads((tmp_path / "m.json").read_text())
    doc["config"]["hidden"] = 99
    (tmp_path / "m.json").write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match="does not match"):
        checkpoint.load(tmp_path / "m")
    (tmp_path / "m.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        checkpoint.load(tmp_path / "m")
    (tmp_path / "m.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(CheckpointError, match="not a Neural Playground"):
        checkpoint.load(tmp_path / "m")
