"""Pieces the text-generation views share: the model choice, readable characters, coloured text.

The sampling playground and the gate explorer both pick a :class:`playground.model.CharLSTM`
from the shipped ones (:func:`playground.pretrained.available`) or from models passed in from
Python, show characters such as a newline as a visible symbol, and colour text one character
at a time (by the probability it had, or by a unit's activation).
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Mapping, Sequence

import ipywidgets as w

from playground import pretrained
from playground.model import CharLSTM
from widgets._common import ShowsFigures, sync_figures

__all__ = ["ShowsFigures", "sync_figures"]

_VISIBLE = {"\n": "\u23ce", " ": "\u2423", "\t": "\u21e5", "\r": "\u240d"}


def show_char(ch: str) -> str:
    """A character as a bar label: newline, space and tab become visible symbols, controls ``\\xNN``."""
    if ch in _VISIBLE:
        return _VISIBLE[ch]
    if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        return f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"U+{ord(ch):04X}"
    return ch


def tail(text: str, n: int = 30) -> str:
    """The last ``n`` characters of ``text`` with newlines shown, for a figure title."""
    end = text[-n:]
    shown = "".join("\u23ce" if c == "\n" else show_char(c) if c != " " else " " for c in end)
    return ("\u2026" if len(text) > n else "") + shown


def _safe(ch: str) -> str:
    """HTML for one character of running text: newlines kept, control characters made visible."""
    if ch in ("\n", "\t", " "):
        return ch
    if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
        return f'<span style="color:#999">{html.escape(show_char(ch))}</span>'
    return html.escape(ch)


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> str:
    r, g, b2 = (round(x + (y - x) * t) for x, y in zip(a, b))
    return f"#{r:02x}{g:02x}{b2:02x}"


_WHITE = (255, 255, 255)
_RED = (214, 39, 40)
_BLUE = (31, 111, 235)
_GREEN = (44, 160, 44)
LEVELS = 10  #: colours are binned into this many steps so runs of a colour share one span


def probability_colour(p: float) -> str:
    """Unlikely characters red, likely ones green, through pale yellow (binned)."""
    level = min(LEVELS, max(0, round(p * LEVELS))) / LEVELS
    if level < 0.5:
        return _mix(_RED, (255, 236, 179), level * 2)
    return _mix((255, 236, 179), _GREEN, (level - 0.5) * 2)


def activation_colour(v: float, lo: float, hi: float) -> str:
    """A diverging colour: blue for negative, white at 0, red for positive, scaled to ``lo..hi``.

    For a quantity in ``[0, 1]`` (a gate) pass ``lo=0``: white at 0 and red at 1.
    """
    if lo >= 0:
        t = (v - lo) / (hi - lo) if hi > lo else 0.0
        return _mix(_WHITE, _RED, round(min(1.0, max(0.0, t)) * LEVELS) / LEVELS)
    scale = max(abs(lo), abs(hi)) or 1.0
    t = round(min(1.0, max(-1.0, v / scale)) * LEVELS) / LEVELS
    return _mix(_WHITE, _RED, t) if t >= 0 else _mix(_WHITE, _BLUE, -t)


def coloured(chars: Sequence[str], colours: Sequence[str], titles: Sequence[str] | None = None) -> str:
    """HTML spans, one per run of equally coloured characters; whitespace and text direction kept."""
    parts: list[str] = []
    i = 0
    while i < len(chars):
        j = i + 1
        if titles is None:
            while j < len(chars) and colours[j] == colours[i]:
                j += 1
        title = f' title="{html.escape(titles[i])}"' if titles is not None else ""
        body = "".join(_safe(c) for c in chars[i:j])
        parts.append(f'<span style="background:{colours[i]}"{title}>{body}</span>')
        i = j
    return "".join(parts)


def text_box(inner: str, height: str = "auto") -> str:
    """Wrap coloured HTML in a monospace, whitespace-keeping, bidi-safe block."""
    return (
        f'<div class="np-text" dir="auto" style="font-family:monospace;white-space:pre-wrap;'
        f"unicode-bidi:plaintext;line-height:1.45;max-height:{height};overflow:auto;"
        f'border:1px solid #ddd;padding:6px">{inner}</div>'
    )


class ModelChoice:
    """The models a view can use: the shipped ones present on disk, plus any passed from Python.

    Parameters
    ----------
    model:
        A :class:`CharLSTM` (shown as ``name``), the name of a shipped model, or ``None``.
    models:
        More models by label. A passed model with a shipped model's name replaces it.
    """

    def __init__(
        self, model: CharLSTM | str | None = None, name: str = "your model",
        models: Mapping[str, CharLSTM] | None = None,
    ) -> None:
        self.custom: dict[str, CharLSTM] = dict(models or {})
        self.first: str | None = None
        if isinstance(model, CharLSTM):
            self.custom[name] = model
            self.first = name
        elif isinstance(model, str):
            self.first = model
        self.labels = list(dict.fromkeys([*self.custom, *pretrained.available()]))
        if self.first is not None and self.first not in self.labels:
            self.labels.append(self.first)  # a shipped name not on disk: loading it says why
        if self.first is None and self.labels:
            self.first = self.labels[0]

    def get(self, label: str | None) -> CharLSTM:
        """The model behind ``label``; a shipped one is loaded once and shared (CPU)."""
        if label is None:
            raise ValueError(
                "There is no model to use yet: the shipped weights are not installed; "
                "pass a CharLSTM in from Python."
            )
        if label in self.custom:
            return self.custom[label]
        return pretrained.load_cached(label)

    def dropdown(self) -> w.Dropdown:
        return w.Dropdown(options=self.labels, value=self.first, description="Model")
