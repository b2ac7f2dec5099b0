"""The explained convolution against torch.nn.functional.conv2d, and its step-by-step pieces."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from playground import conv

CASES = list(itertools.product(conv.PRESETS, conv.SIZES, (1, 2, 3), (0, 1, 2), (1, 2)))


@pytest.fixture(scope="module")
def picture() -> np.ndarray:
    return np.random.default_rng(1).random((3, 17, 23))  # odd sizes catch off-by-one strides


def oracle(x: np.ndarray, k: np.ndarray, spec: conv.ConvSpec) -> np.ndarray:
    """Depthwise conv2d: every channel with the same kernel, as the explorer's per-channel mode."""
    c = x.shape[0]
    weight = torch.from_numpy(k)[None, None].repeat(c, 1, 1, 1)  # (C, 1, k, k)
    out = F.conv2d(torch.from_numpy(x)[None], weight, stride=spec.stride, padding=spec.padding, dilation=spec.dilation, groups=c)
    return out[0].numpy()


@pytest.mark.parametrize(("name", "size", "stride", "padding", "dilation"), CASES)
def test_convolve_equals_conv2d(picture, name, size, stride, padding, dilation):
    spec = conv.ConvSpec(stride, padding, dilation)
    k = conv.preset(name, size, seed=3)
    ours = conv.convolve(picture, k, spec)
    theirs = oracle(picture, k, spec)
    assert ours.shape == theirs.shape == (3, *conv.output_size(17, 23, size, spec))
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("stride", "padding", "dilation"), [(1, 0, 1), (2, 1, 1), (3, 2, 2), (1, 2, 3)])
def test_every_window_sum_is_the_output_pixel(picture, stride, padding, dilation):
    spec = conv.ConvSpec(stride, padding, dilation)
    k = conv.preset("random", 3, seed=7)
    out = conv.convolve(picture, k, spec)
    for i, j in conv.positions(*out.shape[1:]):
        win = conv.window(picture, k, spec, i, j)
        np.testing.assert_allclose(win.product, win.patch * k)
        np.testing.assert_allclose(win.total, out[:, i, j], atol=1e-12)


def test_grayscale_mixes_channels_by_luma():
    rgb = np.random.default_rng(2).random((5, 6, 3))
    gray = conv.prepare(rgb, "grayscale")
    assert gray.shape == (1, 5, 6)
    np.testing.assert_allclose(gray[0], 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2])
    np.testing.assert_allclose(conv.prepare(rgb, "per-channel"), rgb.transpose(2, 0, 1))


def test_presets_do_what_their_names_say():
    x = np.random.default_rng(3).random((1, 12, 12))
    same = conv.ConvSpec(padding=1)
    np.testing.assert_allclose(conv.convolve(x, conv.preset("identity"), same), x)
    flat = np.full((1, 6, 6), 0.4)
    for name in ("edge", "sobel x", "sobel y"):
        np.testing.assert_allclose(conv.convolve(flat, conv.preset(name)), 0, atol=1e-12)  # no change, no edge
    for name in ("box blur", "gaussian blur", "sharpen", "emboss"):
        np.testing.assert_allclose(conv.convolve(flat, conv.preset(name, 5)), 0.4)  # weights sum to 1
    ramp = np.tile(np.arange(6.0), (6, 1))[None]  # brighter to the right
    assert (conv.convolve(ramp, conv.preset("sobel x")) > 0).all()
    np.testing.assert_allclose(conv.convolve(ramp, conv.preset("sobel y")), 0)
    assert not np.allclose(conv.preset("random", seed=0), conv.preset("random", seed=1))
    np.testing.assert_array_equal(conv.preset("random", seed=4), conv.preset("random", seed=4))


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: conv.ConvSpec(stride=0), "Stride"),
        (lambda: conv.preset("blurry"), "Unknown kernel preset"),
        (lambda: conv.preset("edge", 4), "3 or 5"),
        (lambda: conv.convolve(np.zeros((1, 4, 4)), np.ones((5, 5)), conv.ConvSpec(dilation=2)), "reaches 9 pixels"),
        (lambda: conv.convolve(np.zeros((1, 4, 4)), np.full((3, 3), np.nan)), "finite"),
        (lambda: conv.convolve(np.zeros((1, 4, 4)), np.full((3, 3), 1e300)), "between"),
        (lambda: conv.window(np.zeros((1, 4, 4)), np.ones((3, 3)), conv.ConvSpec(), 2, 0), "outside"),
    ],
)
def test_bad_settings_raise_one_sentence(call, words):
    with pytest.raises(conv.ConvError, match=words):
        call()


def test_display_is_grey_at_zero_for_signed_outputs():
    out = np.array([[[-2.0, 0.0, 2.0]]])
    np.testing.assert_array_equal(conv.to_display(out)[0, :, 0], [0, 128, 255])
    np.testing.assert_array_equal(conv.to_display(np.array([[[0.5, 1.7]]]))[0, :, 0], [128, 255])  # clipped
