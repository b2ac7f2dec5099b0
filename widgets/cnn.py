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
from widgets._common import Notice, ShowsFigures, compact, figure, gaps, guarded
from widgets.cnn_panels import DreamPanel, TrainingPanel, mosaic, show_ink

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


class DigitsCNNView(ShowsFigures, w.VBox):
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
        # Canvas commands sent before the browser's canvas exists are lost, and ipycanvas then
        # addresses later ones to no canvas at all (Voila builds the page after the notebook ran).
        # So nothing is drawn until the canvas says it is ready; then it is painted from the ink.
        self.canvas_ready = False
        self.updates = 0  # how many times the network has been asked (for tests and benchmarks)

        # Probabilities as native progress bars and the 8x8 input as a picture: light widgets that
        # follow the pen, and fewer plotly figures for the browser to start (each must be up in 2 s).
        self.verdict = w.HTML()
        self.bars = [w.FloatProgress(value=0.1, min=0, max=1, layout=w.Layout(width="220px")) for _ in range(10)]
        self.bar_labels = [w.Label("10%", layout=w.Layout(width="44px")) for _ in range(10)]
        self.probs = w.VBox(
            [self.verdict]
            + [w.HBox([w.Label(f"{d}", layout=w.Layout(width="16px")), bar, pct]) for d, bar, pct in zip(range(10), self.bars, self.bar_labels)]
        )
        self.seen = w.Image(format="png", layout=w.Layout(width="160px", height="160px"))
        specs = [[{}, {}, {}, {}], [{}, {"colspan": 3}, None, None]]
        titles = (*(f"{n} (your drawing)" for n in cnn.LAYERS), "conv1 filters (3x3)", "conv2 filters: 16 rows x 8 inputs")
        inside = make_subplots(rows=2, cols=4, specs=specs, subplot_titles=titles, horizontal_spacing=0.04, vertical_spacing=0.1, row_heights=[0.45, 0.55])
        for col in range(1, 5):
            inside.add_trace(go.Heatmap(z=[[0]], colorscale="Viridis", showscale=False, hoverongaps=False), 1, col)
        for col in (1, 2):
            inside.add_trace(go.Heatmap(z=[[0]], colorscale="RdBu", zmid=0, showscale=False, hoverongaps=False), 2, col)
        self.inside = _subplots_figure(inside, 640)
        self.inside.update_layout(title="Inside the network: feature maps (after ReLU) and learned filters (red +, blue -)")
        _image_axes(self.inside, 6)
        self.training = TrainingPanel(cnn.read_meta()["history"] if model is None else {"loss": [], "val_accuracy": []})
        self.dreams = DreamPanel(self.model)

        top = w.HBox([
            w.VBox([w.HTML("<b>Draw a digit</b>"), self.canvas, self.clear_button]),
            w.VBox([w.HTML("<b>P(digit)</b>"), self.probs], layout=w.Layout(margin="0 24px")),
            w.VBox([w.HTML("<b>what the network sees (8x8)</b>"), self.seen]),
        ])
        super().__init__([self.notice, top, self.inside, self.dreams, self.training], **kwargs)

        self.canvas.on_mouse_down(self.pen_down)
        self.canvas.on_mouse_move(self.stroke_to)
        self.canvas.on_mouse_up(self.pen_up)
        self.canvas.on_mouse_out(self.pen_up)
        self.canvas.on_touch_start(lambda touches: self.pen_down(*touches[0]))
        self.canvas.on_touch_move(lambda touches: self.stroke_to(*touches[0]))
        self.canvas.on_touch_end(lambda touches: self.pen_up())
        self.canvas.on_client_ready(self._on_client_ready)
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
        if self.canvas_ready:
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
            self._paint_canvas()
            self.update()

    def _on_client_ready(self) -> None:
        self.canvas_ready = True
        self._paint_canvas()

    def _paint_canvas(self) -> None:
        """Show the ink grid on the canvas, white on black (once the browser's canvas exists)."""
        if not self.canvas_ready:
            return
        pixels = np.kron(self.ink, np.ones((CANVAS // GRID, CANVAS // GRID)))  # (CANVAS, CANVAS)
        self.canvas.put_image_data(np.repeat((pixels * 255).astype(np.uint8)[:, :, None], 3, axis=2), 0, 0)

    def clear(self, _: Any = None) -> None:
        """Wipe the canvas and the ink."""
        self.ink = np.zeros((GRID, GRID))
        self._last = None
        self._paint_canvas()
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
            verdict = f"looks like a {a.label} ({a.confidence:.0%})" if a.confident else f"unsure (best guess {a.label}, {a.confidence:.0%})"
            self.verdict.value = f"<b>{verdict}</b>"
            for i, (bar, pct, p) in enumerate(zip(self.bars, self.bar_labels, a.probabilities)):
                bar.value, pct.value = float(p), f"{p:.0%}"
                bar.bar_style = "info" if i == a.label and a.confident else ""
            show_ink(self.seen, a.image)
            with self.inside.batch_update():
                for i, name in enumerate(cnn.LAYERS):
                    self.inside.data[i].z = compact(mosaic(a.maps[name], _MAP_COLS[name]))

    def _draw_filters(self) -> None:
        f1 = cnn.filters(self.model, "conv1")[:, 0]  # (8, 3, 3)
        f2 = cnn.filters(self.model, "conv2")  # (16, 8, 3, 3): one row per filter, one column per input
        with self.inside.batch_update():
            self.inside.data[4].z = gaps(mosaic(f1, 4))
            self.inside.data[5].z = gaps(mosaic(f2.reshape(-1, 3, 3), f2.shape[1]))
