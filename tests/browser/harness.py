"""Start the gallery's Voila server for tests and benchmarks, and talk to a kernel like a client.

:class:`VoilaServer` runs ``scripts/serve.py`` (the same entry point as the README's command) on
a free localhost port in its own process group and stops it, kernels included.
:class:`KernelChannel` is a raw kernel websocket, i.e. what a hostile page could send.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests
import websocket  # websocket-client, a jupyter_server dependency
from jupyter_server.services.kernels.connection.base import (
    deserialize_msg_from_ws_v1,
    serialize_msg_to_ws_v1,
)

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SERVE = REPO / "scripts" / "serve.py"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
#: No host but this machine resolves: a page that needs a CDN fails here as on a room's Wi-Fi.
OFFLINE_ARGS = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"]

#: Files that must never be served; the tests drop them into the served folder as bait.
BAIT_FILES = {
    "secret.py": "print('source')\n",
    "model.safetensors": "weights",
    "model.pt": "weights",
    "weights/net.safetensors": "weights",
    "config.json": "{}",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_root(dest: Path, *, real: bool = True, fixtures: bool = True) -> Path:
    """A served folder: the real notebooks (and thumbnails), the dev fixtures and bait files."""
    dest.mkdir(parents=True, exist_ok=True)
    if real:
        for nb in NOTEBOOKS.glob("*.ipynb"):
            shutil.copy2(nb, dest / nb.name)
        if (NOTEBOOKS / "thumbnails").is_dir():
            shutil.copytree(NOTEBOOKS / "thumbnails", dest / "thumbnails", dirs_exist_ok=True)
    if fixtures:
        for nb in FIXTURES.glob("*.ipynb"):
            shutil.copy2(nb, dest / nb.name)
        for nb in (FIXTURES / "errors").glob("*.ipynb"):  # "_": kept out of the gallery
            shutil.copy2(nb, dest / f"_{nb.name}")
    for rel, text in BAIT_FILES.items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_text(text)
    return dest


class VoilaServer:
    """``scripts/serve.py`` on a free port; use as a context manager."""

    def __init__(self, root: Path, *args: str, log: Path | None = None, ready_s: float = 90) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.args = list(args)
        self.log_path = log or root / "voila.log"
        self.ready_s = ready_s
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> VoilaServer:
        env = dict(os.environ, PYTHONUNBUFFERED="1", PLAYGROUND_DEVICE="cpu", OMP_NUM_THREADS="1")
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        cmd = [sys.executable, str(SERVE), "--root", str(self.root), "--port", str(self.port)]
        self.proc = subprocess.Popen(
            cmd + self.args,
            cwd=REPO,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() takes the kernels too
        )
        deadline = time.monotonic() + self.ready_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Voila exited with {self.proc.returncode}:\n{self.log()}")
            try:
                requests.get(self.url + "/voila/static/", timeout=2, allow_redirects=False)
                return self
            except requests.ConnectionError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"Voila did not answer within {self.ready_s} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc is None:
            return
        pgid = self.proc.pid  # start_new_session: the group id is the server's pid
        if self.proc.poll() is None:
            os.killpg(pgid, signal.SIGTERM)  # Voila shuts its kernels down on SIGTERM
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)  # anything left in the group (kernels)
        self.proc.wait(timeout=10)
        self._log.close()
        self.proc = None

    def __enter__(self) -> VoilaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def render_url(self, name: str) -> str:
        return f"{self.url}/voila/render/{name}"

    def shutdown_kernel(self, kernel_id: str) -> None:
        """Shut a kernel down through the REST API, with the ``_xsrf`` cookie and header pair.

        Voila 0.5's page asks for the shutdown on unload without an ``_xsrf`` token, and Jupyter
        Server refuses that (403): without this every app's kernel would stay up all session.
        """
        xsrf = uuid.uuid4().hex
        r = requests.delete(f"{self.url}/api/kernels/{kernel_id}", timeout=60,
                            headers={"X-XSRFToken": xsrf}, cookies={"_xsrf": xsrf})
        if r.status_code not in (204, 404):  # 404: already gone
            raise RuntimeError(f"shutting kernel {kernel_id} down: HTTP {r.status_code} {r.text[:200]}")

    def ws_url(self, kernel_id: str) -> str:
        return f"ws://localhost:{self.port}/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4()}"


def kernel_id_in(html: str) -> str:
    """The kernel id Voila wrote into a rendered page's ``jupyter-config-data``."""
    start = html.index('id="jupyter-config-data"')
    body = html[html.index(">", start) + 1 : html.index("</script>", start)]
    return str(json.loads(body)["kernelId"])


#: The kernel websocket protocol Jupyter front ends speak (JupyterLab 4, Voila 0.5): binary frames.
V1_PROTOCOL = "v1.kernel.websocket.jupyter.org"


class KernelChannel:
    """A raw kernel websocket speaking Jupyter's protocol, as any web page could.

    By default it speaks the ``v1`` binary protocol, as the page itself does; ``legacy=True``
    speaks the older JSON-text protocol a hand-written client gets when it asks for none.
    """

    def __init__(self, url: str, timeout: float = 30, *, legacy: bool = False) -> None:
        protocols = None if legacy else [V1_PROTOCOL]
        self.ws = websocket.create_connection(url, timeout=timeout, subprotocols=protocols)
        self.legacy = legacy
        self.session = uuid.uuid4().hex
        self.timeout = timeout

    def close(self) -> None:
        self.ws.close()

    def __enter__(self) -> KernelChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, msg_type: str, content: dict[str, Any], channel: str = "shell") -> str:
        msg_id = uuid.uuid4().hex
        header = {
            "msg_id": msg_id,
            "msg_type": msg_type,
            "session": self.session,
            "username": "forger",
            "version": "5.3",
            "date": "",
        }
        if self.legacy:
            self.ws.send(json.dumps({"header": header, "parent_header": {}, "metadata": {},
                                     "content": content, "channel": channel, "buffers": []}))
        else:
            parts = [json.dumps(part).encode() for part in (header, {}, {}, content)]
            self.ws.send_binary(serialize_msg_to_ws_v1(parts, channel))
        return msg_id

    def messages(self) -> Iterator[dict[str, Any]]:
        """Incoming messages until the timeout (legacy binary frames carry buffers; skipped)."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            self.ws.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                frame = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                return
            if isinstance(frame, str):
                yield json.loads(frame)
            elif not self.legacy:
                channel, parts = deserialize_msg_from_ws_v1(frame)
                header, parent, metadata, content = (json.loads(p) for p in parts[:4])
                yield {"channel": channel, "header": header, "parent_header": parent,
                       "metadata": metadata, "content": content, "buffers": parts[4:]}

    def replies_to(self, msg_id: str, until: str) -> list[dict[str, Any]]:
        """Every message whose parent is ``msg_id``, up to the first of type ``until``
        (``"idle"`` means the kernel's idle status after handling it)."""
        got = []
        for msg in self.messages():
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            got.append(msg)
            kind = msg["header"]["msg_type"]
            if kind == until or (
                until == "idle" and kind == "status" and msg["content"]["execution_state"] == "idle"
            ):
                return got
        raise TimeoutError(f"no {until} for {msg_id} within {self.timeout} s")

    def widget_states(self, comm_ids: list[str]) -> dict[str, dict[str, Any]]:
        """comm id -> state of the given widgets.

        Only ask for widgets you know are small: every reply is broadcast to every client of the
        kernel, and a plotly FigureWidget's state carries its 5 MB front-end bundle (``_esm``),
        which an attached page would load again. Learn the ids from the page's own load
        (``test_apps._watch_widget_states``).
        """
        states: dict[str, dict[str, Any]] = {}
        for comm_id in comm_ids:
            mid = self.send("comm_msg", {"comm_id": comm_id, "data": {"method": "request_state"}})
            for msg in self.replies_to(mid, "idle"):
                content = msg["content"]
                if msg["header"]["msg_type"] == "comm_msg" and content.get("comm_id", comm_id) == comm_id:
                    states.setdefault(comm_id, {}).update(content["data"].get("state", {}))
        return states

    def update(self, comm_id: str, state: dict[str, Any]) -> list[dict[str, Any]]:
        """Send a widget state update; the messages it caused, until the kernel is idle again."""
        mid = self.send(
            "comm_msg",
            {"comm_id": comm_id, "data": {"method": "update", "state": state, "buffer_paths": []}},
        )
        return self.replies_to(mid, "idle")
