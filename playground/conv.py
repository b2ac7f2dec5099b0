"""A convolution you can read: kernels, stride, padding, dilation, and every step laid open.

A convolution slides a small grid of numbers (the *kernel*) over an image. At each position it
takes the patch of pixels under the kernel, multiplies them element by element with the kernel
and adds the products up: that sum is one pixel of the output. This module does exactly that,
in NumPy, and returns the intermediate pieces so a view can show them.

Like ``torch.nn.functional.conv2d`` (and every deep-learning library) it computes a
*cross-correlation*: the kernel is not flipped. Tests check :func:`convolve` against
``conv2d`` for every preset, stride, padding and dilation.

Shapes: images are ``(C, H, W)`` float arrays; kernels are ``(k, k)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Mode = Literal["grayscale", "per-channel"]

#: Kernel sizes the explorer offers.
SIZES = (3, 5)
#: Preset names in the order the kernel editor lists them.
PRESETS = (
    "identity",
    "box blur",
    "gaussian blur",
    "sharpen",
    "edge",
    "sobel x",
    "sobel y",
    "emboss",
    "random",
)
MODES: tuple[Mode, ...] = ("grayscale", "per-channel")
#: ITU-R BT.601 luma weights: how bright each of red, green and blue looks to us.
LUMA = np.array([0.299, 0.587, 0.114])


class ConvError(ValueError):
    """A kernel, stride, padding or dilation that cannot be used on this image."""


@dataclass(frozen=True)
class ConvSpec:
    """How the kernel moves: ``stride`` (step), ``padding`` (zeros added round the border),
    ``dilation`` (gap between kernel taps; 1 means touching)."""

    stride: int = 1
    padding: int = 0
    dilation: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.stride <= 16:
            raise ConvError(f"Stride must be between 1 and 16, not {self.stride}.")
        if not 0 <= self.padding <= 32:
            raise ConvError(f"Padding must be between 0 and 32, not {self.padding}.")
        if not 1 <= self.dilation <= 8:
            raise ConvError(f"Dilation must be between 1 and 8, not {self.dilation}.")


def preset(name: str, size: int = 3, seed: int = 0) -> Array:
    """The ``size`` x ``size`` kernel called ``name`` (see :data:`PRESETS`).

    ``"random"`` draws from a normal distribution with the given ``seed``, scaled so its
    entries sum to about 1 in magnitude.
    """
    if size not in SIZES:
        raise ConvError(f"Kernel size must be 3 or 5, not {size}.")
    c = size // 2  # index of the centre tap
    k = np.zeros((size, size))
    if name == "identity":
        k[c, c] = 1.0  # output = input
    elif name == "box blur":
        k[:] = 1.0 / size**2  # the plain mean of the patch
    elif name == "gaussian blur":
        row = np.array([1.0, 2, 1]) if size == 3 else np.array([1.0, 4, 6, 4, 1])  # binomial ~ Gaussian
        k = np.outer(row, row) / row.sum() ** 2
    elif name == "sharpen":
        k[c, :] = k[:, c] = -1.0  # minus the neighbours along the cross ...
        k[c, c] = 1.0 + 4 * c  # ... plus the centre counted once more than they: the image plus its detail
    elif name == "edge":
        k[:] = -1.0  # Laplacian-style: centre against all neighbours; sums to 0 on flat areas
        k[c, c] = size**2 - 1.0
    elif name in ("sobel x", "sobel y"):
        smooth = np.array([1.0, 2, 1]) if size == 3 else np.array([1.0, 4, 6, 4, 1])
        diff = np.array([-1.0, 0, 1]) if size == 3 else np.array([-1.0, -2, 0, 2, 1])
        k = np.outer(smooth, diff)  # left-to-right change, smoothed vertically
        if name == "sobel y":
            k = k.T  # top-to-bottom change
    elif name == "emboss":
        k = np.add.outer(np.arange(size), np.arange(size)).astype(float) - (size - 1)
        k[c, c] = 1.0  # negative above-left, positive below-right, plus the pixel: a relief
    elif name == "random":
        rng = np.random.default_rng(seed)
        k = rng.normal(size=(size, size))
        k /= np.abs(k).sum()
    else:
        raise ConvError(f"Unknown kernel preset {name!r}: choose one of {', '.join(PRESETS)}.")
    return k


def prepare(image: NDArray[np.floating], mode: Mode = "grayscale") -> Array:
    """Turn an ``(H, W, 3)`` or ``(H, W)`` picture into the ``(C, H, W)`` input of :func:`convolve`.

    ``"grayscale"`` mixes red, green and blue by :data:`LUMA` into one channel;
    ``"per-channel"`` keeps the three channels, each convolved with the same kernel.
    """
    img = np.asarray(image, dtype=np.float64)
    if img.ndim == 2:
        img = img[:, :, None]
    if img.ndim != 3 or img.shape[2] not in (1, 3):
        raise ConvError(f"An image must be (H, W) or (H, W, 3), not {img.shape}.")
    if mode == "grayscale":
        gray = img[:, :, 0] if img.shape[2] == 1 else img @ LUMA  # (H, W)
        return gray[None]  # (1, H, W)
    if mode == "per-channel":
        return img.transpose(2, 0, 1).copy()  # (C, H, W)
    raise ConvError(f"Unknown mode {mode!r}: choose grayscale or per-channel.")


def _check_kernel(kernel: NDArray[np.floating]) -> Array:
    k = np.asarray(kernel, dtype=np.float64)
    if k.ndim != 2 or k.shape[0] != k.shape[1] or k.shape[0] not in SIZES:
        raise ConvError(f"The kernel must be a 3x3 or 5x5 grid, not {k.shape}.")
    if not np.all(np.isfinite(k)):
        raise ConvError("Every kernel entry must be a finite number.")
    if np.abs(k).max() > 1e6:
        raise ConvError("Kernel entries must lie between -1,000,000 and 1,000,000.")
    return k


def span(size: int, dilation: int) -> int:
    """How many input pixels one kernel row covers: ``dilation * (size - 1) + 1``."""
    return dilation * (size - 1) + 1


def output_size(height: int, width: int, size: int, spec: ConvSpec) -> tuple[int, int]:
    """Output height and width: ``floor((n + 2 * padding - span) / stride) + 1`` on each axis."""
    reach = span(size, spec.dilation)
    out_h = (height + 2 * spec.padding - reach) // spec.stride + 1
    out_w = (width + 2 * spec.padding - reach) // spec.stride + 1
    if out_h < 1 or out_w < 1:
        raise ConvError(
            f"The kernel reaches {reach} pixels but the padded image is only "
            f"{height + 2 * spec.padding}x{width + 2 * spec.padding}: lower the dilation or add padding."
        )
    return out_h, out_w


def pad(x: Array, padding: int) -> Array:
    """``x`` (C, H, W) with ``padding`` rows and columns of zeros added on every side."""
    return np.pad(x, ((0, 0), (padding, padding), (padding, padding)))


def patches(x: Array, size: int, spec: ConvSpec) -> Array:
    """Every patch the kernel sees, as a read-only view of shape ``(C, H_out, W_out, k, k)``."""
    c, h, w = x.shape
    out_h, out_w = output_size(h, w, size, spec)
    xp = pad(x, spec.padding)  # (C, H + 2p, W + 2p)
    sc, sh, sw = xp.strides
    return np.lib.stride_tricks.as_strided(
        xp,
        shape=(c, out_h, out_w, size, size),
        # output steps move by `stride` pixels; kernel taps move by `dilation` pixels
        strides=(sc, sh * spec.stride, sw * spec.stride, sh * spec.dilation, sw * spec.dilation),
        writeable=False,
    )


def convolve(x: Array, kernel: NDArray[np.floating], spec: ConvSpec = ConvSpec()) -> Array:
    """The whole output ``(C, H_out, W_out)``: each channel convolved with the same ``kernel``.

    ``out[c, i, j] = sum_{u, v} xpad[c, i*s + u*d, j*s + v*d] * kernel[u, v]``
    (no kernel flip, as in ``torch.nn.functional.conv2d``).
    """
    k = _check_kernel(kernel)
    p = patches(np.asarray(x, dtype=np.float64), k.shape[0], spec)  # (C, Ho, Wo, k, k)
    out: Array = np.einsum("chwuv,uv->chw", p, k)  # multiply element-wise, sum over the window
    return out


@dataclass(frozen=True)
class Window:
    """One step of the slide: the output pixel ``(row, col)`` and how it was made.

    ``top``/``left`` locate the window's first tap in the *padded* input; ``patch``,
    ``product`` are ``(C, k, k)``; ``total`` is ``(C,)``: ``product.sum((1, 2))``.
    """

    row: int
    col: int
    top: int
    left: int
    span: int
    patch: Array
    kernel: Array
    product: Array
    total: Array


def window(
    x: Array, kernel: NDArray[np.floating], spec: ConvSpec, row: int, col: int
) -> Window:
    """The patch, kernel, element-wise product and sum behind output pixel ``(row, col)``."""
    k = _check_kernel(kernel)
    out_h, out_w = output_size(x.shape[1], x.shape[2], k.shape[0], spec)
    if not (0 <= row < out_h and 0 <= col < out_w):
        raise ConvError(f"Output position ({row}, {col}) is outside the {out_h}x{out_w} output.")
    top, left = row * spec.stride, col * spec.stride  # first tap, in padded coordinates
    reach = span(k.shape[0], spec.dilation)
    xp = pad(np.asarray(x, dtype=np.float64), spec.padding)
    patch = xp[:, top : top + reach : spec.dilation, left : left + reach : spec.dilation]  # (C, k, k)
    product = patch * k  # element-wise
    return Window(row, col, top, left, reach, patch, k, product, product.sum(axis=(1, 2)))


def positions(out_h: int, out_w: int) -> list[tuple[int, int]]:
    """Output positions in the order the window visits them: row by row, left to right."""
    return [(i, j) for i in range(out_h) for j in range(out_w)]


def to_display(out: Array) -> NDArray[np.uint8]:
    """An ``(H, W, 3)`` 8-bit picture of an output ``(C, H, W)``.

    Outputs without negative values (blurs, identity, sharpen) are clipped to ``[0, 1]``, so a
    blur looks like a blurred photo. Outputs with negative values (edges, Sobel, emboss) are
    scaled symmetrically so zero is mid-grey, bright is positive and dark is negative.
    """
    o = np.asarray(out).transpose(1, 2, 0)  # (H, W, C)
    lo, hi = float(o.min()), float(o.max())
    if lo < 0:
        m = max(-lo, hi)
        scale, offset = 255.0 / (2 * m), 127.5  # [-m, m] -> [0, 255], zero at mid-grey
    else:
        scale, offset = 255.0, 0.0  # [0, 1] -> [0, 255], brighter than 1 is clipped
    y = np.empty(o.shape, np.float32)  # float32 and in-place: this runs on every kernel edit
    np.multiply(o, scale, out=y, casting="unsafe")
    y += offset
    np.clip(y, 0, 255, out=y)
    pixels = np.rint(y).astype(np.uint8)
    return np.repeat(pixels, 3, axis=2) if pixels.shape[2] == 1 else pixels
