"""The serving configuration for a room: gallery at /, presenter mode, preheated kernels, what is
never served, no tracebacks, refused execute requests, size limits, the kernel cap and culling."""

from __future__ import annotations

import importlib.util
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
import websocket

from tests.browser.conftest import Recorder
from tests.browser.harness import (
    BAIT_FILES,
    SERVE,
    KernelChannel,
    VoilaServer,
    build_root,
    kernel_id_in,
)
from tests.browser.test_apps import screenshot
from widgets.gallery import notebook_paths, read_cards

pytestmark = pytest.mark.browser

_spec = importlib.util.spec_from_file_location("serve", SERVE)
serve = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(serve)  # type: ignore[union-attr]


def _shutdown(voila: VoilaServer, kernel_id: str) -> None:
    voila.shutdown_kernel(kernel_id)


def test_root_opens_the_gallery_and_a_card_opens_its_app(
    voila: VoilaServer, served_root: Path, recorder: Recorder
) -> None:
    page = recorder.new_page()
    page.goto(voila.url + "/", timeout=120_000)
    assert page.url.endswith("/voila/render/index.ipynb")
    page.wait_for_selector(".np-card", timeout=120_000)
    shown = page.eval_on_selector_all(".np-card", "cards => cards.map(c => c.dataset.notebook)")
    assert shown == [c.name for c in read_cards(served_root)]
    assert set(shown) == {p.name for p in notebook_paths(served_root)}
    screenshot(page, "gallery")
    card = page.locator('.np-card[data-notebook="hello.ipynb"]')
    card.focus()
    page.keyboard.press("Enter")  # keyboard, not mouse
    page.wait_for_url("**/voila/render/hello.ipynb", timeout=60_000)
    page.wait_for_selector(".js-plotly-plot", timeout=120_000)
    assert recorder.outside == []


def _background(page: Any, selector: str) -> str:
    return page.eval_on_selector(selector, "e => getComputedStyle(e).backgroundColor")


def test_presenter_mode_restyles_page_and_figures_from_the_keyboard(
    voila: VoilaServer, recorder: Recorder
) -> None:
    page = recorder.new_page()
    page.goto(voila.render_url("hello.ipynb"), timeout=120_000)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)
    font_before = page.eval_on_selector(".jp-RenderedHTMLCommon p", "e => parseFloat(getComputedStyle(e).fontSize)")

    # Tab reaches the theme buttons and the sliders' handles.
    page.locator("body").focus()
    reached = []
    for _ in range(12):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.className + ' ' + document.activeElement.textContent"))
    assert any("Presenter dark" in r for r in reached), reached
    assert any("noUi-handle" in r for r in reached), reached

    page.get_by_role("button", name="Presenter dark").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("getComputedStyle(document.body).backgroundColor === 'rgb(0, 0, 0)'", timeout=30_000)
    page.wait_for_function(
        "getComputedStyle(document.querySelector('.js-plotly-plot .main-svg')).backgroundColor === 'rgb(0, 0, 0)'",
        timeout=30_000,
    )
    font_dark = page.eval_on_selector(".jp-RenderedHTMLCommon p", "e => parseFloat(getComputedStyle(e).fontSize)")
    assert font_dark >= 1.4 * font_before
    screenshot(page, "presenter-dark")

    page.get_by_role("button", name="Presenter light").click()
    page.wait_for_function("getComputedStyle(document.body).backgroundColor === 'rgb(255, 255, 255)'", timeout=30_000)
    page.wait_for_function(
        "document.querySelector('#np-presenter-style')?.dataset.mode === 'light'", timeout=30_000
    )
    page.get_by_role("button", name="Normal").click()
    page.wait_for_function("document.querySelector('#np-presenter-style') === null", timeout=30_000)
    font_normal = page.eval_on_selector(".jp-RenderedHTMLCommon p", "e => parseFloat(getComputedStyle(e).fontSize)")
    assert font_normal == font_before
    assert [e for e in recorder.console if e[0] in ("error", "pageerror")] == []


def test_sources_weights_and_code_are_not_served(voila: VoilaServer) -> None:
    names = [*BAIT_FILES, "hello.ipynb", "index.ipynb", "_raises.ipynb"]
    for name in names:
        r = requests.get(f"{voila.url}/voila/files/{name}", timeout=30)
        assert r.status_code in (403, 404), f"/voila/files/{name} -> {r.status_code}"
    for tricky in ("voila/files/..%2Fsecret.py", "voila/files/%2e%2e/%2e%2e/scripts/serve.py",
                   "voila/render/secret.py", "voila/static/../../secret.py", "voila/files/.hidden.png"):
        r = requests.get(f"{voila.url}/{tricky}", timeout=30)
        assert r.status_code in (400, 403, 404), f"/{tricky} -> {r.status_code}"
        assert "print('source')" not in r.text
    meta = requests.get(f"{voila.url}/voila/api/contents/hello.ipynb?content=1", timeout=30)
    assert meta.status_code in (200, 403, 404)
    assert "bars.observe" not in meta.text


def test_sources_stripped_and_no_traceback_reaches_the_visitor(voila: VoilaServer) -> None:
    html = requests.get(voila.render_url("_raises.ipynb"), timeout=120).text
    _shutdown(voila, kernel_id_in(html))
    assert "SECRET_SOURCE_LINE" not in html
    assert "/srv/secret/path" not in html and "Traceback" not in html
    assert "There was an error when executing cell" in html
    page = requests.get(voila.render_url("hello.ipynb"), timeout=120).text
    _shutdown(voila, kernel_id_in(page))
    assert "bars.observe" not in page and "from widgets" not in page


def test_preheated_kernel_is_used(voila: VoilaServer) -> None:
    for _ in range(40):  # the pool refills a second after each use
        html = requests.get(voila.render_url("hello.ipynb"), timeout=120).text
        kid = kernel_id_in(html)
        _shutdown(voila, kid)
        if f"Using pre-heated kernel: {kid} for hello.ipynb" in voila.log():
            return
        time.sleep(1.5)
    pytest.fail("hello.ipynb never got a pre-heated kernel:\n" + voila.log()[-3000:])


def _slide_count(path: Path) -> int:
    """Slides as the notebook's metadata cuts them: a new one at each slide or subslide."""
    import json

    kinds = [(c["metadata"].get("slideshow") or {}).get("slide_type", "-")
             for c in json.loads(path.read_text())["cells"]]
    kinds = [k for k in kinds if k not in ("skip", "notes")]
    return sum(1 for i, k in enumerate(kinds) if i == 0 or k in ("slide", "subslide"))


def test_live_slides_follow_the_slide_metadata_with_widgets_live(voila: VoilaServer, recorder: Recorder) -> None:
    """?slides shows one slide at a time, cut by the notebook's metadata; PageDown (a clicker)
    moves on; the widgets on a slide are live; Escape and the button give the page back."""
    name = "01_neuron.ipynb"
    page: Any = recorder.new_page()
    page.goto(voila.render_url(name) + "?slides", timeout=120_000)
    page.wait_for_selector(".jupyter-widgets", state="attached", timeout=120_000)
    page.wait_for_selector(".js-plotly-plot", state="attached", timeout=120_000)  # on a busy machine: late
    cells = page.locator("#rendered_cells [cell-index]")
    want = _slide_count(voila.root / name)
    assert page.evaluate("np_slides.count()") == want and page.inner_text("#np-slide-count") == f"1 / {want}"
    visible = [cells.nth(i).is_visible() for i in range(cells.count())]
    assert visible[0] and not all(visible), visible  # the title slide only
    for _ in range(want):  # to the first slide with a figure
        if page.locator(".js-plotly-plot:visible").count():
            break
        page.keyboard.press("PageDown")
    plot = page.locator(".js-plotly-plot:visible").first
    assert plot.count() == 1 and plot.bounding_box()["width"] > 300  # sized although it was hidden
    before, at = plot.inner_html(), page.evaluate("np_slides.current()")
    handle = page.locator(".np-neuron-x1 .noUi-handle").first
    handle.focus()
    handle.press("ArrowRight")  # the arrow keys stay with the slider, not the slides
    page.wait_for_function("([el, html]) => el.innerHTML !== html", arg=[plot.element_handle(), before],
                           timeout=30_000)
    assert page.evaluate("np_slides.current()") == at > 0
    page.keyboard.press("Escape")
    assert all(cells.nth(i).is_visible() for i in range(cells.count()))
    top = "document.getElementById('rendered_cells').scrollTop"  # the page's scroller
    page.evaluate(f"{top} = 1e6")  # far down the whole page
    assert page.evaluate(top) > 0
    page.get_by_role("button", name="Slides").click()
    assert page.inner_text("#np-slide-count").endswith(f"/ {want}")
    assert page.evaluate(top) == 0  # the slide is shown from its top
    errors = [(k, t) for k, t in recorder.console if k in ("error", "pageerror")]
    assert errors == [], errors
    voila.shutdown_kernel(page.evaluate(
        "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"))


def test_slide_fragments_appear_one_press_at_a_time(voila: VoilaServer, recorder: Recorder) -> None:
    """A "fragment" cell (and the "-" cells after it) shows at the next PageDown within its
    slide; PageUp hides it again, and going back to a slide shows it whole, as in RISE."""
    import nbformat

    kinds = [("slide", "One-title"), ("fragment", "A-point"), ("fragment", "B-point"), ("-", "B-detail"),
             ("slide", "Two-title"), ("fragment", "C-point")]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(text, metadata={"slideshow": {"slide_type": kind}})
                for kind, text in kinds]
    nbformat.write(nb, voila.root / "_fragments.ipynb")  # "_": out of the gallery
    page: Any = recorder.new_page()
    page.goto(voila.render_url("_fragments.ipynb") + "?slides", timeout=120_000)
    page.wait_for_selector("#rendered_cells", state="visible", timeout=120_000)
    assert page.evaluate("np_slides.count()") == 2

    def seen() -> list[str]:
        return [text for _, text in kinds if page.get_by_text(text, exact=True).is_visible()]

    assert seen() == ["One-title"] and page.inner_text("#np-slide-count") == "1 / 2"
    page.keyboard.press("PageDown")
    assert seen() == ["One-title", "A-point"]
    page.keyboard.press("PageDown")
    assert seen() == ["One-title", "A-point", "B-point", "B-detail"]
    page.keyboard.press("PageDown")
    assert seen() == ["Two-title"] and page.inner_text("#np-slide-count") == "2 / 2"
    page.locator("#np-next").click()
    page.keyboard.press("PageDown")  # past the last step: stays
    assert seen() == ["Two-title", "C-point"]
    page.keyboard.press("PageUp")
    page.keyboard.press("PageUp")  # back to slide one, whole
    assert seen() == ["One-title", "A-point", "B-point", "B-detail"]
    page.locator("#np-prev").click()
    assert seen() == ["One-title", "A-point"]
    page.keyboard.press("Escape")
    assert seen() == [text for _, text in kinds]
    errors = [(k, t) for k, t in recorder.console if k in ("error", "pageerror")]
    assert errors == [], errors
    voila.shutdown_kernel(page.evaluate(
        "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"))


def test_closing_the_tab_shuts_its_kernel_down(voila: VoilaServer, recorder: Recorder) -> None:
    """The page's unload beacon carries the ``_xsrf`` cookie serve.py sets, so the server takes
    it: a visitor who leaves frees their seat at once, not at the idle cull 20 minutes later."""
    page: Any = recorder.new_page()
    page.goto(voila.render_url("hello.ipynb"), timeout=120_000)
    page.wait_for_selector(".jupyter-widgets", timeout=120_000)
    kid = page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
    assert any(c["name"] == "_xsrf" and c["value"] for c in recorder.context.cookies())

    def alive() -> bool:  # Voila serves no kernel listing; its log names each shutdown
        return f"Kernel shutdown: {kid}" not in voila.log()

    assert alive()
    page.close(run_before_unload=True)
    deadline = time.monotonic() + 30
    while alive() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not alive(), f"kernel {kid} outlived its closed tab:\n" + voila.log()[-2000:]


def test_execute_request_on_the_kernel_websocket_is_refused(voila: VoilaServer, tmp_path: Path) -> None:
    html = requests.get(voila.render_url("hello.ipynb"), timeout=120).text
    kid = kernel_id_in(html)
    marker = tmp_path / f"pwned-{uuid.uuid4().hex}"
    try:
        with KernelChannel(voila.ws_url(kid), timeout=30) as ch:
            ex = ch.send(
                "execute_request",
                {"code": f"open({str(marker)!r}, 'w').write('x')", "silent": False,
                 "store_history": False, "user_expressions": {}, "allow_stdin": False,
                 "stop_on_error": True},
            )
            info = ch.send("kernel_info_request", {})
            seen = []
            for msg in ch.messages():  # the kernel handles shell messages in order
                seen.append(msg)
                if msg["parent_header"].get("msg_id") == info and msg["header"]["msg_type"] == "kernel_info_reply":
                    break
            else:
                pytest.fail("the kernel websocket stopped answering")
    finally:
        _shutdown(voila, kid)
    assert not marker.exists(), "execute_request ran code in the kernel"
    assert [m for m in seen if m["parent_header"].get("msg_id") == ex] == []
    assert 'type "execute_request", which is not allowed' in voila.log()


def test_websocket_messages_over_the_upload_limit_are_cut(voila: VoilaServer) -> None:
    assert serve.MAX_UPLOAD_BYTES == 5 * 1024 * 1024
    html = requests.get(voila.render_url("hello.ipynb"), timeout=120).text
    kid = kernel_id_in(html)
    try:
        with KernelChannel(voila.ws_url(kid), timeout=60) as ch:
            # A file the engine may accept (exactly its limit) reaches the kernel ...
            ch.send("comm_msg", {"comm_id": "no-such-comm", "data": {"blob": "x" * serve.MAX_UPLOAD_BYTES}})
            info = ch.send("kernel_info_request", {})
            assert ch.replies_to(info, "kernel_info_reply")
            # ... a message past the limit plus envelope closes the socket.
            with pytest.raises((websocket.WebSocketException, OSError, TimeoutError)):
                ch.send("comm_msg", {"comm_id": "no-such-comm", "data": {"blob": "x" * serve.MAX_MESSAGE_BYTES}})
                ch.replies_to(ch.send("kernel_info_request", {}), "kernel_info_reply")
    finally:
        _shutdown(voila, kid)


@pytest.fixture
def small_room(tmp_path: Path) -> Any:
    root = build_root(tmp_path / "room", real=False)
    with VoilaServer(
        root, "--no-preheat", "--max-kernels", "1", "--cull-idle", "3", "--cull-interval", "1",
        "--token", "s3cret", log=tmp_path / "room.log",
    ) as server:
        yield server


def test_token_cap_polite_page_and_idle_culling(small_room: VoilaServer) -> None:
    url = small_room.render_url("hello.ipynb")
    assert requests.get(url, timeout=60, allow_redirects=False).status_code in (302, 403)
    first = requests.get(url + "?token=s3cret", timeout=120)
    assert first.status_code == 200
    kid = kernel_id_in(first.text)

    full = requests.get(url + "?token=s3cret", timeout=60)
    assert full.status_code == 503
    assert "The room is full" in full.text and int(full.headers["Retry-After"]) > 0
    assert "jupyter-config-data" not in full.text  # no kernel was started for it

    kernel = f"{small_room.url}/api/kernels/{kid}?token=s3cret"
    for _ in range(60):
        if requests.get(kernel, timeout=10).status_code == 404:
            break
        time.sleep(0.5)
    else:
        pytest.fail("the idle kernel was never culled:\n" + small_room.log()[-2000:])
    assert re.search(r"[Cc]ulling", small_room.log())
    again = requests.get(url + "?token=s3cret", timeout=120)
    assert again.status_code == 200


def test_binder_path_serves_plotly_bundle_once(tmp_path: Path, recorder: Recorder) -> None:
    """Binder and JupyterLab run Voila as a Jupyter Server extension, not scripts/serve.py:
    there the ``widgets.server_extension`` extension (enabled by binder/postBuild) serves plotly's
    bundle once, and the kernels' figures import it instead of carrying it in every frame."""
    import json
    import os
    import subprocess
    import sys

    from tests.browser.harness import REPO, build_root, free_port
    from tests.browser.test_apps import BUNDLE_HEAD

    root = build_root(tmp_path / "root", real=False)
    config = tmp_path / "config"
    config.mkdir()
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"widgets.server_extension": True}}}))
    (config / "voila.json").write_text(json.dumps({"VoilaConfiguration": {"template": "playground"}}))  # as postBuild
    port = free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), JUPYTER_PATH=str(REPO), PYTHONPATH=str(REPO),
               PLAYGROUND_DEVICE="cpu")
    env.pop("PLAYGROUND_PLOTLY_ESM", None)
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", f"--port={port}", "--ServerApp.token=", "--no-browser",
         f"--ServerApp.root_dir={root}", "--ServerApp.allow_root=True"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        url = f"http://localhost:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                requests.get(url + "/api/status", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.3)
        assert requests.get(url + "/playground/static/widgetbundle.js", timeout=30).status_code == 200
        frames: list[bool] = []
        page: Any = recorder.new_page()
        page.on("websocket", lambda ws: ws.on(
            "framereceived", lambda p: frames.append(BUNDLE_HEAD in (p.encode() if isinstance(p, str) else p))))
        page.goto(url + "/voila/render/hello.ipynb", timeout=120_000)
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)
        fetched = [u for u in recorder.requests if u.endswith("/playground/static/widgetbundle.js")]
        assert len(fetched) == 1 and frames and not any(frames)
        errors = [(k, t) for k, t in recorder.console if k in ("error", "pageerror")]
        # Voila's server extension points MathJax 2 at cdnjs (offline here: "not resolved");
        # widgets/server_extension.py says so. Anything else is a failure.
        errors = [(k, t) for k, t in errors if "ERR_NAME_NOT_RESOLVED" not in t]
        assert errors == [], errors
        assert all("mathjax" in u for u in recorder.outside), recorder.outside
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
        log.close()
