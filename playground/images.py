"""Pictures to convolve: scikit-learn's sample photos, a handwritten digit, or your own upload.

Every loader returns an ``(H, W, 3)`` float32 array in ``[0, 1]``. Uploads are checked before
they are decoded (type by their first bytes, size in bytes and in pixels) and refused with a
typed error that says what to do. Decoding uses Pillow, which scikit-learn's sample-image
loader and ipycanvas already need.
"""

from __future__ import annotations

import functools
import io

import numpy as np
from numpy.typing import NDArray
from PIL import Image

FloatImage = NDArray[np.float32]

#: Names :func:`load` accepts.
NAMES = ("china", "flower", "digit")
#: Refuse uploads above this many bytes.
MAX_BYTES = 5 * 1024 * 1024  # what scripts/serve.py lets through a websocket, less the envelope
#: Refuse images above this many pixels before decoding them (a "decompression bomb").
MAX_PIXELS = 40_000_000
#: Uploads are shrunk so their longer side is at most this (the sample photos are 427x640).
MAX_SIDE = 640

_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}


class ImageError(ValueError):
    """An image that cannot be used; the message says why in one sentence."""


class UnsupportedImageError(ImageError):
    """Not a PNG or JPEG, or a damaged one."""


class ImageTooLargeError(ImageError):
    """Too many bytes or too many pixels."""


@functools.lru_cache(maxsize=1)
def _sample_photos() -> dict[str, FloatImage]:
    from sklearn.datasets import load_sample_images

    bunch = load_sample_images()
    out: dict[str, FloatImage] = {}
    for path, img in zip(bunch.filenames, bunch.images):
        name = path.replace("\\", "/").rsplit("/", 1)[-1].split(".")[0]  # "china.jpg" -> "china"
        out[name] = (np.asarray(img, dtype=np.float32) / 255.0)  # (427, 640, 3)
    return out


def sample_photo(name: str) -> FloatImage:
    """scikit-learn's sample photo ``"china"`` or ``"flower"`` (427 x 640 x 3, in [0, 1])."""
    photos = _sample_photos()
    if name not in photos:
        raise ImageError(f"Unknown sample photo {name!r}: choose one of {', '.join(sorted(photos))}.")
    return photos[name].copy()


@functools.lru_cache(maxsize=1)
def _digits() -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.images.astype(np.float64), d.target.astype(np.int64)  # (1797, 8, 8) in 0..16


def digit(index: int = 0) -> FloatImage:
    """Handwritten digit number ``index`` of scikit-learn's digits, as an 8 x 8 x 3 picture."""
    images, _ = _digits()
    if not 0 <= index < len(images):
        raise ImageError(f"There are {len(images)} digits; pick an index from 0 to {len(images) - 1}.")
    gray = (images[index] / 16.0).astype(np.float32)  # 0..16 ink -> [0, 1]
    return np.repeat(gray[:, :, None], 3, axis=2)


def load(name: str) -> FloatImage:
    """One of :data:`NAMES`: a sample photo or the first digit."""
    if name == "digit":
        return digit(0)
    return sample_photo(name)


def resize(image: FloatImage, max_side: int = MAX_SIDE) -> FloatImage:
    """``image`` shrunk (never enlarged) so its longer side is at most ``max_side``."""
    h, w = image.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1:
        return image
    size = (max(1, round(w * scale)), max(1, round(h * scale)))  # Pillow wants (width, height)
    pil = Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8))
    return np.asarray(pil.resize(size, Image.Resampling.LANCZOS), dtype=np.float32) / 255.0


def decode_upload(data: bytes, max_bytes: int = MAX_BYTES, max_side: int = MAX_SIDE) -> FloatImage:
    """Decode an uploaded PNG or JPEG into an ``(H, W, 3)`` float picture, shrunk to ``max_side``.

    Raises
    ------
    ImageTooLargeError
        More than ``max_bytes`` bytes, or more than :data:`MAX_PIXELS` pixels.
    UnsupportedImageError
        Empty, not a PNG/JPEG, or damaged.
    """
    data = bytes(data)
    if not data:
        raise UnsupportedImageError("The uploaded file is empty: choose a PNG or JPEG picture.")
    if len(data) > max_bytes:
        raise ImageTooLargeError(
            f"The file is {len(data) / 2**20:.1f} MB; pictures up to {max_bytes / 2**20:.0f} MB are accepted."
        )
    kind = next((k for sig, k in _SIGNATURES.items() if data.startswith(sig)), None)
    if kind is None:
        raise UnsupportedImageError("That file is not a PNG or JPEG picture: choose a .png or .jpg file.")
    try:
        with Image.open(io.BytesIO(data)) as pil:
            w, h = pil.size  # read from the header, before the pixels are decoded
            if w * h > MAX_PIXELS:
                raise ImageTooLargeError(
                    f"The picture is {w}x{h} pixels; pictures up to {MAX_PIXELS // 1_000_000} megapixels are accepted."
                )
            pil.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)  # shrink while decoding
            rgb = np.asarray(pil.convert("RGB"), dtype=np.float32) / 255.0
    except ImageError:
        raise
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        raise UnsupportedImageError(f"The {kind} file could not be read; it may be damaged ({err}).") from err
    return rgb


def encode_png(pixels: NDArray[np.uint8]) -> bytes:
    """PNG bytes of an ``(H, W, 3)`` or ``(H, W)`` 8-bit picture."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


#: Pictures up to this many pixels are sent as exact PNG; larger ones as JPEG.
PNG_PIXELS = 128 * 128


def encode_picture(pixels: NDArray[np.uint8], quality: int = 92) -> tuple[bytes, str]:
    """Bytes and format (``"png"`` or ``"jpeg"``) of an 8-bit picture, for a browser to show.

    Small pictures (a digit, a crop) go as PNG, pixel-exact. A photo goes as JPEG: for a
    427x640 edge map that is ~20x faster to encode and ~7x smaller than PNG, which is what
    lets the output follow each keystroke in the kernel grid.
    """
    if pixels.shape[0] * pixels.shape[1] <= PNG_PIXELS:
        return encode_png(pixels), "png"
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buf, format="JPEG", quality=quality, subsampling=0)  # 4:4:4
    return buf.getvalue(), "jpeg"


def decode_picture(data: bytes) -> NDArray[np.uint8]:
    """The ``(H, W, 3)`` pixels back from :func:`encode_picture` (used by tests and the benchmark)."""
    with Image.open(io.BytesIO(bytes(data))) as pil:
        return np.asarray(pil.convert("RGB"))
