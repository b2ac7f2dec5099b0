"""A small convolutional network for scikit-learn's 8x8 handwritten digits, with its insides exposed.

Two convolution layers, each followed by ReLU and 2x2 max-pooling, then one linear layer::

    input (1, 8, 8) -> conv1 (8, 8, 8) -> pool1 (8, 4, 4) -> conv2 (16, 4, 4) -> pool2 (16, 2, 2) -> logits (10,)

:meth:`DigitsCNN.forward_maps` returns every feature map beside the logits, so views never need
hooks. :func:`prepare_drawing` turns a drawing of any size into an 8x8 picture made the way the
digits data were made; :func:`analyse` runs the network on it once and returns probabilities and
all feature maps. Weights ship in ``playground/weights/digits_cnn.safetensors`` (recipe and
training history in the JSON beside it; :mod:`playground.cnn_train` rebuilds them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from PIL import Image
from torch import nn

from playground import device as devices

WEIGHTS = Path(__file__).parent / "weights" / "digits_cnn.safetensors"
#: Feature maps returned by :meth:`DigitsCNN.forward_maps`, input to output.
LAYERS = ("conv1", "pool1", "conv2", "pool2")
#: Convolution layers whose filters and channels can be inspected or dreamed about.
CONV_LAYERS = ("conv1", "conv2")
#: Below this top probability a prediction is called unsure.
CONFIDENT = 0.6


class CNNError(ValueError):
    """A drawing, weights file or layer/filter choice the digit network cannot use."""


class DigitsCNN(nn.Module):
    """conv(1->c1) -> ReLU -> pool -> conv(c1->c2) -> ReLU -> pool -> linear(4*c2 -> 10)."""

    def __init__(self, channels: tuple[int, int] = (8, 16)) -> None:
        super().__init__()
        c1, c2 = channels
        self.channels = (c1, c2)
        self.conv1 = nn.Conv2d(1, c1, kernel_size=3, padding=1)  # 8x8 -> 8x8
        self.conv2 = nn.Conv2d(c1, c2, kernel_size=3, padding=1)  # 4x4 -> 4x4
        self.fc = nn.Linear(c2 * 2 * 2, 10)

    def forward_maps(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Logits ``(B, 10)`` and the feature maps after each stage, keyed by :data:`LAYERS`.

        ``conv1``/``conv2`` are after their ReLU; ``x`` is ``(B, 1, 8, 8)`` ink in ``[0, 1]``.
        """
        conv1 = F.relu(self.conv1(x))  # (B, c1, 8, 8)
        pool1 = F.max_pool2d(conv1, 2)  # (B, c1, 4, 4)
        conv2 = F.relu(self.conv2(pool1))  # (B, c2, 4, 4)
        pool2 = F.max_pool2d(conv2, 2)  # (B, c2, 2, 2)
        logits = self.fc(pool2.flatten(1))  # (B, 10)
        return logits, {"conv1": conv1, "pool1": pool1, "conv2": conv2, "pool2": pool2}

    def pre_activation(self, x: torch.Tensor, layer: str) -> torch.Tensor:
        """The convolution output of ``layer`` before its ReLU, ``(B, C, H, W)`` (for dreaming)."""
        z1: torch.Tensor = self.conv1(x)
        if layer == "conv1":
            return z1
        if layer == "conv2":
            z2: torch.Tensor = self.conv2(F.max_pool2d(F.relu(z1), 2))
            return z2
        raise CNNError(f"Unknown layer {layer!r}: choose one of {', '.join(CONV_LAYERS)}.")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, 10)``."""
        return self.forward_maps(x)[0]

    def __repr__(self) -> str:
        c1, c2 = self.channels
        n = sum(p.numel() for p in self.parameters())
        return f"DigitsCNN(conv1=1->{c1}, conv2={c1}->{c2}, fc={4 * c2}->10, params={n})"


def map_shapes(model: DigitsCNN, size: int = 8) -> dict[str, tuple[int, int, int]]:
    """Each feature map's ``(C, H, W)`` worked out from the layer settings (not by running)."""

    def after_conv(n: int, conv: nn.Conv2d) -> int:
        k, s, p, d = conv.kernel_size[0], conv.stride[0], int(conv.padding[0]), conv.dilation[0]
        return (n + 2 * p - d * (k - 1) - 1) // s + 1

    n1 = after_conv(size, model.conv1)
    n2 = after_conv(n1 // 2, model.conv2)
    c1, c2 = model.conv1.out_channels, model.conv2.out_channels
    return {"conv1": (c1, n1, n1), "pool1": (c1, n1 // 2, n1 // 2), "conv2": (c2, n2, n2), "pool2": (c2, n2 // 2, n2 // 2)}


def load_pretrained(path: Path = WEIGHTS, device: str | torch.device | None = "auto") -> DigitsCNN:
    """The shipped network, on ``device`` (see :func:`playground.device.pick`), in eval mode."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    meta = read_meta(path)
    c1, c2 = meta["recipe"]["channels"]
    model = DigitsCNN((int(c1), int(c2)))
    try:
        state = load_file(str(path))
        model.load_state_dict(state)
    except (OSError, SafetensorError, RuntimeError) as err:
        raise CNNError(f"The digit network's weights in {path.name} could not be loaded ({err}).") from err
    return model.to(devices.pick(device)).eval()


def read_meta(path: Path = WEIGHTS) -> dict[str, Any]:
    """The JSON beside a weights file: recipe, training history and accuracy."""
    meta_path = path.with_suffix(".json")
    try:
        meta: dict[str, Any] = json.loads(meta_path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise CNNError(f"The digit network's description {meta_path.name} is missing or damaged.") from err
    return meta


def prepare_drawing(drawing: NDArray[np.floating]) -> NDArray[np.float32]:
    """An 8x8 picture in ``[0, 1]`` made from a drawing the way the digits data were made.

    The digits were drawn, cut to their bounding box, scaled to fit 32x32 and counted in 4x4
    blocks. So: crop the ink to its box, pad it square (centred), shrink to 32x32 and average
    each 4x4 block. An 8x8 drawing is used as it is; a blank drawing gives all zeros.
    """
    ink = np.clip(np.nan_to_num(np.asarray(drawing, dtype=np.float64)), 0.0, 1.0)
    if ink.ndim != 2 or min(ink.shape) < 8:
        raise CNNError(f"A drawing must be a 2-D grid of at least 8x8 cells, not {ink.shape}.")
    if ink.shape == (8, 8):
        return ink.astype(np.float32)
    rows, cols = np.nonzero(ink > 0.05)
    if rows.size == 0:
        return np.zeros((8, 8), np.float32)
    box = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]  # tight crop
    side = max(box.shape)
    square = np.zeros((side, side))
    top, left = (side - box.shape[0]) // 2, (side - box.shape[1]) // 2
    square[top : top + box.shape[0], left : left + box.shape[1]] = box  # centred
    big = Image.fromarray(square.astype(np.float32)).resize((32, 32), Image.Resampling.BOX)
    b = np.asarray(big, dtype=np.float64)  # (32, 32)
    blocks: NDArray[np.float32] = b.reshape(8, 4, 8, 4).mean(axis=(1, 3)).clip(0, 1).astype(np.float32)  # 4x4 blocks
    return blocks


@dataclass(frozen=True)
class Analysis:
    """What the network makes of one drawing: its 8x8 input, probabilities and feature maps."""

    image: NDArray[np.float32]  # (8, 8) what the network sees
    probabilities: NDArray[np.float32]  # (10,), sums to 1
    maps: dict[str, NDArray[np.float32]]  # layer -> (C, H, W)

    @property
    def label(self) -> int:
        """The most probable digit."""
        return int(self.probabilities.argmax())

    @property
    def confidence(self) -> float:
        """The top probability."""
        return float(self.probabilities.max())

    @property
    def confident(self) -> bool:
        """Whether the top probability reaches :data:`CONFIDENT`."""
        return self.confidence >= CONFIDENT


@torch.no_grad()
def analyse(model: DigitsCNN, drawing: NDArray[np.floating]) -> Analysis:
    """Run ``model`` once on ``drawing`` (see :func:`prepare_drawing`): probabilities and all maps."""
    image = prepare_drawing(drawing)
    dev = next(model.parameters()).device
    x = torch.from_numpy(image).to(dev)[None, None]  # (1, 1, 8, 8)
    logits, maps = model.forward_maps(x)
    probs = torch.softmax(logits[0], dim=-1)  # (10,)
    return Analysis(
        image=image,
        probabilities=probs.float().cpu().numpy(),
        maps={name: m[0].float().cpu().numpy() for name, m in maps.items()},
    )


def filters(model: DigitsCNN, layer: str) -> NDArray[np.float32]:
    """The learned kernels of ``layer``: ``(out_channels, in_channels, 3, 3)``."""
    if layer not in CONV_LAYERS:
        raise CNNError(f"Unknown layer {layer!r}: choose one of {', '.join(CONV_LAYERS)}.")
    conv: nn.Conv2d = getattr(model, layer)
    return conv.weight.detach().float().cpu().numpy()
