"""Draw a digit for a real CNN: live class probabilities, every layer's feature maps, learned filters.

The canvas is an ipycanvas ``Canvas``. Its mouse and touch events call :meth:`DigitsCNNView.stroke_to`
and friends, which paint the same stroke into a NumPy ink grid; the network reads that grid through
:func:`playground.cnn.analyse`. Tests (and a browser-less kernel) call the same handlers, or
:meth:`DigitsCNNView.set_drawing` with an array.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import numpy as np
import plotly.graph_objects as go
from ipycanvas import Canvas, hold_canvas
from PIL import Image
from plotly.subplots import make_subplots

from playground import cnn
from widgets._common import Notice, figure, guarded
from widgets.cnn_panels import DreamPanel, TrainingPanel, mosaic

#: Canvas size in screen pixels, and the ink grid's size (one cell per 4x4 pixels).
CANVAS = 224
GRID = 56
#: Brush radius in grid cells.
BRUSH = 2.4
#: While a stroke is being drawn, update the network's answer every this many mouse moves.
MOVES_PER_UPDATE = 3
_MAP_COLS = {"conv1": 4, "pool1": 4, "conv2": 4, "pool2": 4}


def _subplots_figure(fig: go.Figure, height: int) -> go.FigureWidget:
    layout = fig.layout.to_plotly_json()
    layout.pop("template", None)
    return figure(*fig.data, height=height, **layout)


def _image_axes(fig: go.FigureWidget, count: int) -> None:
    for i in range(1, count + 1):
        s = "" if i == 1 else str(i)
        fig.layout[f"yaxis{s}"].update(autorange="reversed", scaleanchor=f"x{s}", showticklabels=False)
        fig.layout[f"xaxis{s}"].update(showticklabels=False)


class DigitsCNNView(w.VBox):
    """Canvas, probability bars, "what the network sees", feature maps, filters, training, dreams."""

    def __init__(self, model: cnn.DigitsCNN | None = None, **kwargs: Any) -> None:
        self.model = model if model is not None else cnn.load_pretrained()
        self.notice = Notice()
        self.canvas = Canvas(width=CANVAS, height=CANVAS, layout=w.Layout(width=f"{CANVAS}px", height=f"{CANVAS}px", border="1px solid #888"))
        self.clear_button = w.Button(description="Clear", icon="eraser")
        self.ink = np.zeros((GRID, GRID))
        self.analysis = cnn.analyse(self.model, self.ink)
        self._last: tuple[float, float] | None = None
        self._moves = 0
        self.updates = 0  # how many times the network has been asked (for tests and benchmarks)

        self.probs = figure(
            go.Bar(x=list(range(10)), y=[0.1] * 10, marker_color="#1f6feb"),
            height=260, title="P(digit)", yaxis=dict(range=[0, 1]), xaxis=dict(dtick=1, title="digit"),
        )
        seen = make_subplots(rows=1, cols=1, subplot_titles=("what the network sees (8x8)",))
        seen.add_trace(go.Heatmap(z=np.zeros((8, 8)), colorscale="Gray", reversescale=True, zmin=0, zmax=1, showscale=False))
        self.seen = _subplots_figure(seen, 260)
        _image_axes(self.seen, 1)
        maps = make_subplots(rows=1, cols=4, subplot_titles=cnn.LAYERS, horizontal_spacing=0.04)
        for col in range(1, 5):
            maps.add_trace(go.Heatmap(z=[[0]], colorscale="Viridis", showscale=False, hoverongaps=False), 1, col)
        self.maps = _subplots_figure(maps, 300)
        self.maps.update_layout(title="Feature maps for your drawing (after ReLU)")
        _image_axes(self.maps, 4)
        filt = make_subplots(rows=1, cols=2, subplot_titles=("conv1: 8 filters (3x3)", "conv2: 16 filters x 8 inputs"), column_widths=[0.3, 0.7])
        for col in (1, 2):
            filt.add_trace(go.Heatmap(z=[[0]], colorscale="RdBu", zmid=0, showscale=False, hoverongaps=False), 1, col)
        self.filters = _subplots_figure(filt, 420)
        self.filters.update_layout(title="Learned filters (red positive, blue negative)")
        _image_axes(self.filters, 2)
        self.training = TrainingPanel(cnn.read_meta()["history"] if model is None else {"loss": [], "val_accuracy": []})
        self.dreams = DreamPanel(self.model)

        top = w.HBox([w.VBox([w.HTML("<b>Draw a digit</b>"), self.canvas, self.clear_button]), self.probs, self.seen])
        super().__init__([self.notice, top, self.maps, self.filters, self.dreams, self.training], **kwargs)

        self.canvas.on_mouse_down(self.pen_down)
        self.canvas.on_mouse_move(self.stroke_to)
        self.canvas.on_mouse_up(self.pen_up)
        self.canvas.on_mouse_out(self.pen_up)
        self.canvas.on_touch_start(lambda touches: self.pen_down(*touches[0]))
        self.canvas.on_touch_move(lambda touches: self.stroke_to(*touches[0]))
        self.canvas.on_touch_end(lambda touches: self.pen_up())
        self.clear_button.on_click(self.clear)
        self.training.on_trained(self.use_model)
        self.clear()
        self._draw_filters()

    # -- drawing: the handlers the canvas events call ------------------------------------------
    def pen_down(self, x: float, y: float) -> None:
        """Start a stroke at canvas pixel ``(x, y)``."""
        self._last = (x, y)
        self.stroke_to(x, y)

    def stroke_to(self, x: float, y: float) -> None:
        """Extend the stroke to ``(x, y)`` (ignored when the pen is up)."""
        if self._last is None:
            return
        x0, y0 = self._last
        self._last = (x, y)
        with hold_canvas():
            self.canvas.stroke_style, self.canvas.line_width, self.canvas.line_cap = "white", 2 * BRUSH * CANVAS / GRID, "round"
            self.canvas.stroke_line(x0, y0, x, y)
        self._paint(x0, y0, x, y)
        self._moves += 1
        if self._moves % MOVES_PER_UPDATE == 0:
            self.update()

    def pen_up(self, x: float | None = None, y: float | None = None) -> None:
        """End the stroke and update the answer."""
        if self._last is not None:
            self._last = None
            self.update()

    def _paint(self, x0: float, y0: float, x1: float, y1: float) -> None:
        """Ink every grid cell within ``BRUSH`` of the segment (canvas pixels -> grid cells)."""
        scale = GRID / CANVAS
        n = max(2, int(np.hypot(x1 - x0, y1 - y0) * scale * 2))
        t = np.linspace(0, 1, n)[:, None, None]  # points along the segment
        cy, cx = (y0 + (y1 - y0) * t) * scale, (x0 + (x1 - x0) * t) * scale
        yy, xx = np.mgrid[0:GRID, 0:GRID] + 0.5  # cell centres
        near = ((yy - cy) ** 2 + (xx - cx) ** 2 <= BRUSH**2).any(axis=0)
        self.ink[near] = 1.0

    def set_drawing(self, drawing: np.ndarray) -> None:
        """Replace the drawing with ``drawing`` (2-D ink in ``[0, 1]``, any size) and update."""
        with guarded(self.notice):
            d = np.clip(np.nan_to_num(np.asarray(drawing, dtype=np.float32)), 0, 1)
            if d.ndim != 2:
                raise ValueError(f"A drawing must be a 2-D grid of ink, not shape {d.shape}.")
            self.ink = np.asarray(Image.fromarray(d).resize((GRID, GRID), Image.Resampling.NEAREST), dtype=np.float64)
            pixels = np.kron(self.ink, np.ones((CANVAS // GRID, CANVAS // GRID)))  # (CANVAS, CANVAS)
            self.canvas.put_image_data(np.repeat((pixels * 255).astype(np.uint8)[:, :, None], 3, axis=2), 0, 0)
            self.update()

    def clear(self, _: Any = None) -> None:
        """Wipe the canvas and the ink."""
        self.ink = np.zeros((GRID, GRID))
        self._last = None
        with hold_canvas():
            self.canvas.fill_style = "black"
            self.canvas.fill_rect(0, 0, CANVAS, CANVAS)
        self.update()

    def use_model(self, model: cnn.DigitsCNN) -> None:
        """Switch to another trained network (after retraining) and redraw everything."""
        self.model = model
        self.dreams.model = model
        self._draw_filters()
        self.update()

    # -- the network's answer -------------------------------------------------------------------
    def update(self) -> None:
        """Ask the network about the current ink; redraw probabilities and feature maps."""
        with guarded(self.notice):
            a = cnn.analyse(self.model, self.ink)
            self.analysis = a
            self.updates += 1
            colours = ["#1f6feb" if i == a.label and a.confident else "#9bb8e0" for i in range(10)]
            verdict = f"looks like a {a.label} ({a.confidence:.0%})" if a.confident else f"unsure (best guess {a.label}, {a.confidence:.0%})"
            with self.probs.batch_update():
                self.probs.data[0].update(y=a.probabilities, marker_color=colours)
                self.probs.layout.title.text = f"P(digit): {verdict}"
            with self.seen.batch_update():
                self.seen.data[0].z = a.image
            with self.maps.batch_update():
                for i, name in enumerate(cnn.LAYERS):
                    self.maps.data[i].z = mosaic(a.maps[name], _MAP_COLS[name])

    def _draw_filters(self) -> None:
        f1 = cnn.filters(self.model, "conv1")[:, 0]  # (8, 3, 3)
        f2 = cnn.filters(self.model, "conv2")  # (16, 8, 3, 3): one row per filter, one column per input
        with self.filters.batch_update():
            self.filters.data[0].z = mosaic(f1, 4)
            self.filters.data[1].z = mosaic(f2.reshape(-1, 3, 3), f2.shape[1])
