"""Delivery speed in a real browser, as ratios against baselines measured in the same run.

* Time to first interactive (page requested -> every widget view on screen) for each app,
  cold (kernel started on demand) and preheated (a pooled kernel that already ran the
  notebook), against the minimal one-slider fixture served the same way.
* Slider -> redrawn figure round trip (median, p95) against a no-op echo widget's round trip
  (slider -> kernel -> label), the floor any kernel-side widget pays.

    python benchmarks/bench_delivery.py --quick            # fixture + one app, ~30 s
    python benchmarks/bench_delivery.py --json out.json    # every notebook

Needs /usr/bin/chromium (``.ci/install-system.sh``).
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.browser.harness import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    NOTEBOOKS,
    OFFLINE_ARGS,
    VoilaServer,
    build_root,
)
from widgets.gallery import read_cards  # noqa: E402

BASELINE = "hello.ipynb"
READY_JS = "n => document.querySelectorAll('.jp-OutputArea-output > .jupyter-widgets').length >= n"


def time_to_interactive(browser: Any, server: VoilaServer, name: str) -> float:
    page = browser.new_page()
    try:
        t0 = time.perf_counter()
        response = page.goto(server.render_url(name), timeout=300_000, wait_until="commit")
        page.wait_for_selector("#rendered_cells", state="visible", timeout=300_000)
        expected = response.text().count("application/vnd.jupyter.widget-view+json")
        page.wait_for_function(READY_JS, arg=expected, timeout=120_000, polling="raf")
        return time.perf_counter() - t0
    finally:
        page.close(run_before_unload=True)


def wait_pool_filled(server: VoilaServer, names: list[str], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = server.log()
        if all(re.search(rf"Kernel pool of {re.escape(n)} is filled", log) for n in names):
            return
        time.sleep(0.5)
    raise TimeoutError(f"pools for {names} never filled")


def round_trips(page: Any, handle: str, target: str, n: int) -> list[float]:
    """Press ArrowRight/ArrowLeft on a slider handle; time until ``target``'s markup changes."""
    control = page.locator(handle).first
    control.focus()
    times = []
    for i in range(n):
        before = page.locator(target).first.inner_html()
        t0 = time.perf_counter()
        control.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        page.wait_for_function(
            "([sel, html]) => document.querySelector(sel).innerHTML !== html",
            arg=[target, before],
            timeout=60_000,
            polling="raf",
        )
        times.append(time.perf_counter() - t0)
    return times


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(int(round(0.95 * len(xs))) - 1, 0)]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="the fixture and one app, few trips")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--trips", type=int, default=None)
    args = ap.parse_args(argv)

    from playwright.sync_api import sync_playwright

    cards = read_cards(NOTEBOOKS)
    apps = [c.name for c in cards][: 1 if args.quick else None]
    trips = args.trips or (10 if args.quick else 40)
    names = [BASELINE, *apps]

    import torch

    print(f"hardware: {platform.processor() or platform.machine()}, {platform.platform()}, "
          f"torch threads {torch.get_num_threads()}, device cpu, browser {CHROMIUM}")
    results: dict[str, Any] = {"tti": {}, "round_trip": {}}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        root = build_root(Path(tmp) / "root")
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + OFFLINE_ARGS)
        with VoilaServer(root, "--no-preheat", log=Path(tmp) / "cold.log") as cold:
            time_to_interactive(browser, cold, BASELINE)  # warm the OS file cache once
            for name in names:
                results["tti"].setdefault(name, {})["cold"] = time_to_interactive(browser, cold, name)
        pools = [a for n in names for a in ("--pool", f"{n}=1")]
        with VoilaServer(root, "--pool-size", "0", *pools, log=Path(tmp) / "hot.log") as hot:
            wait_pool_filled(hot, names)
            for name in names:
                results["tti"][name]["preheated"] = time_to_interactive(browser, hot, name)
            page = browser.new_page()
            page.goto(hot.render_url(BASELINE), timeout=300_000)
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)
            echo = round_trips(page, ".widget-slider:has(.widget-label:text-is('Echo')) .noUi-handle",
                               ".np-echo", trips)
            fig = round_trips(page, ".widget-slider:has(.widget-label:text-is('Bars')) .noUi-handle",
                              ".js-plotly-plot", trips)
            page.close()
            results["round_trip"] = {
                "echo": {"median": statistics.median(echo), "p95": p95(echo)},
                "figure": {"median": statistics.median(fig), "p95": p95(fig)},
            }
        browser.close()

    base = results["tti"][BASELINE]
    print(f"\n{'app':28} {'cold s':>8} {'x base':>7} {'preheat s':>10} {'x base':>7} {'cold/pre':>9}")
    for name, t in results["tti"].items():
        print(f"{name:28} {t['cold']:8.2f} {t['cold'] / base['cold']:7.2f} {t['preheated']:10.2f} "
              f"{t['preheated'] / base['preheated']:7.2f} {t['cold'] / t['preheated']:9.2f}")
    rt = results["round_trip"]
    print(f"\nround trip over {trips} moves   median ms    p95 ms")
    for kind in ("echo", "figure"):
        print(f"  {kind:26} {rt[kind]['median'] * 1e3:9.1f} {rt[kind]['p95'] * 1e3:9.1f}")
    print(f"  figure / echo              {rt['figure']['median'] / rt['echo']['median']:9.2f} "
          f"{rt['figure']['p95'] / rt['echo']['p95']:9.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
