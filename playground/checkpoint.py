"""Saving and loading models as ``.safetensors`` weights plus a small JSON.

The JSON holds the model's shape, its vocabulary and whatever metrics and recipe the caller
adds. Nothing here ever unpickles: a file that is not safetensors is refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from playground.errors import CheckpointError
from playground.model import CharLSTM
from playground.text import Vocab

FORMAT = "neural-playground/char-lstm/1"


def paths(stem: str | Path) -> tuple[Path, Path]:
    """``(weights, json)`` paths for a stem: ``dir/name`` -> ``dir/name.safetensors``, ``dir/name.json``."""
    stem = Path(stem)
    if stem.suffix in (".safetensors", ".json"):
        stem = stem.with_suffix("")
    return stem.with_suffix(".safetensors"), stem.with_suffix(".json")


def save(
    model: CharLSTM, stem: str | Path, meta: dict[str, Any] | None = None, half: bool = True
) -> tuple[Path, Path]:
    """Write ``stem.safetensors`` (float16 by default, compact) and ``stem.json``."""
    weights, info = paths(stem)
    weights.parent.mkdir(parents=True, exist_ok=True)
    dtype = torch.float16 if half else torch.float32
    tensors = {k: v.detach().to("cpu", dtype).contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, str(weights), metadata={"format": FORMAT})
    doc = {
        "format": FORMAT,
        "config": model.config.to_dict(),
        "vocab": model.vocab.to_list(),
        **(meta or {}),
    }
    info.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return weights, info


def read_meta(stem: str | Path) -> dict[str, Any]:
    """The JSON beside a checkpoint."""
    _, info = paths(stem)
    try:
        doc: dict[str, Any] = json.loads(info.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"No checkpoint description at {info}.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"The checkpoint description {info.name} is not valid JSON ({err}).") from None
    if doc.get("format") != FORMAT:
        raise CheckpointError(f"{info.name} is not a Neural Playground character-model checkpoint.")
    return doc


def load(stem: str | Path, device: str | torch.device = "cpu") -> CharLSTM:
    """Rebuild a :class:`CharLSTM` from ``stem.safetensors`` and ``stem.json``, in float32.

    Raises
    ------
    CheckpointError
        If either file is missing, the weights are not safetensors (a pickle, say), or they do
        not match the shape the JSON describes.
    """
    weights, _ = paths(stem)
    doc = read_meta(stem)
    if not weights.exists():
        raise CheckpointError(f"No weights file at {weights}.")
    try:
        tensors = load_file(str(weights), device="cpu")
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(
            f"{weights.name} is not a safetensors file; only safetensors weights are loaded ({err})."
        ) from None
    cfg = doc["config"]
    vocab = Vocab(doc["vocab"])
    if len(vocab) != cfg["vocab_size"]:
        raise CheckpointError(f"{weights.name}: the vocabulary does not match the model's size.")
    model = CharLSTM(vocab, cfg["hidden"], cfg["layers"], cfg["embed"], cfg["dropout"])
    try:
        model.load_state_dict({k: v.float() for k, v in tensors.items()})
    except RuntimeError as err:
        raise CheckpointError(f"{weights.name} does not match its description: {err}") from None
    return model.to(device).eval()
