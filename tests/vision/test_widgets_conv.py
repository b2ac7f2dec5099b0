"""The convolution explorer driven like a user: kernel cells, presets, sliders, Play, uploads."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from playground import conv, images
from widgets.conv import ConvExplorer, screen_scale


def shown_output(explorer: ConvExplorer) -> np.ndarray:
    """The output picture as the browser receives it, at one screen pixel per output pixel."""
    pixels = images.decode_picture(explorer.output_view.value)
    n = screen_scale(explorer.output[0])
    return pixels[::n, ::n]


def assert_shows(actual: np.ndarray, expected: np.ndarray) -> None:
    """Exact for small pictures (PNG); a photo goes as JPEG, so within a few grey levels on average.

    For scale: the china photo against itself shifted by one pixel differs by ~15 levels on average.
    """
    assert actual.shape == expected.shape
    if expected.shape[0] * expected.shape[1] * screen_scale(expected) ** 2 <= images.PNG_PIXELS:
        np.testing.assert_array_equal(actual, expected)
    else:
        assert np.abs(actual.astype(int) - expected).mean() < 3


def expected_output(explorer: ConvExplorer) -> np.ndarray:
    x = conv.prepare(explorer.picture, explorer.mode.value)
    return conv.to_display(conv.convolve(x, explorer.kernel.kernel, explorer.spec))


@pytest.fixture
def digit_explorer() -> ConvExplorer:
    return ConvExplorer(image="digit", kernel="sobel x")


def test_editing_one_kernel_cell_redraws_the_photo_output():
    e = ConvExplorer(image="china", kernel="identity")
    assert_shows(shown_output(e), conv.to_display(conv.prepare(images.sample_photo("china"))[:, 1:-1, 1:-1]))
    e.kernel.cells[4].value = 0.0  # centre tap off ...
    e.kernel.cells[5].value = 1.0  # ... right neighbour on: the picture shifts left by one pixel
    assert e.kernel.preset.value == "custom"
    assert shown_output(e).shape == (425, 638, 3)
    assert_shows(shown_output(e), expected_output(e))
    gray = conv.prepare(e.picture)  # (1, 427, 640)
    assert_shows(shown_output(e), conv.to_display(gray[:, 1:-1, 2:]))  # out[i, j] = x[i+1, j+2]


def test_preset_change_is_one_update_and_matches_the_engine(digit_explorer):
    e = digit_explorer
    seen: list[np.ndarray] = []
    e.kernel.on_change(seen.append)
    e.kernel.preset.value = "gaussian blur"
    assert len(seen) == 1  # nine cells changed, one redraw
    np.testing.assert_allclose(e.kernel.kernel, conv.preset("gaussian blur"), atol=1e-4)
    assert_shows(shown_output(e), expected_output(e))
    e.kernel.size.value = 5
    assert len(seen) == 2 and e.kernel.kernel.shape == (5, 5) and len(e.kernel.grid.children) == 25
    e.kernel.reroll.click()
    first = e.kernel.kernel
    e.kernel.reroll.click()
    assert e.kernel.preset.value == "random" and not np.allclose(first, e.kernel.kernel)


@pytest.mark.parametrize(("stride", "padding", "dilation"), [(1, 1, 1), (2, 0, 1), (1, 2, 2), (3, 1, 1)])
def test_sliders_reshape_the_output(digit_explorer, stride, padding, dilation):
    e = digit_explorer
    e.stride.value, e.padding.value, e.dilation.value = stride, padding, dilation
    spec = conv.ConvSpec(stride, padding, dilation)
    assert e.output.shape[1:] == conv.output_size(8, 8, 3, spec)
    assert_shows(shown_output(e), expected_output(e))
    assert e.play.max == min(6, e.output.shape[1]) * min(6, e.output.shape[2]) - 1


def test_play_slides_the_window_and_fills_the_output_block(digit_explorer):
    e = digit_explorer
    e.padding.value = 1  # 8x8 output; the stage shows its top-left 6x6 block
    e.play.value = 8  # Play ticks: the scrubber follows
    assert e.scrub.value == 8 and e.position() == (1, 2)
    win = conv.window(e.x, e.kernel.kernel, e.spec, 1, 2)
    np.testing.assert_allclose(np.array(e.stage.data[1].z), win.patch[0])
    np.testing.assert_allclose(np.array(e.stage.data[3].z), win.product[0])
    block = np.array(e.stage.data[4].z, dtype=float)
    assert np.isnan(block.ravel()[9:]).all() and not np.isnan(block.ravel()[:9]).any()
    np.testing.assert_allclose(block.ravel()[:9], e.output[0, :6, :6].ravel()[:9])
    assert f"{win.total[0]:.3f}" in e.equation.value and "output[1, 2]" in e.equation.value
    e.row.value = 2  # move the stage: the window restarts at the block's corner
    assert e.scrub.value == 0 and e.position() == (2, 0)


def test_per_channel_mode_shows_the_chosen_channel(digit_explorer):
    e = digit_explorer
    e.source.value = "flower"
    e.mode.value = "per-channel"
    e.channel.value = 2
    assert e.output.shape[0] == 3
    win = conv.window(e.x, e.kernel.kernel, e.spec, *e.position())
    np.testing.assert_allclose(np.array(e.stage.data[1].z), win.patch[2])
    assert_shows(shown_output(e), expected_output(e))


def test_impossible_settings_show_a_sentence_and_keep_the_controls(digit_explorer):
    e = digit_explorer
    e.kernel.size.value = 5
    e.dilation.value = 3  # reaches 13 pixels on an 8x8 digit
    assert e.notice.kind == "error" and "reaches 13 pixels" in e.notice.text
    assert e.dilation.value == 3 and e.kernel.kernel.shape == (5, 5)
    e.padding.value = 3  # now it fits again
    assert e.notice.text == "" and e.output.shape[1:] == (2, 2)


def upload(e: ConvExplorer, name: str, data: bytes) -> None:
    # the state a browser sends when a file is picked (deserialised as ipywidgets does)
    e.upload.set_state({"value": [{"name": name, "type": "image/png", "size": len(data), "content": memoryview(data), "last_modified": 0}]})


def test_upload_a_png_and_convolve_it(digit_explorer):
    e = digit_explorer
    pixels = np.random.default_rng(0).integers(0, 255, (30, 50, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    upload(e, "mine.png", buf.getvalue())
    assert e.source.value == "upload: mine.png" and e.notice.text == ""
    np.testing.assert_allclose(e.picture, pixels / 255.0, atol=1e-6)
    assert_shows(shown_output(e), expected_output(e))


def test_bad_upload_is_refused_and_nothing_is_lost(digit_explorer):
    e = digit_explorer
    e.kernel.cells[0].value = 3.5
    before = e.kernel.kernel.copy()
    upload(e, "notes.txt", b"just some text, not a picture")
    assert e.notice.kind == "error" and "not a PNG or JPEG" in e.notice.text
    assert e.source.value == "digit" and np.array_equal(e.kernel.kernel, before)
    assert_shows(shown_output(e), expected_output(e))


def test_input_shows_the_stage_box_in_red(digit_explorer):
    e = digit_explorer  # 8x8 digit, 6x6 output: the stage covers the whole picture
    pixels = images.decode_picture(e.input_view.value)
    n = screen_scale(e.picture)
    assert pixels.shape == (8 * n, 8 * n, 3)
    red = (pixels[..., 0] > 200) & (pixels[..., 1] < 90) & (pixels[..., 2] < 140)
    assert red[0].all() and red[:, 0].all() and red[-1].all() and not red[n:-n, n:-n].any()
    e.source.value = "china"  # a 427x640 photo: the box is a small rectangle in the middle
    pixels = images.decode_picture(e.input_view.value)
    red = (pixels[..., 0] > 200) & (pixels[..., 1] < 90) & (pixels[..., 2] < 140)
    rows, cols = np.nonzero(red)
    assert pixels.shape == (427, 640, 3) and (e.row.value, e.col.value) == (209, 316)
    assert rows.min() >= 205 and rows.max() <= 222 and cols.min() >= 312 and cols.max() <= 329
    e.row.value, e.col.value = 100, 200  # moving the stage moves the box
    red = images.decode_picture(e.input_view.value)
    rows, cols = np.nonzero((red[..., 0] > 200) & (red[..., 1] < 90) & (red[..., 2] < 140))
    assert 95 <= rows.min() <= 101 and 195 <= cols.min() <= 201


def test_displaying_sends_the_current_figures_not_the_first_ones(digit_explorer):
    """Voila builds the page after the notebook ran: the synced state must hold the latest data."""
    e = digit_explorer
    e.play.value = 4
    e._repr_mimebundle_()
    patch = conv.window(e.x, e.kernel.kernel, e.spec, *e.position()).patch[0]
    np.testing.assert_allclose(np.array(e.stage._widget_data[1]["z"], dtype=float), patch)
