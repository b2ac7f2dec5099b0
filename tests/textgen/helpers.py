"""Helpers of the text-generation tests: a training text, a message spy and a widget census."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import plotly.graph_objects as go
from ipywidgets.widgets.widget import _instances

TEXT = (
    'ROMEO:\nShe said "good night" and (softly) went.\n\n'
    'JULIET:\nO Romeo, "wherefore" art thou [Romeo]?\n    Deny thy father.\n\n'
    "def f(x):\n    return {'a': [x, (x + 1)]}\n"
) * 8

SENDERS = ("_send_update_msg", "_send_restyle_msg", "_send_relayout_msg", "_send_addTraces_msg",
           "_send_deleteTraces_msg", "_send_moveTraces_msg", "_send_animate_msg")


@contextlib.contextmanager
def messages(fig: go.FigureWidget) -> Iterator[list[str]]:
    """Record every message ``fig`` sends to the browser while the block runs."""
    sent: list[str] = []
    originals = {name: getattr(fig, name) for name in SENDERS}

    def spy(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def send(*args: Any, **kwargs: Any) -> Any:
            sent.append(name)
            return original(*args, **kwargs)
        return send

    for name, original in originals.items():
        setattr(fig, name, spy(name, original))
    try:
        yield sent
    finally:
        for name in originals:
            delattr(fig, name)  # back to the class's method


def live_widgets() -> tuple[int, int]:
    """``(widgets, figures)`` alive in this kernel (ipywidgets keeps every open widget)."""
    alive = list(_instances.values())
    return len(alive), sum(isinstance(x, go.FigureWidget) for x in alive)
