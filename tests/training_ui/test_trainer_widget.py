"""The training widget driven like a user: buttons clicked, figures checked against the session."""

from __future__ import annotations

import pytest
import torch

from playground import checkpoint, live, pretrained
from playground.model import CharLSTM
from tests.training_ui.conftest import TINY
from tests.training_ui.test_session import wait_for
from tests.training_ui.test_upload import TEXT
from widgets.speech import SpeakButton
from widgets.trainer import TrainerWidget
from widgets.trainer_views import thin

SESSION = dict(sample_seconds=0.08, eval_seconds=0.08, sample_len=30, eval_chars=400)


@pytest.fixture()
def widget():
    w = TrainerWidget(corpus="user", preset=TINY, mode="live", device="cpu", refresh_seconds=0.05, **SESSION)
    yield w
    w.session.stop(wait=10)


def paste(w: TrainerWidget, text: str = TEXT) -> None:
    w.upload.paste.value = text
    w.upload.use_paste.click()


def test_your_text_then_a_short_run_draws_what_the_session_recorded(widget: TrainerWidget) -> None:
    widget.start.click()
    assert widget.notice.kind == "error" and "corpus" in widget.notice.text  # nothing loaded yet
    paste(widget)
    assert widget.session.corpus is widget.upload.corpus
    widget.minutes.value = 0.006  # 0.36 s of training
    widget.start.click()
    assert widget.notice.kind == "" and widget.start.disabled and not widget.stop.disabled
    widget.session.join(30)
    widget.refresh()
    p = widget.session.progress()
    assert p.state == "time" and "Time" in widget.status.value and "CPU" in widget.status.value
    train, val = widget.curves.fig.data
    assert list(train.x) == [s for s, _ in thin(p.steps)] and list(train.y) == [v for _, v in thin(p.steps)]
    assert list(val.x) == [e[0] for e in p.evals] and list(val.y) == [e[2] for e in p.evals]
    assert len(p.timeline) >= 2 and widget.timeline.slider.max == len(p.timeline) - 1
    assert widget.timeline.slider.value == widget.timeline.slider.max  # following the newest
    assert widget.timeline.speak.text == p.timeline[-1].text
    widget.timeline.slider.value = 0  # scrub back to the first sample
    assert widget.timeline.shown == p.timeline[0] and f"step {p.timeline[0].step:,}" in widget.timeline.caption.value
    assert not widget.start.disabled and widget.pause.disabled and widget.resume.disabled


def test_buttons_pause_resume_stop_and_stop_again(widget: TrainerWidget) -> None:
    paste(widget)
    widget.start.click()
    wait_for(lambda: widget.session.progress().step >= 2)
    widget.start.click()  # start while running: nothing happens
    assert widget.notice.kind == ""
    widget.pause.click()
    assert widget.session.state == "paused" and not widget.resume.disabled and widget.pause.disabled
    widget.resume.click()
    assert widget.session.state == "running"
    widget.stop.click()
    widget.stop.click()
    assert widget.session.state == "stopped" and "Stopped" in widget.status.value
    assert widget.notice.kind == ""


def test_changing_corpus_while_running_switches_the_run(widget: TrainerWidget, code_corpus) -> None:
    paste(widget)
    widget.start.click()
    wait_for(lambda: widget.session.progress().step >= 2)
    widget.upload.files.value = ()  # nothing happens on an empty value
    first = widget.session.trainer
    paste(widget, "A NEW TEXT OF CAPITALS ONLY. " * 30)  # a new upload while "your text" is chosen
    assert widget.session.running and widget.session.trainer is not first
    assert set(widget.session.vocab.chars[1:]) == set("A NEW TEXT OF CAPITALS ONLY. \n")
    widget.stop.click()
    assert widget.session.state == "stopped"


def test_settings_reach_the_next_run_and_bad_ones_are_refused(widget: TrainerWidget) -> None:
    widget.batch.value = 16
    widget.seq_len.value = 32
    widget.lr.value = 0.01
    cfg = widget.session.train_config()
    assert (cfg.batch_size, cfg.seq_len, cfg.lr) == (16, 32, pytest.approx(0.01))
    widget.preset.value = "tiny"
    assert widget.session.preset.name == "tiny" and widget.batch.value == live.PRESETS["tiny"].batch_size
    assert widget.lr.value == pytest.approx(live.PRESETS["tiny"].lr)


def test_divergence_shows_the_message(widget: TrainerWidget) -> None:
    paste(widget)
    widget.lr.value = 10.0
    widget.start.click()
    widget.session.join(30)
    widget.refresh()
    assert widget.session.state == "diverged"
    assert widget.notice.kind == "warning" and "diverged" in widget.notice.text
    assert "Diverged" in widget.status.value


def test_hand_on_gives_a_copy_and_save_writes_it(widget: TrainerWidget, tmp_path) -> None:
    received: list[CharLSTM] = []
    widget.on_model(received.append)
    widget.hand.click()
    assert widget.notice.kind == "error" and widget.model is None and not received
    paste(widget)
    widget.minutes.value = 0.005
    widget.start.click()
    widget.session.join(30)
    widget.hand.click()
    assert received == [widget.model] and widget.model is not widget.session.model
    assert isinstance(widget.model, CharLSTM) and widget.model.vocab.chars == widget.session.vocab.chars
    for a, b in zip(widget.model.parameters(), widget.session.model.parameters()):
        assert torch.equal(a, b.cpu())
    widget.save_path.value = str(tmp_path / "stage-run")
    widget.save.click()
    assert widget.notice.kind == "info" and "stage-run.safetensors" in widget.notice.text
    assert checkpoint.load(tmp_path / "stage-run").vocab.chars == widget.model.vocab.chars


def test_shipped_snapshots_play_in_the_same_view(tmp_path, monkeypatch: pytest.MonkeyPatch, code_corpus) -> None:
    from playground.text import Vocab

    model = CharLSTM(Vocab.from_text(code_corpus.text), hidden=8, layers=1, embed=4)
    for step, loss, sample in ((100, 3.1, "ths teh"), (1000, 2.0, "the and"), (5000, 1.5, "the end")):
        checkpoint.save(model, tmp_path / f"python-step{step:06d}", {"step": step, "valid_loss": loss, "sample": sample})
    checkpoint.save(model, tmp_path / "python", {"steps": 9000, "valid_loss": 1.2, "sample": "def main():"})
    monkeypatch.setattr(pretrained, "weights_dir", lambda: tmp_path)
    w = TrainerWidget(corpus="python", preset=TINY, mode="snapshots", device="cpu", **SESSION)
    assert w.snapshot_name.value == "python" and w.live_controls.layout.display == "none"
    moments = live.shipped_timeline("python")
    assert [m.step for m in moments] == [100, 1000, 5000, 9000]
    assert list(w.curves.fig.data[1].x) == [100, 1000, 5000, 9000]
    assert list(w.curves.fig.data[1].y) == [3.1, 2.0, 1.5, 1.2]
    w.timeline.slider.value = 1
    assert "the and" in w.timeline.text.value and "validation loss 2.00" in w.timeline.caption.value
    w.mode.value = "live"
    assert w.live_controls.layout.display is None


def test_snapshots_mode_without_shipped_weights_says_so(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pretrained, "weights_dir", lambda: tmp_path)
    w = TrainerWidget(corpus="user", preset=TINY, mode="snapshots", device="cpu")
    assert w.notice.kind == "info" and "No shipped snapshots" in w.notice.text
    assert TrainerWidget(corpus="user", preset=TINY, mode="auto", device="cpu").mode.value == "live"


def test_speak_button_is_offline_and_clamps() -> None:
    b = SpeakButton("To be or not to be", rate=50, pitch=-1)
    assert (b.rate, b.pitch) == (10.0, 0.0)
    assert "speechSynthesis" in b._esm and "http" not in b._esm and "import " not in b._esm
    assert b.text == "To be or not to be" and not b.speaking
