"""Music you can hear: generated ABC tunes parsed with music21, drawn as notes, played as sound.

A folk-tune model writes ABC notation one character at a time, and not every tune it writes is
valid. :func:`parse` reads what music21 can: the whole text if it parses, otherwise the longest
prefix that does, cut at whole tunes and then at whole lines of the first bad tune, and says
what it left out. :func:`notes` turns the parsed score into piano-roll rows (pitch, start,
duration, in seconds), and :func:`synthesize` plays those rows with a small additive synth in
numpy: no sound font, no external synthesiser, nothing downloaded.
"""

from __future__ import annotations

import io
import logging
import re
import wave
from dataclasses import dataclass
from typing import Any

import numpy as np

SAMPLE_RATE = 22_050  #: audio samples per second of the synthesised WAV
DEFAULT_BPM = 120.0  #: quarter notes per minute when a tune gives no ``Q:`` tempo
MAX_SECONDS = 120.0  #: longer tunes are cut here when synthesised
HARMONICS = (1.0, 0.5, 0.25, 0.12)  #: amplitude of partials 1..4: a soft, plucked timbre

_TUNE_START = re.compile(r"^X:", re.MULTILINE)
_METER = re.compile(r"^M:\s*(\d+)\s*/\s*(\d+)", re.MULTILINE)


@dataclass(frozen=True)
class Note:
    """One row of the piano roll: MIDI ``pitch`` sounding from ``start`` for ``duration`` seconds."""

    pitch: int
    start: float
    duration: float


@dataclass(frozen=True)
class Parsed:
    """What music21 made of a text.

    Attributes
    ----------
    text:
        The text that was asked for.
    prefix:
        The part of it that parsed (all of ``text`` when ``complete``; may be empty).
    score:
        The music21 score of ``prefix``, or ``None`` when nothing parsed.
    complete:
        True when the whole text parsed.
    note:
        One sentence for the listener: empty when complete, otherwise what was left out.
    """

    text: str
    prefix: str
    score: Any
    complete: bool
    note: str

    @property
    def ok(self) -> bool:
        """True when at least something parsed and can be played."""
        return self.score is not None


def split_tunes(text: str) -> list[str]:
    """Cut ABC text into tunes at each ``X:`` line; text before the first ``X:`` is its own piece."""
    starts = [m.start() for m in _TUNE_START.finditer(text)]
    if not starts or starts[0] != 0:
        starts = [0, *starts]
    bounds = [*starts, len(text)]
    pieces = [text[a:b].strip("\n") for a, b in zip(bounds, bounds[1:])]
    return [p + "\n" for p in pieces if p.strip()]


def default_unit_length(header: str) -> str:
    """The unit note length the ABC 2.1 standard (section 3.1.7) implies when ``L:`` is absent.

    A meter below 0.75 as a fraction (2/4, 5/8) means 1/16; anything else, including ``M:C``,
    ``M:C|``, ``M:none`` or no meter at all, means 1/8.

    Examples
    --------
    >>> default_unit_length("M:2/4"), default_unit_length("M:6/8"), default_unit_length("M:C|")
    ('1/16', '1/8', '1/8')
    """
    m = _METER.search(header)
    if m and int(m.group(2)) and int(m.group(1)) / int(m.group(2)) < 0.75:
        return "1/16"
    return "1/8"


def with_standard_defaults(text: str) -> str:
    """Each tune with what the ABC standard fills in, for music21, which does not.

    A tune without an ``L:`` line gets the standard's default unit length (see
    :func:`default_unit_length`) just before its ``K:`` line, and a reference line ``X:`` that
    is not a number gets its tune's position (the number only tells tunes apart). Nothing else
    changes: a tune that is wrong in any other way stays wrong.
    """
    out = []
    for n, tune in enumerate(split_tunes(text), start=1):
        lines = tune.rstrip("\n").split("\n")
        head = _header_length(lines)
        if lines[0].startswith("X:") and not lines[0][2:].strip().isdigit():
            lines[0] = f"X:{n}"
        if head and not any(line.startswith("L:") for line in lines[:head]):
            lines.insert(head - 1, "L:" + default_unit_length("\n".join(lines[:head])))
        out.append("\n".join(lines) + "\n")
    return "".join(out)


def _try_parse(abc: str) -> Any:
    """A music21 score with at least one note, or ``None`` if music21 fails or finds no notes."""
    if not abc.strip():
        return None
    from music21 import converter  # imported late: music21 takes a moment to import

    quiet = logging.getLogger("music21")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        score = converter.parse(abc, format="abc")
    except Exception:  # music21 raises many kinds (ABCHandlerException, IndexError, ...)
        return None
    finally:
        quiet.setLevel(level)
    try:
        if not any(True for _ in score.flatten().notes):
            return None
    except Exception:
        return None
    return score


def _header_length(lines: list[str]) -> int:
    """How many lines of a tune are its header, up to and including the ``K:`` line."""
    for i, line in enumerate(lines):
        if line.startswith("K:"):
            return i + 1
    return 0


def _longest_tune_prefix(tune: str) -> str:
    """The longest run of this tune's first lines that parses (header kept whole), or ""."""
    lines = tune.rstrip("\n").split("\n")
    head = _header_length(lines)
    lo, hi = head + 1, len(lines) - 1  # the whole tune already failed; search the cut by halving
    best = ""
    while lo <= hi:  # parsing is monotone enough in practice: a bad line spoils all after it
        mid = (lo + hi) // 2
        candidate = "\n".join(lines[:mid]) + "\n"
        if _try_parse(candidate) is not None:
            best, lo = candidate, mid + 1
        else:
            hi = mid - 1
    return best


def parse(text: str) -> Parsed:
    """Parse ABC text, falling back to its longest parsable prefix.

    The standard's defaults are filled in first (:func:`with_standard_defaults`), so
    ``prefix`` is cut from that text. The prefix is cut at whole tunes first (all tunes before
    the first one that fails), and then at whole lines inside that tune (its header through
    ``K:`` is always kept).

    Examples
    --------
    >>> p = parse("X:1\\nL:1/8\\nK:G\\nGABc d2 e2|\\n")
    >>> p.complete, len(notes(p))
    (True, 6)
    """
    filled = with_standard_defaults(text) if text.strip() else text
    whole = _try_parse(filled)
    if whole is not None:
        return Parsed(text, filled, whole, True, "")
    tunes = split_tunes(filled)
    good: list[str] = []
    for i, tune in enumerate(tunes):
        if _try_parse(tune) is not None:
            good.append(tune)
            continue
        part = _longest_tune_prefix(tune)
        if part:
            good.append(part)
        kept = "".join(good)
        score = _try_parse(kept) if kept else None
        if score is None:
            return Parsed(text, "", None, False, _nothing_note(tunes))
        lost = len(tunes) - i - (1 if part else 0)
        return Parsed(text, kept, score, False, _prefix_note(i, part, lost, len(tunes)))
    return Parsed(text, "", None, False, _nothing_note(tunes))  # each tune parsed alone, not together


def _nothing_note(tunes: list[str]) -> str:
    if not tunes:
        return "There is no ABC tune here to play."
    return "music21 could not read any of this as ABC music, so there is nothing to play."


def _prefix_note(bad: int, part: str, lost: int, total: int) -> str:
    where = f"tune {bad + 1} of {total}" if total > 1 else "this tune"
    if part:
        line = part.count("\n") + 1
        return (f"The whole text does not parse as ABC: {where} stops parsing at its line {line}, "
                f"so only the part before that line is played.")
    return f"The whole text does not parse as ABC: {where} breaks, so only the tunes before it are played."


def tempo_bpm(score: Any) -> float:
    """Quarter notes per minute from the tune's first metronome mark (``Q:``), else 120."""
    from music21 import tempo

    for mark in score.recurse().getElementsByClass(tempo.MetronomeMark):
        qpm = mark.getQuarterBPM()
        if qpm and qpm > 0:
            return float(qpm)
    return DEFAULT_BPM


def notes(parsed: Parsed | Any) -> list[Note]:
    """Piano-roll rows of a parsed tune (or a music21 stream), sorted by start; chords give one row per pitch.

    Times are seconds at the first tune's tempo; several tunes follow each other.
    """
    score = parsed.score if isinstance(parsed, Parsed) else parsed
    if score is None:
        return []
    seconds_per_quarter = 60.0 / tempo_bpm(score)
    rows: list[Note] = []
    for n in score.flatten().notes:  # an Opus of several tunes flattens to one after the other
        length = float(n.quarterLength)
        if length <= 0:  # grace notes have no length of their own
            continue
        start = float(n.offset) * seconds_per_quarter
        for pitch in n.pitches:
            rows.append(Note(int(pitch.midi), start, length * seconds_per_quarter))
    return sorted(rows, key=lambda r: (r.start, r.pitch))


def frequency(pitch: int) -> float:
    """Equal temperament, A4 (MIDI 69) = 440 Hz."""
    return float(440.0 * 2.0 ** ((pitch - 69) / 12.0))


def synthesize(rows: list[Note], sample_rate: int = SAMPLE_RATE, max_seconds: float = MAX_SECONDS) -> np.ndarray:
    """Render notes as mono float32 audio in [-1, 1]: a few harmonics under a plucked envelope.

    Each note is ``sum_k a_k sin(2 pi k f t)`` times ``(1 - exp(-t / 5 ms)) * exp(-3 t / d)``,
    a fast attack and a decay over its duration ``d``, with a 10 ms release so notes don't click.
    """
    if sample_rate < 1000:
        raise ValueError(f"The sample rate must be at least 1000 Hz, not {sample_rate}.")
    rows = [r for r in rows if r.start < max_seconds]
    if not rows:
        return np.zeros(0, dtype=np.float32)
    end = min(max(r.start + r.duration for r in rows) + 0.2, max_seconds)
    out = np.zeros(int(end * sample_rate) + 1, dtype=np.float64)
    for r in rows:
        first = int(r.start * sample_rate)
        length = min(int((r.duration + 0.01) * sample_rate), out.size - first)
        if length <= 0:
            continue
        t = np.arange(length) / sample_rate  # (N,) seconds since the note began
        f = frequency(r.pitch)
        wave_ = np.zeros(length)
        for k, a in enumerate(HARMONICS, start=1):
            if k * f < sample_rate / 2:  # leave out partials above Nyquist (they would alias)
                wave_ += a * np.sin(2 * np.pi * k * f * t)
        envelope = (1 - np.exp(-t / 0.005)) * np.exp(-3.0 * t / max(r.duration, 0.05))
        release = np.clip((r.duration + 0.01 - t) / 0.01, 0.0, 1.0)  # fade out over the last 10 ms
        out[first : first + length] += wave_ * envelope * release
    peak = float(np.abs(out).max())
    if peak > 0:
        out *= 0.8 / peak  # normalise, with headroom
    return out.astype(np.float32)


def wav_bytes(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    """16-bit mono PCM WAV file contents of float audio in [-1, 1]."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def parse_rate(tunes: list[str], standard_defaults: bool = True) -> float:
    """The fraction of tunes that parse whole (0.0 for an empty list).

    With ``standard_defaults`` (as :func:`parse` does) each tune first gets what the ABC
    standard implies (:func:`with_standard_defaults`); without, music21 reads it as written.
    """
    if not tunes:
        return 0.0
    fill = with_standard_defaults if standard_defaults else (lambda t: t)
    return sum(_try_parse(fill(t)) is not None for t in tunes) / len(tunes)


#: How tunes are written for the parse-rate figure (the widget's "measure" and the release).
TUNE_PROMPT = "X:1\n"
TUNE_CHARS = 600


def write_tunes(model: Any, n: int, temperature: float, seed: int | None = None,
                length: int = TUNE_CHARS) -> list[str]:
    """``n`` tunes from a folk model, sampled together, each cut at the next ``X:`` line."""
    from playground import sampling  # the engine's sampler; imported here to keep this light

    texts = sampling.generate_many(model, TUNE_PROMPT, length, [temperature] * n, seed=seed)
    return [split_tunes(TUNE_PROMPT + t)[0] for t in texts]


def tune_report(tunes: list[str]) -> dict[str, float]:
    """How tune-like a list of tunes is: parse rates, headers, and bars per tune.

    ``parse_rate`` fills in the standard's defaults first, as the player does;
    ``parse_rate_as_written`` gives music21 the text unchanged; ``with_meter_and_key`` is the
    fraction whose header has both ``M:`` and ``K:``; ``bars`` is the mean count of bar lines.
    """
    n = max(len(tunes), 1)
    return {
        "tunes": len(tunes),
        "parse_rate": parse_rate(tunes),
        "parse_rate_as_written": parse_rate(tunes, standard_defaults=False),
        "with_meter_and_key": sum("\nM:" in t and "\nK:" in t for t in tunes) / n,
        "bars": sum(t.count("|") for t in tunes) / n,
    }
