"""Presenter mode: large type and high contrast for a projector, light or dark, toggled in the page.

:class:`Presenter` is a row with a ``ToggleButtons`` (Normal / Light / Dark). Choosing a
presenter theme does two things:

* injects a ``<style>`` (through an ``HTML`` widget it owns) that enlarges the text and the
  controls, raises the contrast and draws a thick focus ring for keyboard users;
* switches the plotly template of the figures it was given (or, if given none, of every live
  ``FigureWidget`` in the kernel) and sets ``widgets._common.TEMPLATE`` so figures built later
  start in the same theme.

Choosing Normal puts everything back. The buttons are ordinary focusable buttons, so Tab,
Space and Enter work; the arrow keys are not needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ipywidgets as w
import plotly.graph_objects as go
import plotly.io as pio
from ipywidgets.widgets.widget import _instances  # ipywidgets' own registry of live widgets

from widgets import _common

NORMAL, LIGHT, DARK = "normal", "light", "dark"

#: Plotly template name for each mode (registered on import).
TEMPLATES = {LIGHT: "np_presenter_light", DARK: "np_presenter_dark"}

_FONT = dict(family="Atkinson Hyperlegible, Verdana, sans-serif", size=22)


def _register_templates() -> None:
    light = go.layout.Template(pio.templates["plotly_white"])
    light.layout.update(
        font=dict(_FONT, color="#000000"),
        colorway=["#0033cc", "#cc0000", "#007a00", "#7a00cc", "#cc6600", "#006b6b"],
        xaxis=dict(linecolor="#000000", gridcolor="#bbbbbb", linewidth=2),
        yaxis=dict(linecolor="#000000", gridcolor="#bbbbbb", linewidth=2),
    )
    dark = go.layout.Template(pio.templates["plotly_dark"])
    dark.layout.update(
        font=dict(_FONT, color="#ffffff"),
        paper_bgcolor="#000000",
        plot_bgcolor="#000000",
        colorway=["#ffd700", "#00e5ff", "#ff6ec7", "#7CFC00", "#ff8c00", "#ffffff"],
        xaxis=dict(linecolor="#ffffff", gridcolor="#555555", linewidth=2),
        yaxis=dict(linecolor="#ffffff", gridcolor="#555555", linewidth=2),
    )
    pio.templates[TEMPLATES[LIGHT]] = light
    pio.templates[TEMPLATES[DARK]] = dark


_register_templates()

_COLOURS = {
    LIGHT: dict(bg="#ffffff", fg="#000000", panel="#f2f2f2", accent="#0033cc", focus="#ff8c00"),
    DARK: dict(bg="#000000", fg="#ffffff", panel="#1a1a1a", accent="#ffd700", focus="#00e5ff"),
}


def presenter_css(mode: str) -> str:
    """The ``<style>`` for ``mode`` (empty for Normal). Overrides JupyterLab's CSS variables,
    which Voila's lab template and the ipywidgets styles read."""
    if mode == NORMAL:
        return ""
    c = _COLOURS[mode]
    return f"""<style id="np-presenter-style" data-mode="{mode}">
:root, body, .jp-Notebook, .jp-LabShell {{
  --jp-ui-font-size0: 18px; --jp-ui-font-size1: 22px; --jp-ui-font-size2: 26px;
  --jp-content-font-size1: 24px; --jp-content-font-size2: 30px; --jp-content-font-size3: 36px;
  --jp-widgets-font-size: 22px; --jp-widgets-inline-height: 44px; --jp-widgets-inline-width: 520px;
  --jp-widgets-inline-label-width: 160px;
  --jp-layout-color0: {c["bg"]}; --jp-layout-color1: {c["bg"]}; --jp-layout-color2: {c["panel"]};
  --jp-ui-font-color0: {c["fg"]}; --jp-ui-font-color1: {c["fg"]};
  --jp-content-font-color0: {c["fg"]}; --jp-content-font-color1: {c["fg"]};
  --jp-widgets-color: {c["fg"]}; --jp-widgets-label-color: {c["fg"]}; --jp-widgets-readout-color: {c["fg"]};
  --jp-widgets-input-color: {c["fg"]}; --jp-widgets-input-background-color: {c["panel"]};
  --jp-widgets-input-border-color: {c["fg"]}; --jp-widgets-slider-active-handle-color: {c["accent"]};
  --jp-widgets-slider-handle-border-color: {c["fg"]}; --jp-border-color1: {c["fg"]};
  --jp-brand-color1: {c["accent"]};
}}
body, .jp-RenderedHTMLCommon, .widget-html-content, .widget-label, .widget-readout {{
  background-color: {c["bg"]}; color: {c["fg"]} !important; line-height: 1.45;
}}
.jp-RenderedHTMLCommon {{ font-size: 24px; }}
.jp-RenderedHTMLCommon a {{ color: {c["accent"]}; }}
.jupyter-widgets, .widget-button, .widget-toggle-button, .widget-dropdown select,
.widget-text input, .widget-textarea textarea {{ font-size: 22px !important; }}
.jupyter-button, .widget-button, .widget-toggle-button {{ height: auto; min-height: 44px;
  padding: 4px 14px; background: {c["panel"]}; color: {c["fg"]}; border: 2px solid {c["fg"]}; }}
.jupyter-button.mod-active, .widget-toggle-button.mod-active {{ background: {c["accent"]};
  color: {c["bg"]}; font-weight: bold; }}
.widget-slider .noUi-target {{ background: {c["panel"]}; border: 2px solid {c["fg"]}; }}
.widget-slider .noUi-connect {{ background: {c["accent"]}; }}
.widget-slider .noUi-handle {{ background: {c["accent"]}; border: 2px solid {c["fg"]}; }}
:focus-visible, .widget-button:focus, .widget-toggle-button:focus, input:focus, select:focus,
textarea:focus, .noUi-handle:focus {{ outline: 4px solid {c["focus"]} !important; outline-offset: 2px; }}
</style>"""


def _live_figures() -> list[go.FigureWidget]:
    return [x for x in list(_instances.values()) if isinstance(x, go.FigureWidget)]


class Presenter(w.HBox):
    """A Normal / Light / Dark switch for projecting the page to a room.

    Parameters
    ----------
    figures : iterable of FigureWidget, optional
        The figures to re-theme. When omitted, every live ``FigureWidget`` in the kernel at the
        moment of switching is re-themed.
    value : str
        Initial mode: ``"normal"``, ``"light"`` or ``"dark"``.
    """

    def __init__(
        self,
        figures: Iterable[go.FigureWidget] | None = None,
        value: str = NORMAL,
        **kwargs: Any,
    ) -> None:
        self.figures = list(figures) if figures is not None else None
        self._normal_template = _common.TEMPLATE
        self._originals: dict[int, Any] = {}  # id(figure) -> its template before presenter mode
        self.toggle = w.ToggleButtons(
            options=[("Normal", NORMAL), ("Presenter light", LIGHT), ("Presenter dark", DARK)],
            value=NORMAL,
            description="Display",
            tooltips=["Screen theme", "Large type, black on white", "Large type, white on black"],
            style={"button_width": "auto"},
        )
        self.toggle.add_class("np-presenter-toggle")
        self.style_sheet = w.HTML("")
        self.style_sheet.add_class("np-presenter-css")
        super().__init__(children=[self.toggle, self.style_sheet], **kwargs)
        self.add_class("np-presenter")
        self.toggle.observe(self._apply, names="value")
        self.toggle.value = value

    @property
    def mode(self) -> str:
        return str(self.toggle.value)

    def _targets(self) -> list[go.FigureWidget]:
        return self.figures if self.figures is not None else _live_figures()

    def _apply(self, change: dict[str, Any]) -> None:
        mode = change["new"]
        self.style_sheet.value = presenter_css(mode)
        _common.TEMPLATE = TEMPLATES.get(mode, self._normal_template)
        for fig in self._targets():
            key = id(fig)
            if mode == NORMAL:
                template: Any = self._originals.pop(key, self._normal_template)
            else:
                self._originals.setdefault(key, fig.layout.template)
                template = TEMPLATES[mode]
            with fig.batch_update():
                fig.layout.template = template

    def __repr__(self) -> str:
        n = "all live" if self.figures is None else str(len(self.figures))
        return f"Presenter(mode={self.mode!r}, figures={n})"
