"""A hand-written client on the kernel websocket must not be able to stop the server.

The clamping of forged widget values is checked on every app beside its page
(``test_apps.test_forged_out_of_range_values_are_clamped``, over the ``v1`` protocol the page
itself speaks). This file covers the older JSON-text protocol, which any script gets when it
asks for no subprotocol: Voila 0.5.13's ``VoilaKernelWebsocketHandler.write_message`` reads
every binary frame as ``v1`` (8-byte offsets), but Jupyter Server frames a legacy client's
messages that carry buffers (an image's bytes, a FigureWidget's numpy arrays) with 4-byte
offsets, so Voila loops over a count of ~10^17 offsets: the whole server stops answering and
grows by ~150 MB a second. That is what forging ``01_neuron``'s sliders did: each redraw sends
numpy buffers. Run on a server of its own, so that a failure here takes no other test down.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.browser.harness import KernelChannel, VoilaServer, build_root, kernel_id_in

pytestmark = pytest.mark.browser


@pytest.fixture
def lone_server(tmp_path: Path) -> Iterator[VoilaServer]:
    root = build_root(tmp_path / "lone", real=False)
    server = VoilaServer(root, "--no-preheat", log=tmp_path / "lone.log")
    with server:
        yield server
        if server.proc is not None and requests_fail(server):
            server.proc.send_signal(signal.SIGKILL)  # a wedged server never handles SIGTERM


def requests_fail(server: VoilaServer) -> bool:
    try:
        requests.get(f"{server.url}/voila/static/", timeout=5)
    except requests.RequestException:
        return True
    return False


def test_a_legacy_protocol_client_cannot_wedge_the_server(lone_server: VoilaServer) -> None:
    html = requests.get(lone_server.render_url("_buffers.ipynb"), timeout=120).text
    kid = kernel_id_in(html)
    with KernelChannel(lone_server.ws_url(kid), timeout=10, legacy=True) as ch:
        info = ch.send("comm_info_request", {"target_name": "jupyter.widget"})
        comms = ch.replies_to(info, "comm_info_reply")[-1]["content"]["comms"]
        for comm_id in comms:  # an Image and its Layout: small, but the Image's bytes are a buffer
            mid = ch.send("comm_msg", {"comm_id": comm_id, "data": {"method": "request_state"}})
            try:
                ch.replies_to(mid, "idle")  # the reply itself is a binary frame: not seen here
            except TimeoutError:
                break  # the server stopped relaying: asked below
        try:
            answer = requests.get(f"{lone_server.url}/voila/static/", timeout=10).status_code
        except requests.RequestException as err:
            answer = repr(err)
    assert answer in (200, 404), (
        "after sending a widget state with a binary buffer to a legacy-protocol websocket client, "
        f"the server no longer answers ({answer}): Voila 0.5.13 parses the frame as protocol v1 "
        "and loops (see this module's docstring); scripts/serve.py must not route such frames "
        "through VoilaKernelWebsocketHandler's header parser"
    )
    lone_server.shutdown_kernel(kid)
