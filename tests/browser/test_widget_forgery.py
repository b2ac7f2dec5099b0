"""Forged widget messages: a raw kernel websocket (what any page could open) sets each app's
sliders far out of range; the kernel must clamp them, and the server must keep serving.

Runs after the browser tests (file order) on the same server, without a page attached: the
kernel is started by a plain GET of the app, as a script would.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.browser.harness import KernelChannel, VoilaServer, kernel_id_in
from tests.browser.test_apps import APPS, BOUNDED

pytestmark = pytest.mark.browser

#: Forging every cell of a 5x5 kernel grid proves nothing more than forging a few.
MAX_FORGED = 4


@pytest.mark.parametrize("path", APPS, ids=lambda p: p.stem)
def test_forged_out_of_range_values_are_clamped(path: Path, voila: VoilaServer) -> None:
    html = requests.get(voila.render_url(path.name), timeout=240).text
    kid = kernel_id_in(html)
    try:
        with KernelChannel(voila.ws_url(kid), timeout=60) as ch:
            states = ch.widget_states()
            bounded = dict(
                [(k, s) for k, s in states.items() if s.get("_model_name") in BOUNDED][:MAX_FORGED]
            )
            if not bounded:
                pytest.skip(f"{path.name} has no bounded numeric control to forge")
            for comm_id, s in bounded.items():
                lo, hi = s["min"], s["max"]
                ch.update(comm_id, {"value": hi + 1000})  # the kernel clamps to max ...
                high = ch.widget_states([comm_id])[comm_id]["value"]
                assert lo <= high <= hi, f"{s['_model_name']} {s.get('description')!r} took {high}"
                ch.update(comm_id, {"value": lo - 1000})  # ... and to min
            after = ch.widget_states(list(bounded))
        for comm_id, s in bounded.items():
            value = after[comm_id]["value"]
            assert s["min"] <= value <= s["max"], f"{s['_model_name']} {s.get('description')!r} took {value}"
        # ... and the server still answers everyone else.
        assert requests.get(f"{voila.url}/voila/static/", timeout=30).status_code in (200, 404)
    finally:
        requests.delete(f"{voila.url}/api/kernels/{kid}", timeout=30)
