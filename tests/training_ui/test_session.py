"""The live session's controls from any order of clicks: no hang, no exception, consistent state."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import torch

from playground import checkpoint, live
from playground.errors import TrainingConfigError
from playground.model import CharLSTM
from tests.training_ui.conftest import TINY


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def consistent(s: live.Session) -> None:
    """The records belong to one run, in order, and match its trainer."""
    p = s.progress()
    steps = [k for k, _ in p.steps]
    assert steps == list(range(1, len(steps) + 1))
    assert all(0 < m.step <= p.step for m in p.timeline)
    assert [m.step for m in p.timeline] == sorted(m.step for m in p.timeline)
    if not s.running:
        assert s.trainer is not None and p.step == s.trainer.step


def test_start_while_running_changes_nothing(session: live.Session) -> None:
    assert session.state == "idle"
    assert session.start() is True
    trainer = session.trainer
    wait_for(lambda: session.progress().step >= 3)
    assert session.start() is False
    assert session.trainer is trainer and session.state == "running"
    session.stop()
    assert session.state == "stopped"
    assert "Stopped at step" in session.progress().message
    consistent(session)


def test_stop_during_a_step_waits_then_ends_cleanly(session: live.Session) -> None:
    session.start()
    wait_for(lambda: session.progress().step >= 2)
    trainer = session.trainer
    assert trainer is not None
    with trainer.lock:  # the training thread now blocks inside its next optimiser step
        time.sleep(0.05)
        session.stop(wait=0.2)  # returns although the step cannot finish yet
        # the thread may have seen the stop request between two steps and ended already
        assert session.state == ("stopping" if session.running else "stopped")
    session.join(10)
    assert session.state == "stopped"
    consistent(session)


def test_stop_twice_and_stop_before_start(session: live.Session) -> None:
    session.stop()
    assert session.state == "idle"
    session.start()
    wait_for(lambda: session.progress().step >= 2)
    session.stop()
    session.stop()
    assert session.state == "stopped" and not session.running
    consistent(session)


def test_pause_holds_the_step_count_and_resume_goes_on(session: live.Session) -> None:
    session.start()
    wait_for(lambda: session.progress().step >= 2)
    session.pause()
    assert session.state == "paused"
    time.sleep(0.1)  # let the step in flight finish
    held = session.progress().step
    time.sleep(0.3)
    assert session.progress().step == held
    session.resume()
    wait_for(lambda: session.progress().step > held)
    assert session.state == "running"


def test_change_corpus_while_running_restarts_on_the_new_text(session: live.Session, verse_corpus) -> None:
    session.start()
    wait_for(lambda: session.progress().step >= 3)
    old = session.trainer
    assert old is not None
    session.set_corpus(verse_corpus)
    assert not old.running and old.result is not None and old.result.reason == "stopped"
    assert session.running and session.trainer is not old
    assert session.corpus is verse_corpus
    assert session.model is not None and session.model.vocab.chars == session.vocab.chars
    assert set(session.vocab.chars[1:]) == set(verse_corpus.text)
    wait_for(lambda: len(session.progress().timeline) >= 2)
    for moment in session.progress().timeline:  # only the new run's samples, in the new alphabet
        assert set(moment.text) <= set(verse_corpus.text) | {"\ufffd"}
    consistent(session)
    session.stop()
    consistent(session)


def test_change_corpus_while_stopped_does_not_start(session: live.Session, verse_corpus) -> None:
    session.set_corpus(verse_corpus)
    assert session.state == "idle" and not session.running


def test_timeline_and_curves_fill_in(session: live.Session) -> None:
    session.start()
    wait_for(lambda: len(session.progress().timeline) >= 3 and len(session.progress().evals) >= 2)
    session.stop()
    p = session.progress()
    assert p.device.startswith("CPU") and p.chars_per_second > 0
    assert all(len(m.text) == 40 for m in p.timeline)
    assert p.evals[-1][0] <= p.step and all(v > 0 for _, _, v in p.evals)
    consistent(session)


def test_divergence_stops_with_a_message_and_keeps_the_last_good_model(session: live.Session) -> None:
    good: list[dict[str, torch.Tensor]] = []

    def keep(kind: str, s: live.Session) -> None:  # runs in the training thread, at each evaluation
        if kind == "eval" and s.progress().evals[-1][2] == s.progress().evals[-1][2]:  # finite (not NaN)
            assert s.model is not None
            good.append({k: v.clone() for k, v in s.model.state_dict().items()})

    session.subscribe(keep)
    session.configure(lr=10.0)
    session.start()
    session.join(30)
    assert session.state == "diverged"
    message = session.progress().message
    assert "diverged" in message and "learning rate" in message and "restored" in message
    model = session.model
    assert model is not None
    assert all(torch.isfinite(p).all() for p in model.parameters())
    if good:  # restored to the weights of the last evaluation that was finite
        expected = good[-1]
    else:  # it blew up before any evaluation: the seeded initial weights are the last good ones
        torch.manual_seed(session.seed)
        expected = CharLSTM(session.vocab, TINY.hidden, TINY.layers, TINY.embed).state_dict()
    for k, v in model.state_dict().items():
        assert torch.equal(v.cpu(), expected[k].cpu()), k


def test_a_failing_listener_does_not_end_the_run(session: live.Session) -> None:
    def broken(kind: str, s: live.Session) -> None:
        raise RuntimeError("view bug")

    session.subscribe(broken)
    session.start()
    wait_for(lambda: session.progress().step >= 5)
    assert session.state == "running"


def test_an_error_inside_the_run_ends_it_as_failed(session: live.Session, monkeypatch) -> None:
    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("sampler broke")

    monkeypatch.setattr(live.sampling, "generate", broken)
    session.start()
    session.join(30)
    assert session.state == "failed" and not session.running
    assert "sampler broke" in session.progress().message
    assert session.start() is True  # and a new run can start
    session.stop()


def test_model_copy_is_independent_and_saves(session: live.Session, tmp_path) -> None:
    with pytest.raises(TrainingConfigError, match="start a run"):
        session.model_copy()
    session.start()
    wait_for(lambda: session.progress().step >= 3)
    copy = session.model_copy()  # taken between two steps while the run goes on
    assert copy is not session.model and not copy.training and copy.device.type == "cpu"
    before = {k: v.clone() for k, v in copy.state_dict().items()}
    wait_for(lambda: session.progress().step >= 8)
    assert all(torch.equal(before[k], v) for k, v in copy.state_dict().items())
    session.stop()
    weights, meta = session.save(tmp_path / "mine")
    loaded = checkpoint.load(tmp_path / "mine")
    assert loaded.vocab.chars == session.vocab.chars
    info = checkpoint.read_meta(tmp_path / "mine")
    assert info["steps"] == session.progress().step and info["preset"] == TINY.name


def test_bad_settings_raise_before_anything_changes(session: live.Session) -> None:
    lr = session.lr
    for bad in (dict(lr=0.0), dict(lr=float("nan")), dict(batch_size=0), dict(seq_len=1), dict(minutes=-1)):
        with pytest.raises(TrainingConfigError):
            session.configure(**bad)
    assert session.lr == lr
    with pytest.raises(TrainingConfigError, match="Unknown size preset"):
        session.set_preset("enormous")


def test_no_corpus_yet_refuses_to_start() -> None:
    s = live.Session(None, TINY, device="cpu")
    with pytest.raises(TrainingConfigError, match="corpus"):
        s.start()
    assert s.state == "idle"


def test_time_budget_ends_the_run(session: live.Session) -> None:
    session.configure(minutes=0.005)  # 0.3 s of training
    session.start()
    session.join(30)
    assert session.state == "time" and "Time is up" in session.progress().message
    consistent(session)


def test_controls_from_many_threads_at_once(session: live.Session, verse_corpus, code_corpus) -> None:
    errors: list[BaseException] = []

    def hammer(i: int) -> None:
        try:
            for k in range(6):
                [session.start, session.pause, session.resume, session.stop][(i + k) % 4]()
        except BaseException as err:  # noqa: BLE001 - collected and asserted below
            errors.append(err)

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    session.set_corpus(verse_corpus)
    for t in threads:
        t.join(30)
    assert not errors and not any(t.is_alive() for t in threads)
    session.stop()
    assert session.state in ("idle", "stopped")
    consistent(session)


def test_presets_offered_by_device() -> None:
    cpu = live.presets_for(torch.device("cpu"))
    assert cpu and all(not live.PRESETS[n].gpu for n in cpu)
    assert live.presets_for(torch.device("cuda")) == list(live.PRESETS)


def test_a_corpus_is_encoded_once_not_on_every_start(session: live.Session, verse_corpus) -> None:
    session.start()
    first = session.trainer
    session.stop()
    session.start()
    second = session.trainer
    session.stop()
    assert first is not None and second is not None and first is not second
    assert second.train_ids is first.train_ids  # the same tensor: the second start encoded nothing
    assert session.vocab is not None
    assert second.train_ids.tolist() == session.vocab.encode(session.train_text).ids
    session.set_corpus(verse_corpus)  # a new corpus is encoded anew, with its own vocabulary
    session.start()
    third = session.trainer
    session.stop()
    assert third is not None and third.train_ids is not first.train_ids
    assert third.train_ids.tolist() == session.vocab.encode(session.train_text).ids
