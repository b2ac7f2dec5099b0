"""ABC to notes to sound: a known tune, its piano roll, the prefix fallback and the synthesiser."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from playground import music, pretrained
from playground.model import CharLSTM
from playground.text import Vocab
from widgets.music import BROKEN, EXAMPLE, MusicWidget

# Eighth notes at a quarter = 120: each lasts 0.25 s. G major: the F is sharp.
SCALE = """X:1
T:Scale
M:4/4
L:1/8
Q:1/4=120
K:G
GABc defg|[GBd]4 z4|]
"""
SCALE_PITCHES = [67, 69, 71, 72, 74, 76, 78, 79]


def test_a_known_tune_parses_to_the_right_notes() -> None:
    parsed = music.parse(SCALE)
    assert parsed.complete and parsed.ok and parsed.note == "" and parsed.prefix == SCALE
    rows = music.notes(parsed)
    melody = [r for r in rows if r.start < 2.0]
    assert [r.pitch for r in melody] == SCALE_PITCHES
    assert [r.start for r in melody] == pytest.approx([0.25 * i for i in range(8)])
    assert all(r.duration == pytest.approx(0.25) for r in melody)
    chord = [r for r in rows if r.start == pytest.approx(2.0)]  # one row per pitch of [GBd]4
    assert sorted(r.pitch for r in chord) == [67, 71, 74]
    assert all(r.duration == pytest.approx(1.0) for r in chord)
    assert len(rows) == 11  # the rest is silent


def test_the_tempo_defaults_to_120_without_q() -> None:
    rows = music.notes(music.parse("X:1\nL:1/4\nK:C\nC D|\n"))
    assert [(r.pitch, r.start, r.duration) for r in rows] == [(60, 0.0, 0.5), (62, 0.5, 0.5)]


def test_a_broken_line_falls_back_to_the_lines_before_it() -> None:
    good = "X:1\nT:Half\nL:1/8\nK:G\nGABc d2 e2|\nd2 B2 G4|\n"
    parsed = music.parse(good + "zz[[[|:::!!!!\nABC|\n")
    assert parsed.ok and not parsed.complete
    assert parsed.prefix == good
    assert "line 7" in parsed.note and "only the part before" in parsed.note
    assert [r.pitch for r in music.notes(parsed)] == [r.pitch for r in music.notes(music.parse(good))]


def test_a_broken_second_tune_keeps_the_first() -> None:
    first = "X:1\nL:1/8\nK:D\nDEF|\n"
    parsed = music.parse(first + "\nX:2\nK:G\n[[[[\n")
    assert parsed.prefix == first and "tune 2 of 2" in parsed.note


def test_garbage_gives_an_empty_prefix_and_a_note() -> None:
    for garbage in ("hello, this is not music", "", "X:1\nK:C\n[[[[[[\n"):
        parsed = music.parse(garbage)
        assert not parsed.ok and parsed.prefix == "" and parsed.score is None
        assert "nothing to play" in parsed.note or "no ABC tune" in parsed.note
        assert music.notes(parsed) == []
    assert music.synthesize([]).size == 0


def test_split_tunes() -> None:
    assert music.split_tunes("X:1\nK:C\nC|\n\nX:2\nK:C\nD|\n") == ["X:1\nK:C\nC|\n", "X:2\nK:C\nD|\n"]
    assert music.split_tunes("abc\nX:1\nK:C\n") == ["abc\n", "X:1\nK:C\n"]


def test_parse_rate_counts_whole_tunes() -> None:
    good, bad = "X:1\nL:1/8\nK:G\nGAB|\n", "X:2\nK:G\n[[[\n"
    assert music.parse_rate([good, bad, good]) == pytest.approx(2 / 3)
    assert music.parse_rate([]) == 0.0


def test_the_synthesiser_sounds_the_right_pitch() -> None:
    rate = 8000
    audio = music.synthesize([music.Note(69, 0.0, 1.0)], sample_rate=rate)
    assert audio.dtype == np.float32 and audio.size == int(1.2 * rate) + 1
    assert np.abs(audio).max() == pytest.approx(0.8, abs=1e-3)
    spectrum = np.abs(np.fft.rfft(audio))
    peak = np.fft.rfftfreq(audio.size, 1 / rate)[int(np.argmax(spectrum))]
    assert abs(peak - 440.0) < 2.0
    assert np.abs(audio[int(1.05 * rate):]).max() < 1e-6  # silent after the release


def test_notes_start_where_the_roll_says() -> None:
    rate = 8000
    audio = music.synthesize([music.Note(60, 0.5, 0.25)], sample_rate=rate)
    assert np.abs(audio[: int(0.5 * rate)]).max() == 0.0 and np.abs(audio[int(0.52 * rate):int(0.6 * rate)]).max() > 0.1


def test_wav_bytes_is_a_readable_wav() -> None:
    audio = music.synthesize(music.notes(music.parse(SCALE)))
    data = music.wav_bytes(audio)
    with wave.open(io.BytesIO(data)) as f:
        assert (f.getnchannels(), f.getsampwidth(), f.getframerate()) == (1, 2, music.SAMPLE_RATE)
        assert f.getnframes() == audio.size
        frames = np.frombuffer(f.readframes(f.getnframes()), dtype="<i2")
    assert np.allclose(frames / 32767, audio, atol=1e-4)


# ---------------------------------------------------------------- the widget


def test_the_widget_draws_and_plays_the_tune_it_is_given() -> None:
    m = MusicWidget(model=None, abc=SCALE)
    rows = music.notes(music.parse(SCALE))
    bar = m.roll.data[0]
    assert list(bar.y) == [r.pitch for r in rows]
    assert list(bar.base) == pytest.approx([r.start for r in rows])
    assert list(bar.x) == pytest.approx([r.duration for r in rows])
    assert m.audio.value[:4] == b"RIFF" and m.audio.format == "wav"
    assert m.notice.kind == ""
    # with no model given, "Write a tune" uses the shipped folk model when it is installed
    assert m.write.disabled == ("folk" not in pretrained.available())


def test_the_widget_plays_the_prefix_and_says_so() -> None:
    m = MusicWidget(model=None, abc=SCALE)
    m.abc.value = "X:1\nL:1/8\nK:G\nGABc|\nzz[[[\n"
    m.play.click()
    assert m.notice.kind == "warning" and "only the part before" in m.notice.text
    assert list(m.roll.data[0].y) == [67, 69, 71, 72] and m.audio.value[:4] == b"RIFF"
    assert "GABc" in m.played.value
    m.abc.value = "not music"
    m.play.click()
    assert m.notice.kind == "error" and list(m.roll.data[0].y) == [] and m.audio.value == b""
    assert m.abc.value == "not music"  # what was typed stays


def test_picking_an_example_loads_and_plays_it() -> None:
    m = MusicWidget(model=None, abc=SCALE)
    m.example.value = "A tune with a broken line"
    assert m.abc.value == BROKEN and m.notice.kind == "warning" and "line 7" in m.notice.text
    assert list(m.roll.data[0].y) == [r.pitch for r in music.notes(music.parse(BROKEN))]
    assert len(m.roll.data[0].y) == 16


def test_the_widget_writes_tunes_with_any_model() -> None:
    torch_model = CharLSTM(Vocab.from_text(EXAMPLE), hidden=16, layers=1, embed=8)
    m = MusicWidget(model=torch_model)
    assert not m.write.disabled
    m.write.click()
    assert m.abc.value.startswith("X:1\n") and m.notice.kind in ("", "warning", "error")
    m.check.click()
    assert "of 8 tunes parse whole" in m.rate.value
