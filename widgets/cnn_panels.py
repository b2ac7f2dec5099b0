"""Two panels of the digit-CNN view: retraining with a live curve, and "what does the network dream"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w
import numpy as np
import plotly.graph_objects as go

from playground import cnn, cnn_dream, cnn_train, images
from widgets._common import Notice, figure, guarded

#: 8x8 pictures are shown enlarged by whole pixels to this size.
INK_SCALE = 20


def ink_pixels(image: np.ndarray) -> np.ndarray:
    """An 8x8 ink picture in ``[0, 1]`` as dark-on-white 8-bit pixels, each cell ``INK_SCALE`` wide."""
    grey = np.round((1.0 - np.clip(image, 0, 1)) * 255).astype(np.uint8)  # ink is dark, as on paper
    return np.kron(grey, np.ones((INK_SCALE, INK_SCALE), np.uint8))


def show_ink(view: w.Image, image: np.ndarray) -> None:
    """Put an 8x8 ink picture into an ``Image`` widget."""
    view.format, view.value = "png", images.encode_png(ink_pixels(image))  # a few hundred bytes, exact


def shown_ink(view: w.Image) -> np.ndarray:
    """The 8x8 ink picture an ``Image`` widget shows (the inverse of :func:`show_ink`, to the 8-bit step)."""
    pixels = images.decode_picture(view.value)[::INK_SCALE, ::INK_SCALE, 0]
    return 1.0 - pixels / 255.0


def mosaic(maps: np.ndarray, cols: int, gap: int = 1) -> np.ndarray:
    """Tile ``(N, h, w)`` maps into one 2-D array, ``cols`` per row, NaN between them."""
    n, h, wd = maps.shape
    rows = -(-n // cols)
    out = np.full((rows * (h + gap) - gap, cols * (wd + gap) - gap), np.nan)
    for i, m in enumerate(maps):
        r, c = divmod(i, cols)
        out[r * (h + gap) : r * (h + gap) + h, c * (wd + gap) : c * (wd + gap) + wd] = m
    return out


class TrainingPanel(w.VBox):
    """The loss and validation-accuracy curves; a button retrains the network live from scratch.

    ``on_trained(model)`` callbacks receive the new network when training ends.
    """

    def __init__(self, history: dict[str, list[float]], **kwargs: Any) -> None:
        self.notice = Notice()
        self.epochs = w.IntSlider(20, min=5, max=80, step=5, description="Epochs")
        self.button = w.Button(description="Retrain from scratch", icon="refresh", button_style="warning")
        self.status = w.HTML()
        self.fig = figure(
            go.Scatter(x=[], y=[], name="training loss", mode="lines+markers"),
            go.Scatter(x=[], y=[], name="validation accuracy", mode="lines+markers"),
            height=260, title="Training", xaxis_title="epoch",
        )
        self._callbacks: list[Callable[[cnn.DigitsCNN], None]] = []
        super().__init__([w.HBox([self.epochs, self.button]), self.status, self.notice, self.fig], **kwargs)
        self.show_history(history)
        self.button.on_click(self.retrain)

    def on_trained(self, callback: Callable[[cnn.DigitsCNN], None]) -> None:
        """Call ``callback(model)`` after each retraining."""
        self._callbacks.append(callback)

    def show_history(self, history: dict[str, list[float]]) -> None:
        """Draw finished curves (the shipped network's, from its JSON)."""
        epochs = list(range(1, len(history["loss"]) + 1))
        with self.fig.batch_update():
            self.fig.data[0].update(x=epochs, y=history["loss"])
            self.fig.data[1].update(x=epochs, y=history["val_accuracy"])
        if history["val_accuracy"]:
            self.status.value = f"validation accuracy {history['val_accuracy'][-1]:.1%} after {len(epochs)} epochs"

    def _on_epoch(self, event: cnn_train.EpochEvent) -> None:
        with self.fig.batch_update():
            self.fig.data[0].update(x=[*self.fig.data[0].x, event.epoch], y=[*self.fig.data[0].y, event.loss])
            self.fig.data[1].update(x=[*self.fig.data[1].x, event.epoch], y=[*self.fig.data[1].y, event.val_accuracy])
        self.status.value = f"epoch {event.epoch}/{event.epochs}: validation accuracy {event.val_accuracy:.1%} ({event.seconds:.1f} s)"

    def retrain(self, _: Any = None) -> None:
        """Train a fresh network for ``epochs`` epochs, drawing each epoch as it ends."""
        with guarded(self.notice):
            self.button.disabled = True
            try:
                with self.fig.batch_update():
                    self.fig.data[0].update(x=[], y=[])
                    self.fig.data[1].update(x=[], y=[])
                model, _ = cnn_train.train(cnn_train.Recipe(epochs=self.epochs.value), callbacks=[self._on_epoch])
            finally:
                self.button.disabled = False
            for cb in self._callbacks:
                cb(model)


class DreamPanel(w.VBox):
    """Pick a class or a filter; gradient ascent on the input shows what excites it, step by step."""

    def __init__(self, model: cnn.DigitsCNN, **kwargs: Any) -> None:
        self.model = model
        self.notice = Notice()
        self.target = w.Dropdown(options=[(str(t), t) for t in cnn_dream.targets(model)], description="Excite")
        self.steps = w.IntSlider(60, min=10, max=300, step=10, description="Steps")
        self.button = w.Button(description="Dream", icon="magic", button_style="info")
        self.status = w.HTML()
        self.picture = w.Image(format="png", layout=w.Layout(width="200px", height="200px", border="1px solid #ccc"))
        self.picture.add_class("np-dream")  # the browser test watches this picture change
        show_ink(self.picture, np.zeros((8, 8)))
        self.frames: list[cnn_dream.DreamStep] = []
        super().__init__([w.HTML("<b>What does the network dream?</b>"), w.HBox([self.target, self.steps, self.button]), self.notice, self.status, self.picture], **kwargs)
        self.button.on_click(self.run)

    def run(self, _: Any = None) -> None:
        """Optimise the input for the chosen target, redrawing the picture at every yielded step."""
        with guarded(self.notice):
            self.frames = []
            for frame in cnn_dream.dream(self.model, self.target.value, steps=self.steps.value):
                self.frames.append(frame)
                show_ink(self.picture, frame.image)
                p = frame.probabilities
                self.status.value = (
                    f"step {frame.step}: {self.target.value} = {frame.activation:.2f}; "
                    f"the network reads it as {int(p.argmax())} ({p.max():.0%})"
                )
