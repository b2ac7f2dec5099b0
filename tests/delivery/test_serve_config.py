"""voila.json and scripts/serve.py agree with the engine and with each other."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONFIG = json.loads((REPO / "voila.json").read_text())
_spec = importlib.util.spec_from_file_location("serve", REPO / "scripts" / "serve.py")
serve = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(serve)  # type: ignore[union-attr]


def test_upload_limit_follows_the_engine() -> None:
    from playground.corpora import MAX_UPLOAD_BYTES

    assert serve.MAX_UPLOAD_BYTES == MAX_UPLOAD_BYTES
    assert serve.MAX_MESSAGE_BYTES == MAX_UPLOAD_BYTES + serve.ENVELOPE_BYTES
    assert CONFIG["Voila"]["tornado_settings"]["websocket_max_message_size"] == serve.MAX_MESSAGE_BYTES


def test_audience_settings() -> None:
    vc = CONFIG["VoilaConfiguration"]
    assert vc["strip_sources"] is True and vc["show_tracebacks"] is False
    assert vc["preheat_kernel"] is True and vc["default_pool_size"] >= 1
    km = CONFIG["MappingKernelManager"]
    assert km["cull_idle_timeout"] > 0 and km["cull_interval"] > 0


def _served(path: str) -> bool:
    vc = CONFIG["VoilaConfiguration"]  # the same test as voila.static_file_handler
    allowed = any(re.fullmatch(p, path, re.IGNORECASE) for p in vc["file_allowlist"])
    denied = any(re.fullmatch(p, path, re.IGNORECASE) for p in vc["file_denylist"])
    return allowed and not denied


@pytest.mark.parametrize(
    "path",
    ["01_neuron.ipynb", "x.py", "model.safetensors", "net.PT", "a/b.ckpt", "w.pth", "m.onnx",
     "weights/a.png", ".git/x.png", "thumbnails/.hidden.png", "data.npz", "config.json"],
)
def test_sources_weights_and_hidden_files_are_refused(path: str) -> None:
    assert not _served(path)


@pytest.mark.parametrize("path", ["thumbnails/01_neuron.png", "photo.JPG", "logo.svg"])
def test_pictures_are_served(path: str) -> None:
    assert _served(path)


def test_command_line_translation() -> None:
    args, extra = serve.parse_args(["--token", "t", "--max-kernels", "3", "--cull-idle", "9", "--", "--debug"])
    argv = serve.voila_argv(args, extra)
    assert "--token=t" in argv and "--PlaygroundVoila.max_kernels=3" in argv
    assert "--MappingKernelManager.cull_idle_timeout=9" in argv and argv[-1] == "--debug"
    assert "--VoilaConfiguration.template=playground" in argv
    assert (REPO / "voila" / "templates" / "playground" / "index.html.j2").is_file()
