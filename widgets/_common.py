"""Pieces every view shares: the one-sentence error notice, the error guard and the figure factory.

Every widget in this package builds its figures once with :func:`figure`, updates them in
place inside ``fig.batch_update()``, and shows bad input with a :class:`Notice` instead of a
traceback: the engine raises a typed ``ValueError`` and :func:`guarded` turns it into a
sentence on the screen, leaving the controls (and what the user typed) untouched.
"""

from __future__ import annotations

import contextlib
import html
import json
import logging
import math
import os
from collections.abc import Iterator
from copy import deepcopy
from typing import Any

import ipywidgets as w
import numpy as np
import plotly.graph_objects as go

log = logging.getLogger("widgets")

#: Plotly template shared by all views; presenter mode swaps it for a large-type one.
TEMPLATE = "plotly_white"


class Notice(w.HTML):
    """One clear sentence for the person at the slider: an error, a warning or a note."""

    _STYLES = {
        "error": "background:#fde8e8;color:#8a1c1c;border-left:4px solid #c62828;",
        "warning": "background:#fff4e0;color:#6b4100;border-left:4px solid #ef8f00;",
        "info": "background:#e8f1fd;color:#123a6b;border-left:4px solid #1f6feb;",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_class("np-notice")
        self.kind = ""
        self.text = ""

    def show(self, text: str, kind: str = "error") -> None:
        """Show ``text`` (plain text, escaped) styled as ``kind``: error, warning or info."""
        style = self._STYLES.get(kind, self._STYLES["info"])
        self.kind, self.text = kind, text
        self.value = (
            f'<div role="status" class="np-notice-{kind}" style="{style}padding:6px 10px;'
            f'margin:4px 0;border-radius:3px">{html.escape(text)}</div>'
        )

    def clear(self) -> None:
        """Remove the sentence."""
        self.kind, self.text = "", ""
        self.value = ""


@contextlib.contextmanager
def guarded(notice: Notice, *, clear: bool = True) -> Iterator[None]:
    """Run a UI handler; a ``ValueError`` from the engine becomes one sentence in ``notice``.

    Any other exception is logged and shown as a short apology, so the kernel and the rest of
    the page stay alive on a stage screen. Nothing is re-raised.
    """
    if clear:
        notice.clear()
    try:
        yield
    except ValueError as err:
        notice.show(str(err), "error")
    except Exception as err:  # a view must never crash the page
        log.exception("unexpected error in a widget handler")
        notice.show(f"Something went wrong ({type(err).__name__}): {err}", "error")


#: Set by ``scripts/serve.py`` and ``widgets.server_extension``: where plotly's bundle is served.
PLOTLY_ESM_ENV = "PLAYGROUND_PLOTLY_ESM"

#: The front-end code of a figure when the bundle is served: import it by URL, once per page.
_LOADER = """\
const bundle = await import(new URL(%s, document.baseURI).href);
export default bundle.default;
"""


def _figure_class() -> type[go.FigureWidget]:
    """``FigureWidget``, or under ``scripts/serve.py`` one that loads plotly's bundle by URL.

    Each plain ``FigureWidget`` carries plotly's whole 5 MB bundle in its state and the page
    evaluates it once per figure; a page with several figures on a busy machine then overruns
    anywidget's 2-second start-up limit and a figure freezes ("Failed to initialize model").
    Imported by URL, the browser fetches, caches and evaluates the bundle once per page.
    """
    url = os.environ.get(PLOTLY_ESM_ENV, "")
    if not url:
        return go.FigureWidget
    return type("SharedBundleFigure", (go.FigureWidget,), {"_esm": _LOADER % json.dumps(url),
                                                           "__module__": __name__})


FigureClass = _figure_class()


def figure(*traces: Any, height: int = 320, **layout: Any) -> go.FigureWidget:
    """A ``FigureWidget`` with the shared template and tight margins. Build once, update in place."""
    base: dict[str, Any] = dict(
        template=TEMPLATE,
        height=height,
        margin=dict(l=50, r=20, t=40, b=40),
    )
    base.update(layout)
    return FigureClass(data=list(traces), layout=base)


def sync_figures(root: w.Widget) -> None:
    """Copy every nested ``FigureWidget``'s current data and layout into its initial browser state.

    plotly sends edits made before a figure is shown as messages that no view receives, and it
    refreshes the initial state only when the figure itself is displayed, not when a box holding
    it is. Without this, a figure drawn in the constructor shows up empty in the page.
    """
    if isinstance(root, go.FigureWidget):
        root._widget_layout = deepcopy(root._layout_obj._props)
        root._widget_data = deepcopy(root._data)
        return
    for child in getattr(root, "children", ()):
        sync_figures(child)


class ShowsFigures:
    """Mixin for a box of figures: bring every figure's browser state up to date when displayed."""

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        sync_figures(self)  # type: ignore[arg-type]
        return super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]


def gaps(a: np.ndarray) -> list[Any]:
    """``a`` as nested lists with ``None`` for NaN: plotly's gaps, and valid JSON (NaN is not)."""
    out: list[Any] = np.where(np.isnan(a), None, a).tolist()
    return out


def compact(a: Any, decimals: int = 3) -> list[Any]:
    """A grid of numbers as nested lists rounded to ``decimals`` places, ``None`` for NaN.

    A grid of small numbers keeps more places, so that its largest value still has three
    significant digits (regression targets of +-0.004 keep their shades).

    plotly.py sends numpy grids as JSON lists of full float64 reprs, about 19 characters a
    value; rounded to the three places the hover labels show, about 7. 08_gates' heatmaps went
    from one 8.4 MB websocket message to about 3 MB. (plotly's base64 typed-array spec is
    smaller still, but plotly.js reports the decoded array back as a "trace delta", which the
    kernel echoes: more traffic, not less.)
    """
    arr = np.asarray(a, dtype=np.float64)
    finite = np.abs(arr[np.isfinite(arr)])
    top = float(finite.max()) if finite.size else 0.0
    if top > 0.0:  # at least three significant digits at the grid's largest value
        decimals = max(decimals, 2 - math.floor(math.log10(top)))
    return gaps(np.round(arr, decimals))
