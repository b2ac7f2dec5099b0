"""Every notebook as its own Voila app in Chromium: renders cleanly, its main control redraws it,
it stays on localhost, and forged out-of-range widget values are clamped by the kernel. One page
load per app serves all four checks.

The notebooks are found at collection time (``notebooks/*.ipynb`` plus the dev fixtures), so a
new notebook is tested the moment it lands. How to drive one is read from its metadata
(``playground.browser_check``, see ``docs/testing.md``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.browser.conftest import SCREENSHOTS, Recorder
from tests.browser.harness import FIXTURES, NOTEBOOKS, KernelChannel, VoilaServer
from widgets.gallery import read_card
from widgets.server_extension import BUNDLE, BUNDLE_DIR

pytestmark = pytest.mark.browser

APPS = sorted(NOTEBOOKS.glob("*.ipynb")) + sorted(FIXTURES.glob("*.ipynb"))

#: Text that means a widget did not make it to the screen.
WIDGET_FAILURES = ("Failed to load model class", "Error displaying widget", "Could not create view",
                   "model not found", "Failed to create view")

DEFAULT_CHECK = {
    "control": ".widget-slider .noUi-handle",
    "action": "press:ArrowRight*2",
    "expect_change": ".js-plotly-plot",
    "timeout_s": "30",
}


@dataclass
class App:
    name: str
    page: Any
    recorder: Recorder
    kernel_id: str
    expected_widgets: int
    check: dict[str, str] = field(default_factory=dict)
    bounded: dict[str, dict[str, Any]] = field(default_factory=dict)
    largest_frame: list[int] = field(default_factory=lambda: [0])
    bundle_frames: list[int] = field(default_factory=lambda: [0])


def _frame_content(payload: str | bytes) -> dict[str, Any] | None:
    """The content of a kernel message frame: legacy JSON text or the v1 binary protocol
    (8-byte count, 8-byte offsets; parts channel, header, parent, metadata, content, ...)."""
    try:
        if isinstance(payload, str):
            return dict(json.loads(payload).get("content") or {})
        n = int.from_bytes(payload[:8], "little")
        offsets = [int.from_bytes(payload[8 * (i + 1) : 8 * (i + 2)], "little") for i in range(n)]
        end = offsets[5] if n > 5 else len(payload)
        return dict(json.loads(payload[offsets[4] : end].decode()))
    except Exception:
        return None


#: The opening of plotly's minified widget bundle: a frame holding it carries the bundle.
with open(BUNDLE_DIR / BUNDLE, "rb") as _f:
    BUNDLE_HEAD = _f.read(100)


def _watch_widget_states(page: Any, into: dict[str, dict[str, Any]], largest: list[int],
                         bundles: list[int]) -> None:
    """Record the states of bounded controls as the page itself loads them from the kernel
    (asking the kernel again would re-send every FigureWidget's megabytes of JavaScript),
    the size of the largest frame the page received, and how many frames carried plotly's bundle."""

    def on_frame(payload: str | bytes) -> None:
        largest[0] = max(largest[0], len(payload))
        raw = payload.encode() if isinstance(payload, str) else payload
        bundles[0] += BUNDLE_HEAD in raw
        content = _frame_content(payload) or {}
        data = content.get("data") or {}
        # ipywidgets 8 sends every state in one "update_states" reply on its control comm:
        # {"states": {comm_id: {"model_name": ..., "state": {...}}}}.
        states = {k: v.get("state", {}) for k, v in dict(data.get("states") or {}).items()
                  if isinstance(v, dict) and v.get("model_name") in BOUNDED}
        if data.get("state") and "comm_id" in content:
            states[content["comm_id"]] = data["state"]
        for comm_id, state in states.items():
            if isinstance(state, dict) and state.get("_model_name") in BOUNDED:
                into.setdefault(comm_id, state)

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))


def _open(browser: Any, voila: VoilaServer, path: Path) -> App:
    rec = Recorder(browser)
    page = rec.new_page()
    bounded: dict[str, dict[str, Any]] = {}
    largest, bundles = [0], [0]
    _watch_widget_states(page, bounded, largest, bundles)
    # Voila streams the page while the kernel runs the notebook: wait for the end of it.
    response = page.goto(voila.render_url(path.name), timeout=60_000, wait_until="commit")
    assert response is not None and response.status == 200, f"{path.name}: HTTP {response and response.status}"
    page.wait_for_selector("#rendered_cells", state="visible", timeout=240_000)
    expected = response.text().count("application/vnd.jupyter.widget-view+json")
    page.wait_for_function(
        "n => document.querySelectorAll('.jp-OutputArea-output > .jupyter-widgets').length >= n",
        arg=expected,
        timeout=120_000,
    )
    page.wait_for_timeout(1000)  # late console messages (widget views render asynchronously)
    kernel_id = page.evaluate(
        "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
    )
    card = read_card(path)
    return App(path.name, page, rec, kernel_id, expected, {**DEFAULT_CHECK, **card.browser_check}, bounded,
               largest, bundles)


_FAILED_TO_OPEN: dict[str, str] = {}


@pytest.fixture(scope="module", params=APPS, ids=lambda p: p.stem)
def app(request: pytest.FixtureRequest, browser: Any, voila: VoilaServer) -> Iterator[App]:
    path: Path = request.param
    if path.name in _FAILED_TO_OPEN:  # pytest retries a failed module fixture per test: don't
        pytest.fail(_FAILED_TO_OPEN[path.name], pytrace=False)
    try:
        opened = _open(browser, voila, path)
    except Exception as err:
        _FAILED_TO_OPEN[path.name] = f"{path.name} did not render in Voila: {err}"[:2000]
        raise
    yield opened
    opened.page.close()
    opened.recorder.close()
    voila.shutdown_kernel(opened.kernel_id)  # Voila's own unload request is refused (no _xsrf)


def screenshot(page: Any, name: str) -> None:
    """The whole app: Voila scrolls inside ``#rendered_cells``, so grow the viewport to fit."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = page.evaluate("document.getElementById('rendered_cells').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(max(height + 40, size["height"]), 8000)})
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    page.set_viewport_size(size)


def test_renders_without_console_errors_or_missing_widgets(app: App) -> None:
    screenshot(app.page, Path(app.name).stem)
    errors = [
        (kind, text)
        for kind, text in app.recorder.console
        if kind in ("error", "pageerror") or any(f in text for f in WIDGET_FAILURES)
    ]
    assert errors == [], f"{app.name}: console errors {errors}"
    body = app.page.inner_text("#rendered_cells")
    assert not [f for f in WIDGET_FAILURES if f in body], f"{app.name}: a widget failed: {body[:500]}"
    rendered = app.page.locator(".jp-OutputArea-output > .jupyter-widgets").count()
    assert rendered >= app.expected_widgets
    assert "Traceback" not in body and "Error" not in app.page.title()


def _control(page: Any, spec: str) -> Any:
    if spec.startswith("label:"):
        return page.get_by_label(spec.removeprefix("label:")).first
    if spec.startswith("role:"):
        _, role, name = spec.split(":", 2)
        return page.get_by_role(role, name=name).first
    return page.locator(spec).first


def _act(control: Any, action: str) -> None:
    verb, _, arg = action.partition(":")
    if verb == "click":
        control.click()
    elif verb == "press":
        key, _, times = arg.partition("*")
        control.focus()
        for _ in range(int(times or 1)):
            control.press(key)
    elif verb == "fill":
        control.fill(arg)
        control.press("Enter")
    elif verb == "select":
        control.select_option(label=arg)
    else:
        raise ValueError(f"unknown browser_check action {action!r} (click, press:, fill:, select:)")


def _pixels(target: Any) -> bytes:
    return target.screenshot(animations="disabled", timeout=30_000) if target.is_visible() else b""


def _changed(target: Any, markup: str, pixels: bytes) -> bool:
    """Whether the markup (plotly's SVG) or, when the markup is the same, the pixels (canvases)
    differ from before. Pixels are only taken when the markup says nothing: a screenshot of a
    large figure every 250 ms is what slowed this loop down."""
    return target.inner_html() != markup or _pixels(target) != pixels


#: Known failures, reported in the tracker, still run as non-strict xfail: an XPASS shows the
#: fix. (03_classical_ml was here until plotly's bundle was served once per page.)
KNOWN_CONTROL_FAILURES: dict[str, str] = {}


def test_main_control_changes_the_drawing(app: App) -> None:
    check, page = app.check, app.page
    control = _control(page, check["control"])
    assert control.count() == 1, (
        f"{app.name}: no control matches {check['control']!r}; declare "
        '"playground": {"browser_check": {...}} in its metadata (docs/testing.md)'
    )
    target = page.locator(check["expect_change"]).first
    assert target.count() == 1, f"{app.name}: nothing matches {check['expect_change']!r}"
    target.scroll_into_view_if_needed()
    markup, pixels = target.inner_html(), _pixels(target)
    _act(control, check["action"])
    deadline = time.monotonic() + float(check.get("timeout_s", 30))
    changed = False
    while not changed and time.monotonic() < deadline:
        page.wait_for_timeout(250)
        changed = _changed(target, markup, pixels)
    screenshot(page, f"{Path(app.name).stem}-after")
    problems = [(kind, text) for kind, text in app.recorder.console if kind in ("error", "pageerror")]
    assert changed, (
        f"{app.name}: {check['action']} on {check['control']} changed nothing in "
        f"{check['expect_change']} (console errors since load: {problems})"
    )


def test_plotly_bundle_is_fetched_once_not_sent_per_figure(app: App) -> None:
    """Every figure imports plotly's bundle from one URL (fetched once per page), so no
    websocket frame carries it: 5 MB per figure, which is what overran anywidget's 2 s start."""
    figures = app.page.locator(".js-plotly-plot").count()
    fetched = [u for u in app.recorder.requests if u.endswith("/playground/static/widgetbundle.js")]
    assert len(fetched) == (1 if figures else 0), f"{app.name}: {figures} figures, bundle fetched {fetched}"
    assert app.bundle_frames[0] == 0, f"{app.name}: {app.bundle_frames[0]} websocket frames carried the bundle"


#: The most one websocket message may carry. Every widget state arrives in one message when a
#: page opens; 08_gates' heatmaps (6 x 384 units x 160 characters) were 8.4 MB of it as
#: full-precision JSON and are about 3 MB rounded to the places they show (``_common.compact``).
MAX_FRAME_BYTES = 4_000_000


def test_no_websocket_message_is_too_big_for_a_slow_link(app: App) -> None:
    assert app.largest_frame[0] <= MAX_FRAME_BYTES, (
        f"{app.name}: one websocket message of {app.largest_frame[0]:,} bytes (limit {MAX_FRAME_BYTES:,})")


def test_no_request_leaves_localhost(app: App) -> None:
    assert app.recorder.outside == [], f"{app.name} asked the Internet for {app.recorder.outside}"


#: Controls a visitor can move whose range the kernel enforces (Play is a timer, not forged).
BOUNDED = ("IntSliderModel", "FloatSliderModel", "FloatLogSliderModel", "BoundedIntTextModel",
           "BoundedFloatTextModel")
#: Forging every cell of a 5x5 kernel grid proves nothing more than forging a few.
MAX_FORGED = 4


def _value_range(state: dict[str, Any]) -> tuple[float, float]:
    """The values a control may hold: a log slider's min and max are exponents of its base."""
    lo, hi = state["min"], state["max"]
    if state["_model_name"] == "FloatLogSliderModel":
        return state["base"] ** lo, state["base"] ** hi
    return lo, hi


def test_forged_out_of_range_values_are_clamped(app: App, voila: VoilaServer) -> None:
    """A raw kernel websocket, beside the page, sets up to four bounded controls far out of
    range; the kernel clamps them and the server keeps answering. Their ids and ranges come
    from the page's own load: asking the kernel for every state would send each FigureWidget's
    5 MB bundle again, to this socket and to the page."""
    bounded = dict(list(app.bounded.items())[:MAX_FORGED])
    if not bounded:
        pytest.skip(f"{app.name} has no bounded numeric control to forge")
    with KernelChannel(voila.ws_url(app.kernel_id), timeout=60) as ch:
        for comm_id, s in bounded.items():
            lo, hi = _value_range(s)
            name = f"{s['_model_name']} {s.get('description')!r}"
            ch.update(comm_id, {"value": hi + abs(hi) + 1000})  # the kernel clamps to max ...
            state = ch.widget_states([comm_id])[comm_id]
            lo, hi = _value_range(state)  # a range can grow meanwhile (a timeline's slider)
            high = state["value"]
            assert lo <= high <= hi * (1 + 1e-9), f"{name} took {high}, outside [{lo}, {hi}]"
            ch.update(comm_id, {"value": lo - abs(lo) - 1000})  # ... and to min
            state = ch.widget_states([comm_id])[comm_id]
            lo, hi = _value_range(state)
            low = state["value"]
            assert lo * (1 - 1e-9) <= low <= hi, f"{name} took {low}, outside [{lo}, {hi}]"
    assert requests.get(f"{voila.url}/voila/static/", timeout=30).status_code in (200, 404)
