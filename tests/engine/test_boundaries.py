"""The engine stays free of UI code, and picks its device predictably."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from playground import device


def test_engine_imports_no_ui() -> None:
    code = (
        "import sys, playground, playground.model, playground.sampling, playground.training, "
        "playground.corpora, playground.checkpoint, playground.pretrained, playground.cli\n"
        "bad = [m for m in ('ipywidgets', 'plotly', 'IPython', 'widgets') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_pick_cpu_and_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(device.ENV_VAR, raising=False)
    assert device.pick("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    if not torch.cuda.is_available() and torch.backends.mps.is_available():
        expected = "mps"
    assert device.pick().type == expected


def test_environment_overrides_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(device.ENV_VAR, "cpu")
    assert device.pick("auto") == torch.device("cpu")
    assert device.pick(torch.device("cpu")) == torch.device("cpu")


def test_bad_device_names(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="Unknown device"):
        device.pick("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA GPU"):
        device.pick("cuda")
    assert "CPU" in device.describe(torch.device("cpu"))
