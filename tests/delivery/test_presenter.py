"""Presenter mode switches the injected CSS and the plotly template, and puts both back."""

from __future__ import annotations

from collections.abc import Iterator

import plotly.graph_objects as go
import plotly.io as pio
import pytest

from widgets import _common
from widgets.presenter import DARK, LIGHT, NORMAL, TEMPLATES, Presenter, presenter_css


@pytest.fixture(autouse=True)
def _restore_template() -> Iterator[None]:
    before = _common.TEMPLATE
    yield
    _common.TEMPLATE = before


def test_dark_mode_restyles_given_figures_and_new_ones_then_normal_restores() -> None:
    fig = _common.figure(go.Bar(y=[1, 2]))
    other = _common.figure(go.Bar(y=[3]))
    original = fig.layout.template
    p = Presenter(figures=[fig])
    p.toggle.value = DARK
    assert fig.layout.template == pio.templates[TEMPLATES[DARK]]
    assert fig.layout.template.layout.paper_bgcolor == "#000000"
    assert other.layout.template == original  # not given: left alone
    assert "data-mode=\"dark\"" in p.style_sheet.value and "#000000" in p.style_sheet.value
    assert TEMPLATES[DARK] == _common.TEMPLATE
    new = _common.figure(go.Bar(y=[1]))  # built during the talk: already presenter-styled
    assert new.layout.template == pio.templates[TEMPLATES[DARK]]
    p.toggle.value = NORMAL
    assert fig.layout.template == original
    assert p.style_sheet.value == "" and _common.TEMPLATE == "plotly_white"


def test_without_figures_every_live_figure_switches() -> None:
    figs = [_common.figure(go.Scatter(y=[1])) for _ in range(3)]
    p = Presenter()
    p.toggle.value = LIGHT
    assert all(f.layout.template == pio.templates[TEMPLATES[LIGHT]] for f in figs)
    assert all(f.layout.template.layout.font.size >= 20 for f in figs)


def test_one_message_per_figure_per_switch() -> None:
    fig = _common.figure(go.Bar(y=[1, 2]))
    sent: list[object] = []
    for name in ("_send_relayout_msg", "_send_update_msg", "_send_restyle_msg"):
        setattr(fig, name, lambda *a, _n=name, **k: sent.append(_n))  # what batch_update flushes
    Presenter(figures=[fig]).toggle.value = DARK
    assert len(sent) == 1


def test_css_is_large_type_high_contrast_and_keyboard_visible() -> None:
    for mode, bg in ((LIGHT, "#ffffff"), (DARK, "#000000")):
        css = presenter_css(mode)
        assert f"--jp-layout-color0: {bg}" in css
        assert "--jp-content-font-size1: 24px" in css and ":focus-visible" in css
    assert presenter_css(NORMAL) == ""


def test_initial_value_applies_and_repr_names_mode() -> None:
    p = Presenter(figures=[], value=LIGHT)
    assert p.mode == LIGHT and "light" in repr(p) and p.style_sheet.value
