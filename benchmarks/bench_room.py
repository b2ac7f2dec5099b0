"""A room on one machine: N browser sessions at once, each moving a slider in its own app.

Every session opens the same app (by default the sampling playground, the stage demo) in its
own browser context, so each gets its own kernel, as each visitor in a room would. Then:

1. **alone**: the first session moves its slider ``--moves`` times while the others wait;
2. **together**: all N sessions move their sliders at once, ``--moves`` times each.

Reported: the slider -> redrawn figure round trip (median, p95) together against alone (the
ratio is the slowdown a crowd causes), how many sessions got every redraw ("keeps working"),
and the server's memory per kernel (RSS, and PSS, which splits shared pages fairly), read
from ``/proc`` for every process under the server.

    python benchmarks/bench_room.py                    # 20 sessions of 07_sampling
    python benchmarks/bench_room.py --sessions 3 --moves 5
    python benchmarks/bench_room.py --app hello.ipynb  # the one-slider fixture

Needs /usr/bin/chromium (``.ci/install-system.sh``). With 20 sessions on 2 cores the pages are
opened one after another (each kernel runs the notebook first), which takes minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.bench_delivery import READY_JS, p95  # noqa: E402
from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, OFFLINE_ARGS, VoilaServer, build_root  # noqa: E402

#: app -> (slider handle to press, element whose markup must change)
CONTROLS = {
    "07_sampling.ipynb": (".np-sampler .widget-slider:has(.widget-label:text-is('Temperature')) .noUi-handle",
                          ".np-sampler .js-plotly-plot"),
    "hello.ipynb": (".widget-slider:has(.widget-label:text-is('Bars')) .noUi-handle", ".js-plotly-plot"),
}
CHANGED_JS = "([sel, html]) => document.querySelector(sel).innerHTML !== html"


def _kb(pid: int, field: str, name: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _parent(pid: int) -> int:
    try:  # /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so cut at ")"
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def kernel_memory(server_pid: int) -> list[dict[str, float]]:
    """RSS and PSS (MB) of every ipykernel process descended from the server.

    Kernels run in sessions of their own, so the tree is walked by parent pid.
    """
    pids = [int(e.name) for e in Path("/proc").iterdir() if e.name.isdigit()]
    parent = {pid: _parent(pid) for pid in pids}

    def under_server(pid: int) -> bool:
        while pid > 1:
            pid = parent.get(pid, 0)
            if pid == server_pid:
                return True
        return False

    out = []
    for pid in pids:
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "ipykernel" in cmd and under_server(pid):
            out.append({"pid": pid, "rss_mb": _kb(pid, "VmRSS", "status") / 1024,
                        "pss_mb": _kb(pid, "Pss", "smaps_rollup") / 1024})
    return out


async def open_session(browser: Any, server: VoilaServer, app: str) -> Any:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    response = await page.goto(server.render_url(app), timeout=600_000, wait_until="commit")
    await page.wait_for_selector("#rendered_cells", state="visible", timeout=600_000)
    expected = (await response.text()).count("application/vnd.jupyter.widget-view+json")
    await page.wait_for_function(READY_JS, arg=expected, timeout=300_000)
    await page.wait_for_selector(CONTROLS[app][1] + " .main-svg", timeout=300_000)
    return page


async def move(page: Any, app: str, moves: int, timeout_s: float) -> tuple[list[float], int]:
    """Round trips of ``moves`` key presses on the slider; also how many never redrew."""
    handle, target = CONTROLS[app]
    control = page.locator(handle).first
    await control.focus()
    times, lost = [], 0
    for i in range(moves):
        before = await page.locator(target).first.inner_html()
        t0 = time.perf_counter()
        await control.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        try:
            await page.wait_for_function(CHANGED_JS, arg=[target, before], timeout=timeout_s * 1000,
                                         polling="raf")
            times.append(time.perf_counter() - t0)
        except Exception:  # a redraw that never came: the session stopped working
            lost += 1
    return times, lost


async def room(args: argparse.Namespace) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    with tempfile.TemporaryDirectory() as tmp:
        root = build_root(Path(tmp) / "root")
        server = VoilaServer(root, "--no-preheat", "--max-kernels", str(args.sessions + 2),
                             log=Path(tmp) / "room.log", ready_s=180)
        with server:
            assert server.proc is not None
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + OFFLINE_ARGS)
                t0 = time.perf_counter()
                pages = []
                for i in range(args.sessions):  # one after another: each kernel runs the notebook
                    pages.append(await open_session(browser, server, args.app))
                    print(f"  session {i + 1}/{args.sessions} open after {time.perf_counter() - t0:.0f} s",
                          flush=True)
                opened_s = time.perf_counter() - t0
                memory = kernel_memory(server.proc.pid)
                alone, alone_lost = await move(pages[0], args.app, args.moves, args.timeout)
                together = await asyncio.gather(*(move(p, args.app, args.moves, args.timeout) for p in pages))
                after = kernel_memory(server.proc.pid)
                await browser.close()
    flat = [t for times, _ in together for t in times]
    return {
        "app": args.app, "sessions": args.sessions, "moves": args.moves, "open_seconds": opened_s,
        "alone": {"median": statistics.median(alone), "p95": p95(alone), "lost": alone_lost},
        "together": {"median": statistics.median(flat) if flat else float("nan"), "p95": p95(flat) if flat else float("nan"),
                     "lost": sum(lost for _, lost in together),
                     "working": sum(lost == 0 for _, lost in together)},
        "kernels": len(memory),
        "rss_mb": statistics.mean(m["rss_mb"] for m in memory) if memory else float("nan"),
        "pss_mb": statistics.mean(m["pss_mb"] for m in memory) if memory else float("nan"),
        "pss_mb_after": statistics.mean(m["pss_mb"] for m in after) if after else float("nan"),
    }


def run(quick: bool) -> list[dict[str, Any]]:
    """Rows for ``benchmarks/run.py``: 3 sessions x 5 moves quick, 20 x 20 in full."""
    from benchmarks.run import row

    sessions, moves = (3, 5) if quick else (20, 20)
    r = main(["--sessions", str(sessions), "--moves", str(moves)])
    a, t = r["alone"], r["together"]
    return [
        row(f"slider round trip, {sessions} sessions at once (median)", t["median"] * 1e3, "ms",
            "one session alone", a["median"] * 1e3, notes=f"{t['working']}/{sessions} sessions got every redraw"),
        row(f"slider round trip, {sessions} sessions at once (p95)", t["p95"] * 1e3, "ms",
            "one session alone", a["p95"] * 1e3),
        row("memory per kernel (PSS)", r["pss_mb"], "MB", "RSS", r["rss_mb"]),
    ]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--app", default="07_sampling.ipynb", choices=sorted(CONTROLS))
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--moves", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds a redraw may take before it counts as lost")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    print(f"hardware: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"{platform.platform()}, browser {CHROMIUM}; {args.sessions} sessions of {args.app}")
    r = asyncio.run(room(args))
    a, t = r["alone"], r["together"]
    print(f"\nopened {r['sessions']} sessions in {r['open_seconds']:.0f} s; {r['kernels']} kernels")
    print(f"{'round trip (ms)':28} {'median':>8} {'p95':>8}")
    print(f"{'one session alone':28} {a['median'] * 1e3:8.0f} {a['p95'] * 1e3:8.0f}")
    crowd = f"{r['sessions']} sessions at once"
    print(f"{crowd:28} {t['median'] * 1e3:8.0f} {t['p95'] * 1e3:8.0f}")
    print(f"{'together / alone':28} {t['median'] / a['median']:8.2f} {t['p95'] / a['p95']:8.2f}")
    print(f"sessions that got every redraw: {t['working']}/{r['sessions']} ({t['lost']} redraws lost)")
    print(f"memory per kernel: RSS {r['rss_mb']:.0f} MB, PSS {r['pss_mb']:.0f} MB "
          f"(PSS {r['pss_mb_after']:.0f} MB after the moves)")
    if args.json:
        args.json.write_text(json.dumps(r, indent=2))
    return r


if __name__ == "__main__":
    main()
