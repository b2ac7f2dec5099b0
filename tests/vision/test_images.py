"""Sample pictures and uploads: shapes, ranges, and refusals with one clear sentence."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from playground import images


def encoded(array: np.ndarray, fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format=fmt)
    return buf.getvalue()


def test_sample_photos_and_digit():
    for name in ("china", "flower"):
        photo = images.sample_photo(name)
        assert photo.shape == (427, 640, 3) and photo.dtype == np.float32
        assert photo.min() >= 0 and photo.max() <= 1 and photo.std() > 0.05
    d = images.load("digit")
    assert d.shape == (8, 8, 3) and 0.5 < d.max() <= 1.0
    with pytest.raises(images.ImageError, match="Unknown sample photo"):
        images.sample_photo("moon")


def test_png_and_jpeg_uploads_decode_and_shrink():
    rng = np.random.default_rng(0)
    big = rng.integers(0, 255, (900, 1200, 3), dtype=np.uint8)
    png = images.decode_upload(encoded(big, "PNG"))
    assert png.shape == (480, 640, 3)  # longer side shrunk to 640, aspect kept
    small = rng.integers(0, 255, (30, 40), dtype=np.uint8)  # grayscale
    out = images.decode_upload(encoded(small, "PNG"))
    np.testing.assert_allclose(out[..., 0], small / 255.0, atol=1e-6)  # not enlarged, exact
    jpg = images.decode_upload(encoded(big[:100, :100], "JPEG"))
    assert jpg.shape == (100, 100, 3)


@pytest.mark.parametrize(
    ("data", "error", "words"),
    [
        (b"", images.UnsupportedImageError, "empty"),
        (b"GIF89a" + b"\0" * 20, images.UnsupportedImageError, "not a PNG or JPEG"),
        (b"%PDF-1.4 hello", images.UnsupportedImageError, "not a PNG or JPEG"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, images.UnsupportedImageError, "could not be read"),
        (b"\xff\xd8\xff" + b"\0" * (images.MAX_BYTES + 1), images.ImageTooLargeError, "MB"),
    ],
)
def test_bad_uploads_are_refused(data, error, words):
    with pytest.raises(error, match=words):
        images.decode_upload(data)


def test_huge_pixel_count_refused_before_decoding(monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 50 * 50)
    with pytest.raises(images.ImageTooLargeError, match="megapixels"):
        images.decode_upload(encoded(np.zeros((60, 60, 3), np.uint8), "PNG"))


def test_encode_picture_round_trip():
    pixels = np.random.default_rng(1).integers(0, 255, (7, 9, 3), dtype=np.uint8)
    data, fmt = images.encode_picture(pixels)
    assert fmt == "png"  # small: exact
    np.testing.assert_array_equal(images.decode_picture(data), pixels)
    photo = np.round(images.sample_photo("flower") * 255).astype(np.uint8)
    data, fmt = images.encode_picture(photo)
    assert fmt == "jpeg" and data[:3] == b"\xff\xd8\xff"  # a photo: JPEG, close to the pixels
    assert np.abs(images.decode_picture(data).astype(int) - photo).mean() < 2
