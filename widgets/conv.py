"""The convolution explorer: pick a picture, edit a kernel, watch the window slide.

Top: the picture and the whole convolved output (redrawn on every edit), as two ``Image``
widgets: a photo travels as a binary JPEG, not as a plotly trace, which keeps the page light. Bottom: a magnified
stage over a block of output positions; ``Play`` moves the window one position per tick,
showing the patch under it, the kernel, their element-wise product and its sum, and the block
of output filling in. Every number comes from :mod:`playground.conv`.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground import conv, images
from widgets._common import Notice, ShowsFigures, figure, gaps, guarded
from widgets.conv_kernel import KernelGrid

#: The stage shows at most this many output positions along each side.
STAGE = 6
#: Pictures narrower than this are enlarged (by whole pixels) so the browser does not blur them.
MIN_SCREEN = 256
_STAGE_COLOUR = np.array([255, 45, 85], np.uint8)
_STAGE_TITLES = ("input (padded) under the window", "patch", "kernel", "patch × kernel", "output block")


def _subplots_figure(fig: go.Figure, height: int) -> go.FigureWidget:
    layout = fig.layout.to_plotly_json()
    layout.pop("template", None)
    return figure(*fig.data, height=height, **layout)


def screen_scale(pixels: np.ndarray) -> int:
    """The whole-pixel enlargement that makes a small picture (a digit) at least ``MIN_SCREEN`` wide."""
    return max(1, -(-MIN_SCREEN // max(pixels.shape[:2])))


def enlarge(pixels: np.ndarray, n: int) -> np.ndarray:
    """Each pixel as an ``n`` x ``n`` block."""
    return np.repeat(np.repeat(pixels, n, axis=0), n, axis=1) if n > 1 else pixels


def show(view: w.Image, pixels: np.ndarray) -> None:
    """Put an ``(H, W, 3)`` 8-bit picture into an ``Image`` widget."""
    data, fmt = images.encode_picture(pixels)
    with view.hold_sync():
        view.format, view.value = fmt, data


def _numbers(a: np.ndarray) -> list[list[str]]:
    return [["" if np.isnan(v) else f"{v:.2f}" for v in row] for row in a]


class ConvExplorer(ShowsFigures, w.VBox):
    """Image picker and upload, kernel editor, stride/padding/dilation, output and sliding stage."""

    def __init__(self, image: str = "china", kernel: str = "edge", **kwargs: Any) -> None:
        self.notice = Notice()
        self.source = w.Dropdown(options=list(images.NAMES), value=image, description="Picture")
        self.upload = w.FileUpload(accept=".png,.jpg,.jpeg,image/png,image/jpeg", multiple=False, description="Upload")
        self.mode = w.ToggleButtons(options=list(conv.MODES), value="grayscale", description="Colour")
        self.channel = w.ToggleButtons(options=[("R", 0), ("G", 1), ("B", 2)], value=0, description="Stage channel")
        self.kernel = KernelGrid(kernel)
        self.stride = w.IntSlider(1, min=1, max=4, description="Stride")
        self.padding = w.IntSlider(0, min=0, max=4, description="Padding")
        self.dilation = w.IntSlider(1, min=1, max=3, description="Dilation")
        self.row = w.IntSlider(0, min=0, max=0, description="Stage row")
        self.col = w.IntSlider(0, min=0, max=0, description="Stage col")
        self.play = w.Play(value=0, min=0, max=0, interval=400, description="Slide the window")
        self.scrub = w.IntSlider(0, min=0, max=0, description="Position")
        w.link((self.play, "value"), (self.scrub, "value"))  # a Python link, so tests can drive Play
        self.equation = w.HTML()
        self._uploads: dict[str, np.ndarray] = {}
        self.picture = images.load(image)
        self.x = conv.prepare(self.picture)
        self.output = np.zeros((1, 1, 1))

        picture_layout = dict(width="100%", max_width="640px", object_fit="contain")
        self.input_view = w.Image(format="jpeg", layout=w.Layout(**picture_layout))
        self.output_view = w.Image(format="jpeg", layout=w.Layout(**picture_layout))
        self.output_view.add_class("np-conv-output")  # the browser test watches this picture change
        self.full = w.HBox([
            w.VBox([w.HTML("<b>input</b> (the red box is the stage below)"), self.input_view], layout=w.Layout(width="50%")),
            w.VBox([w.HTML("<b>output</b> (zero is mid-grey where the output has negative values)"), self.output_view], layout=w.Layout(width="50%")),
        ])
        self._shown_box: tuple[int, int, int, int] | None = None
        stage = make_subplots(rows=1, cols=5, subplot_titles=_STAGE_TITLES, horizontal_spacing=0.035)
        for col in range(1, 6):
            stage.add_trace(go.Heatmap(z=[[0]], colorscale="Gray" if col in (1, 2) else "RdBu", showscale=False, texttemplate="%{text}", zmid=None if col in (1, 2) else 0), 1, col)
        stage.add_trace(go.Scatter(x=[], y=[], mode="markers", marker=dict(color="#ff2d55", size=6), name="taps"), 1, 1)
        self.stage = _subplots_figure(stage, 300)
        self.stage.update_layout(showlegend=False, shapes=[dict(type="rect", xref="x", yref="y", line=dict(color="#ff2d55", width=3))])
        for i in range(1, 6):
            self.stage.layout[f"yaxis{'' if i == 1 else i}"].update(autorange="reversed", scaleanchor=f"x{'' if i == 1 else i}", showticklabels=False)
            self.stage.layout[f"xaxis{'' if i == 1 else i}"].update(showticklabels=False)

        controls = w.VBox([
            w.HBox([self.source, self.upload]),
            w.HBox([self.mode, self.channel]),
            self.kernel,
            w.HBox([self.stride, self.padding, self.dilation]),
        ])
        stage_box = w.VBox([w.HBox([self.play, self.scrub, self.row, self.col]), self.equation, self.stage])
        super().__init__([self.notice, controls, self.full, stage_box], **kwargs)

        self.kernel.on_change(lambda _: self._recompute())
        for ctl in (self.stride, self.padding, self.dilation, self.mode):
            ctl.observe(self._on_control, names="value")
        self.source.observe(self._on_source, names="value")
        self.upload.observe(self._on_upload, names="value")
        for ctl in (self.row, self.col):
            ctl.observe(self._on_stage_origin, names="value")
        self.channel.observe(lambda _: self._draw_stage(), names="value")
        self.scrub.observe(lambda _: self._draw_stage(), names="value")
        self.channel.layout.visibility = "hidden"  # only per-channel mode has channels to pick
        self._show_picture()
        self._recompute()
        self.centre_stage()

    def centre_stage(self) -> None:
        """Put the stage in the middle of the picture, where a photo has something to see."""
        self.row.value, self.col.value = self.row.max // 2, self.col.max // 2

    # -- the settings as the engine wants them -----------------------------------------------
    @property
    def spec(self) -> conv.ConvSpec:
        """Stride, padding and dilation from the sliders."""
        return conv.ConvSpec(self.stride.value, self.padding.value, self.dilation.value)

    @property
    def stage_channel(self) -> int:
        """The channel the stage shows: 0 in grayscale, the chosen one per channel."""
        return 0 if self.mode.value == "grayscale" else self.channel.value

    def stage_block(self) -> tuple[int, int, int, int]:
        """First output row and column of the stage and how many rows and columns it shows."""
        _, out_h, out_w = self.output.shape
        return self.row.value, self.col.value, min(STAGE, out_h), min(STAGE, out_w)

    def position(self) -> tuple[int, int]:
        """The output pixel under the window at the current play position."""
        r0, c0, _, nw = self.stage_block()
        p = self.scrub.value
        return r0 + p // nw, c0 + p % nw

    # -- handlers -------------------------------------------------------------------------------
    def _on_control(self, _: Any = None) -> None:
        self.channel.layout.visibility = "hidden" if self.mode.value == "grayscale" else "visible"
        self._show_picture()
        self._recompute()

    def _on_source(self, change: dict[str, Any]) -> None:
        with guarded(self.notice):
            name = change["new"]
            self.picture = self._uploads[name] if name in self._uploads else images.load(name)
            self._show_picture()
            self._recompute()
            self.centre_stage()

    def _on_upload(self, change: dict[str, Any]) -> None:
        files = change["new"]
        if not files:
            return
        with guarded(self.notice):
            item = files[0]
            picture = images.decode_upload(bytes(item["content"]))
            label = f"upload: {item['name']}"
            self._uploads[label] = picture
            if label not in self.source.options:
                self.source.options = [*self.source.options, label]
            if self.source.value == label:
                self._on_source({"new": label})
            else:
                self.source.value = label  # _on_source shows it
        self.upload.value = ()  # ready for the next file, even the same one again

    def _on_stage_origin(self, _: Any = None) -> None:
        self.scrub.value = 0
        self._draw_stage()

    # -- drawing ----------------------------------------------------------------------------------
    def _show_picture(self) -> None:
        self.x = conv.prepare(self.picture, self.mode.value)
        self._shown_box = None  # redraw the input with its stage box on the next stage draw

    def _show_input(self, box: tuple[int, int, int, int]) -> None:
        """The input picture with the stage's area outlined (rows y0..y1, columns x0..x1, clipped)."""
        if box == self._shown_box:
            return
        self._shown_box = box
        pixels = conv.to_display(np.clip(self.x, 0, 1))
        n = screen_scale(pixels)
        h, wd = pixels.shape[:2]
        pixels = enlarge(pixels, n).copy()
        # the box in screen pixels: from the first pixel's top-left to the last one's bottom-right
        y0, y1 = max(0, box[0]) * n, (min(h - 1, box[1]) + 1) * n - 1
        x0, x1 = max(0, box[2]) * n, (min(wd - 1, box[3]) + 1) * n - 1
        t = max(2, max(pixels.shape[:2]) // 200)  # line thickness
        if y0 <= y1 and x0 <= x1:
            pixels[y0 : y0 + t, x0 : x1 + 1] = pixels[max(y0, y1 - t + 1) : y1 + 1, x0 : x1 + 1] = _STAGE_COLOUR
            pixels[y0 : y1 + 1, x0 : x0 + t] = pixels[y0 : y1 + 1, max(x0, x1 - t + 1) : x1 + 1] = _STAGE_COLOUR
        show(self.input_view, pixels)

    def _recompute(self) -> None:
        """Convolve the whole picture and redraw the output and the stage (one kernel edit)."""
        with guarded(self.notice):
            self.output = conv.convolve(self.x, self.kernel.kernel, self.spec)  # (C, Ho, Wo)
            _, out_h, out_w = self.output.shape
            out = conv.to_display(self.output)
            show(self.output_view, enlarge(out, screen_scale(out)))
            self.row.max, self.col.max = max(0, out_h - STAGE), max(0, out_w - STAGE)
            _, _, nh, nw = self.stage_block()
            self.play.max = self.scrub.max = nh * nw - 1
            self._draw_stage()

    def _draw_stage(self) -> None:
        with guarded(self.notice):
            ch, spec, k = self.stage_channel, self.spec, self.kernel.kernel
            r0, c0, nh, nw = self.stage_block()
            row, col = self.position()
            win = conv.window(self.x, k, spec, row, col)
            reach = win.span
            top0, left0 = r0 * spec.stride, c0 * spec.stride  # stage crop origin, padded coordinates
            crop = conv.pad(self.x, spec.padding)[ch, top0 : (r0 + nh - 1) * spec.stride + reach, left0 : (c0 + nw - 1) * spec.stride + reach]
            block = self.output[ch, r0 : r0 + nh, c0 : c0 + nw].copy()
            done = self.scrub.value + 1
            block.ravel()[done:] = np.nan  # positions the window has not reached yet
            taps = np.arange(k.shape[0]) * spec.dilation
            ty, tx = np.meshgrid(win.top - top0 + taps, win.left - left0 + taps, indexing="ij")
            small = crop.shape[0] * crop.shape[1] <= 144
            with self.stage.batch_update():
                self.stage.data[0].update(z=crop, text=_numbers(crop) if small else None, zmin=0, zmax=1)
                self.stage.data[1].update(z=win.patch[ch], text=_numbers(win.patch[ch]), zmin=0, zmax=1)
                self.stage.data[2].update(z=k, text=_numbers(k))
                self.stage.data[3].update(z=win.product[ch], text=_numbers(win.product[ch]))
                self.stage.data[4].update(z=gaps(block), text=_numbers(block))
                self.stage.data[5].update(x=tx.ravel(), y=ty.ravel())
                self.stage.layout.shapes[0].update(x0=win.left - left0 - 0.5, x1=win.left - left0 + reach - 0.5, y0=win.top - top0 - 0.5, y1=win.top - top0 + reach - 0.5)
            p = spec.padding  # the stage's area on the input, in unpadded pixel coordinates
            self._show_input((top0 - p, top0 - p + crop.shape[0] - 1, left0 - p, left0 - p + crop.shape[1] - 1))
            terms = " + ".join(f"{v:.2f}" for v in win.product[ch].ravel()[:9])
            more = " + …" if k.size > 9 else ""
            self.equation.value = (
                f"<b>output[{row}, {col}]</b> = Σ patch × kernel = {terms}{more} = <b>{win.total[ch]:.3f}</b>"
            )
