"""The two things the audience watches during a run: the loss curves and the sample timeline.

Both are built once and redrawn in place; both draw from a :class:`playground.live.Progress`
(a live run) or a list of :class:`playground.live.Moment` (the shipped snapshots).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import ipywidgets as w
import numpy as np
import plotly.graph_objects as go

from playground.live import Moment
from widgets._common import figure
from widgets.speech import SpeakButton

MAX_POINTS = 500  #: the training curve is thinned to about this many points (cheap to redraw and send)


def thin(points: Sequence[tuple[Any, ...]], limit: int = MAX_POINTS) -> list[tuple[Any, ...]]:
    """Every k-th point (and always the last), so a long run draws as fast as a short one."""
    if len(points) <= limit:
        return list(points)
    stride = -(-len(points) // limit)
    kept = list(points[::stride])
    if kept[-1] is not points[-1]:
        kept.append(points[-1])
    return kept


class LossCurves(w.VBox):
    """Training loss of every step (thinned) and validation loss of every evaluation."""

    def __init__(self, **kwargs: Any) -> None:
        self.fig = figure(
            go.Scatter(name="training loss", mode="lines", line=dict(color="#1f6feb", width=1.5)),
            go.Scatter(name="validation loss", mode="lines+markers", line=dict(color="#c62828", width=2.5),
                       marker=dict(size=7)),
            height=300, title="Loss (nats per character): lower is better",
            xaxis_title="step", yaxis_title="loss", legend=dict(orientation="h", y=-0.25))
        super().__init__([self.fig], **kwargs)

    def draw(self, steps: Sequence[tuple[int, float]], evals: Sequence[tuple[int, float, float]]) -> None:
        """Draw a live run's curves."""
        kept = np.array(thin(steps), dtype=float).reshape(-1, 2)  # (N, 2): step, loss
        ev = np.array(evals, dtype=float).reshape(-1, 3)  # (M, 3): step, train loss, val loss
        with self.fig.batch_update():  # numpy arrays validate far faster than lists
            self.fig.data[0].x, self.fig.data[0].y = kept[:, 0], kept[:, 1]
            self.fig.data[1].x, self.fig.data[1].y = ev[:, 0], ev[:, 2]

    def draw_moments(self, moments: Sequence[Moment]) -> None:
        """Draw the shipped snapshots' validation losses (there is no per-step curve)."""
        with self.fig.batch_update():
            self.fig.data[0].x, self.fig.data[0].y = [], []
            self.fig.data[1].x = [m.step for m in moments]
            self.fig.data[1].y = [m.val_loss for m in moments]


class Timeline(w.VBox):
    """What the model wrote along the way; a slider scrubs back to any moment.

    With "follow" ticked the slider jumps to each new sample as it arrives.
    """

    def __init__(self, **kwargs: Any) -> None:
        self.moments: tuple[Moment, ...] = ()
        self.slider = w.IntSlider(value=0, min=0, max=0, description="Moment", continuous_update=True,
                                  layout=w.Layout(width="60%"), disabled=True)
        self.follow = w.Checkbox(value=True, description="follow the newest", indent=False)
        self.caption = w.HTML("<i>No samples yet: start a run, or play the shipped snapshots.</i>")
        self.text = w.HTML()
        self.speak = SpeakButton(label="Read this sample aloud")
        super().__init__([w.HBox([self.slider, self.follow, self.speak]), self.caption, self.text], **kwargs)
        self.add_class("np-timeline")
        self.slider.observe(self._show, names="value")

    def set_moments(self, moments: Sequence[Moment]) -> None:
        """Replace the timeline; keep the scrub position unless following (then go to the newest)."""
        moments = tuple(moments)
        if moments == self.moments:
            return
        self.moments = moments
        last = max(len(moments) - 1, 0)
        self.slider.disabled = not moments
        self.slider.max = last
        if self.follow.value or self.slider.value > last:
            self.slider.value = last
        self._show()

    def _show(self, _change: Any = None) -> None:
        if not self.moments:
            self.caption.value = "<i>No samples yet: start a run, or play the shipped snapshots.</i>"
            self.text.value, self.speak.text = "", ""
            return
        i = min(self.slider.value, len(self.moments) - 1)
        m = self.moments[i]
        bits = [f"<b>step {m.step:,}</b>"]
        if m.seconds is not None:
            bits.append(f"after {m.seconds:.0f} s of training")
        if m.val_loss is not None:
            bits.append(f"validation loss {m.val_loss:.2f}")
        elif m.train_loss is not None:
            bits.append(f"training loss {m.train_loss:.2f}")
        self.caption.value = f"Moment {i + 1} of {len(self.moments)}: " + ", ".join(bits)
        self.text.value = (
            '<pre style="white-space:pre-wrap;font-size:110%;background:#f6f8fa;padding:8px;'
            f'border-radius:4px;min-height:6em">{html.escape(m.text)}</pre>'
        )
        self.speak.text = m.text

    @property
    def shown(self) -> Moment | None:
        """The moment under the slider."""
        return self.moments[min(self.slider.value, len(self.moments) - 1)] if self.moments else None
