"""Music you can hear: a folk-tune model writes ABC, music21 reads it, the page plays it.

ABC text goes in (typed, or written by the folk model); the tune comes out as a piano roll and
as sound synthesised in Python (:mod:`playground.music`), played by an ``ipywidgets.Audio``.
A tune that does not parse gets a clear note, and its longest parsable prefix is drawn and
played instead.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
import plotly.graph_objects as go

from playground import music, pretrained, sampling
from playground.model import CharLSTM
from widgets._common import Notice, ShowsFigures, figure, guarded

EXAMPLE = """X:1
T:Morning on the Hill
M:6/8
L:1/8
Q:3/8=100
K:D
A|dfa agf|gfe fdB|AFA dFA|BGE E2A|
dfa agf|gfe fdB|AFA GEC|D3 D2:|
"""
BROKEN = """X:2
T:A tune that breaks
M:4/4
L:1/8
K:G
GABc dedB|cBAG FGAF|
G2B2 d2g2|[[[|:: e3 ]]f|
"""
#: Tunes to start from: a whole one, and one with a bad line to show the prefix fallback.
EXAMPLES = {"A jig (parses whole)": EXAMPLE, "A tune with a broken line": BROKEN}
NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def note_name(pitch: int) -> str:
    """MIDI number to a name such as ``"A4"``."""
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def _default_model() -> CharLSTM | None:
    return pretrained.load_cached("folk") if "folk" in pretrained.available() else None


class MusicWidget(ShowsFigures, w.VBox):
    """ABC in, piano roll and audio out.

    Parameters
    ----------
    model:
        A folk-tune :class:`CharLSTM` for the "Write a tune" button; by default the shipped one
        when it is installed. Without one, type or paste ABC.
    abc:
        The text shown at first.
    """

    def __init__(self, model: CharLSTM | None = None, abc: str = EXAMPLE, **kwargs: Any) -> None:
        self.model = model if model is not None else _default_model()
        self.notice = Notice()
        self.abc = w.Textarea(value=abc, layout=w.Layout(width="100%", height="180px"),
                              description="ABC")
        self.example = w.Dropdown(options=[("Examples...", ""), *((k, k) for k in EXAMPLES)], value="",
                                  description="Try")
        self.play = w.Button(description="Parse and play", icon="play", button_style="primary")
        self.write = w.Button(description="Write a tune", icon="magic",
                              disabled=self.model is None,
                              tooltip="Sample a tune from the folk model" if self.model else "No folk model loaded")
        self.temperature = w.FloatSlider(value=0.8, min=0.1, max=1.5, step=0.05, description="Temperature")
        self.seed = w.BoundedIntText(value=0, min=0, max=2**31 - 1, description="Seed",
                                     layout=w.Layout(width="160px"))
        self.rate = w.HTML()
        self.check = w.Button(description="Parse rate of 8 tunes", icon="check-square",
                              disabled=self.model is None)
        self.roll = figure(
            go.Bar(name="notes", orientation="h", marker=dict(color="#1f6feb"), hovertemplate="%{text}<extra></extra>"),
            height=300, title="Piano roll", xaxis_title="seconds", yaxis_title="pitch (MIDI)", showlegend=False,
            bargap=0.25)
        self.audio = w.Audio(value=b"", format="wav", autoplay=False, controls=True, loop=False)
        self.played = w.HTML()
        self.parsed: music.Parsed | None = None
        self.rows: list[music.Note] = []
        super().__init__([
            w.HBox([self.example]), self.abc, w.HBox([self.play, self.write, self.temperature, self.seed]),
            w.HBox([self.check, self.rate]), self.notice, self.roll, self.audio, self.played], **kwargs)
        self.add_class("np-music")
        self.play.on_click(lambda _: self.render())
        self.example.observe(self._on_example, names="value")
        self.write.on_click(lambda _: self.compose())
        self.check.on_click(lambda _: self.measure())
        self.render()

    def render(self) -> None:
        """Parse the ABC box, draw its piano roll and load its audio; note what did not parse."""
        with guarded(self.notice):
            parsed = music.parse(self.abc.value)
            self.parsed = parsed
            self.rows = music.notes(parsed)
            self._draw(self.rows)
            self.audio.value = music.wav_bytes(music.synthesize(self.rows)) if self.rows else b""
            if not parsed.ok:
                self.notice.show(parsed.note, "error")
                self.played.value = ""
            elif not parsed.complete:
                self.notice.show(parsed.note, "warning")
                self.played.value = f"<b>Played:</b><pre>{html.escape(parsed.prefix)}</pre>"
            else:
                self.played.value = ""

    def _on_example(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self.abc.value = EXAMPLES[change["new"]]
            self.render()

    def _draw(self, rows: list[music.Note]) -> None:
        with self.roll.batch_update():
            bar = self.roll.data[0]
            bar.base = [r.start for r in rows]
            bar.x = [r.duration for r in rows]
            bar.y = [r.pitch for r in rows]
            bar.text = [f"{note_name(r.pitch)} at {r.start:.2f} s for {r.duration:.2f} s" for r in rows]
            bar.textposition = "none"

    def compose(self) -> None:
        """Sample a tune from the folk model into the ABC box, then play it."""
        if self.model is None:
            self.notice.show("No folk model is loaded: type or paste ABC instead.", "info")
            return
        with guarded(self.notice):
            body = sampling.generate(self.model, "X:1\n", 500, self.temperature.value, seed=self.seed.value)
            self.abc.value = music.split_tunes("X:1\n" + body)[0]
        self.render()

    def measure(self) -> None:
        """Write 8 tunes at the current temperature and report how many parse whole."""
        if self.model is None:
            return
        with guarded(self.notice):
            tunes = music.write_tunes(self.model, 8, self.temperature.value, seed=self.seed.value)
            rate = music.parse_rate(tunes)
            self.rate.value = f"{round(rate * len(tunes))} of {len(tunes)} tunes parse whole ({rate:.0%})."
