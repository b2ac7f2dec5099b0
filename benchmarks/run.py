"""Run every ``benchmarks/bench_*.py`` and print ONE table: each figure, its baseline, the ratio.

    python -m benchmarks.run [--quick] [--json PATH] [--only engine,vision]
    python benchmarks/run.py [--quick] [--json PATH]

Each module exposes ``run(quick: bool) -> list[dict]``; each dict is one row (see
benchmarks/README.md and :func:`row`). A module that raises is reported as failed in the
table; the others still run. Every baseline is measured in the same process, minutes apart at
most, so a ratio holds even on a busy machine where the absolute numbers do not.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import inspect
import io
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # `python benchmarks/run.py` from anywhere
    sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

FIELDS = ("name", "value", "unit", "baseline", "baseline_value", "ratio", "notes")


def row(
    name: str, value: float, unit: str, baseline: str | None = None, baseline_value: float | None = None,
    ratio: float | None = None, notes: str = "",
) -> dict[str, Any]:
    """One figure. ``ratio`` defaults to ``value / baseline_value`` (say in ``notes`` which way is better)."""
    if ratio is None and baseline_value:
        ratio = value / baseline_value
    return dict(name=name, value=value, unit=unit, baseline=baseline, baseline_value=baseline_value,
                ratio=ratio, notes=notes)


def timed(fn: Callable[[], object], reps: int, warmup: int = 1) -> float:
    """Median seconds per call of ``fn`` over ``reps`` calls, after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def interleaved(cases: dict[str, tuple[Callable[[], object], float]], rounds: int) -> dict[str, float]:
    """Median rate (``work / seconds``) of each ``name: (fn, work)``, taking turns round by round.

    Taking turns spreads a busy machine's slow spells over every case alike, so the ratios of
    these rates hold better than those of figures measured one after another.
    """
    for fn, _ in cases.values():
        fn()
    rates: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, (fn, work) in cases.items():
            rates[name].append(work / _once(fn))
    return {name: statistics.median(r) for name, r in rates.items()}


# --------------------------------------------------------------------------- hardware


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_bandwidth(megabytes: int = 256, reps: int = 3) -> dict[str, float]:
    """Measured now: GB/s of a big NumPy copy (bytes read + written) and of a big read (a sum)."""
    n = megabytes * 2**20 // 4
    a = np.ones(n, dtype=np.float32)
    b = np.empty_like(a)
    copy = min(_once(lambda: np.copyto(b, a)) for _ in range(reps))
    t = torch.from_numpy(a)
    read = min(_once(lambda: t.sum()) for _ in range(reps))
    return dict(copy_gb_s=2 * a.nbytes / copy / 1e9, read_gb_s=a.nbytes / read / 1e9, megabytes=megabytes)


def read_bandwidth(nbytes: int, reps: int = 20) -> float:
    """GB/s of reading a buffer of ``nbytes`` again and again (in cache if it fits)."""
    t = torch.ones(max(nbytes // 4, 1))
    t.sum()
    return t.numel() * 4 / min(_once(lambda: t.sum()) for _ in range(reps)) / 1e9


def _once(fn: Callable[[], object]) -> float:
    s = time.perf_counter()
    fn()
    return time.perf_counter() - s


def hardware(quick: bool = True) -> dict[str, Any]:
    """What the figures were measured on, including how busy the machine was."""
    info: dict[str, Any] = dict(
        date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        cpu=cpu_model(), cores=os.cpu_count(), torch_threads=torch.get_num_threads(),
        python=platform.python_version(), torch=torch.__version__, platform=platform.platform(),
        gpu=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    )
    with contextlib.suppress(OSError):
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    info["memory"] = memory_bandwidth(128 if quick else 512)
    return info


# --------------------------------------------------------------------------- running modules


def discover() -> list[str]:
    """Module names of every ``benchmarks/bench_*.py``, sorted."""
    return [f"benchmarks.{p.stem}" for p in sorted(HERE.glob("bench_*.py"))]


def _legacy_rows(module: Any, quick: bool) -> list[dict[str, Any]]:
    """A module with only ``main(argv)`` writing ``--json``: run it and map its rows."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "out.json"
        argv = (["--quick"] if quick else []) + ["--json", str(path)]
        with contextlib.redirect_stdout(io.StringIO()):
            if inspect.signature(module.main).parameters:
                module.main(argv)
            else:  # main() parses sys.argv itself
                saved, sys.argv = sys.argv, [module.__name__, *argv]
                try:
                    module.main()
                finally:
                    sys.argv = saved
        data = json.loads(path.read_text())
    found = next((v for k, v in data.items() if k in ("rows", "results") and isinstance(v, list)), None)
    if found is None:  # no list of rows: one summary row of the report's top-level figures
        flat = {k: v for k, v in data.items() if k != "hardware" and not isinstance(v, (list, dict))}
        for k, v in data.items():
            if isinstance(v, dict) and k != "hardware":
                flat.update({f"{k}.{kk}": vv for kk, vv in v.items() if not isinstance(vv, (list, dict))})
        notes = ", ".join(f"{k}={_fmt(v)}" for k, v in flat.items())
        return [row("summary (module predates run(quick))", math.nan, "", notes=notes)]
    rows = []
    for r in found:
        if all(k in r for k in ("name", "value", "ratio")):
            rows.append({k: r.get(k) for k in FIELDS})
            continue
        label = next((r[k] for k in ("name", "case") if isinstance(r.get(k), str)), None)
        label = label or next((v for v in r.values() if isinstance(v, str)), "?")
        ratio_key = next((k for k in r if k.endswith("ratio") and _number(r[k])), None)
        value_key = next((k for k in r if k.endswith(("_ms", "_per_s", "_s")) and not k.startswith("baseline")
                          and _number(r[k])), None)
        unit = "" if value_key is None else "ms" if value_key.endswith("_ms") else "/s" if value_key.endswith(
            "_per_s") else "s"
        notes = ", ".join(f"{k}={_fmt(v)}" for k, v in r.items() if k not in ("name", "case", "baseline"))
        rows.append(row(str(label), float(r[value_key]) if value_key else math.nan, unit,
                        r.get("baseline"), _maybe(r.get("baseline_ms")),
                        ratio=float(r[ratio_key]) if ratio_key else None, notes=notes))
    return rows


def _number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v))


def _maybe(v: object) -> float | None:
    return float(v) if _number(v) else None  # type: ignore[arg-type]


def run_module(name: str, quick: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Import and run one module; never raises. Returns its rows and a status record."""
    threads = torch.get_num_threads()
    start = time.perf_counter()
    try:
        module = importlib.import_module(name)
        if hasattr(module, "run"):
            rows = list(module.run(quick))
        elif hasattr(module, "main"):
            rows = _legacy_rows(module, quick)
        else:
            raise AttributeError(f"{name} has neither run(quick) nor main(argv).")
        for r in rows:
            missing = [k for k in ("name", "value", "unit") if k not in r]
            if missing:
                raise ValueError(f"A row of {name} lacks {', '.join(missing)}: {r!r}")
        status = dict(module=name, status="ok", seconds=time.perf_counter() - start, error=None)
    except Exception as err:  # a failing module is reported, not fatal
        rows = []
        status = dict(module=name, status="failed", seconds=time.perf_counter() - start,
                      error=f"{type(err).__name__}: {err}", traceback=traceback.format_exc(limit=6))
    finally:
        torch.set_num_threads(threads)
    for r in rows:
        r["module"] = name.rsplit(".", 1)[-1]
        for k in FIELDS:
            r.setdefault(k, None)
    return rows, status


def collect(quick: bool, modules: Sequence[str] | None = None, command: str = "") -> dict[str, Any]:
    """Hardware, then every module's rows and status, as one JSON-ready report."""
    names = list(modules) if modules is not None else discover()
    report: dict[str, Any] = dict(command=command, quick=quick, hardware=hardware(quick), modules=[], rows=[])
    for name in names:
        rows, status = run_module(name, quick)
        report["rows"].extend(rows)
        report["modules"].append(status)
    return report


def _fmt(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        a = abs(v)
        if a >= 1000:
            return f"{v:,.0f}"
        if a >= 10:
            return f"{v:.1f}"
        if a >= 0.01 or a == 0:
            return f"{v:.3g}"
        return f"{v:.2e}"
    return str(v)


def table(report: dict[str, Any]) -> str:
    """The one table: a hardware header, a line per figure, a line per failed module."""
    hw = report["hardware"]
    mem = hw["memory"]
    lines = [
        f"Neural Playground benchmarks ({'quick' if report['quick'] else 'full'}) - {hw['date']}",
        f"command: {report['command']}",
        f"CPU: {hw['cpu']}, {hw['cores']} cores, torch threads {hw['torch_threads']}, "
        f"load average {hw.get('load_average', '?')}",
        f"memory bandwidth (measured now, {mem['megabytes']} MB): copy {mem['copy_gb_s']:.1f} GB/s, "
        f"read {mem['read_gb_s']:.1f} GB/s",
        f"GPU: {hw['gpu'] or 'none'}; torch {hw['torch']}, Python {hw['python']}",
        "",
    ]
    head = ("module", "figure", "value", "unit", "baseline", "baseline value", "ratio", "notes")
    body = [
        (r["module"], r["name"], _fmt(r["value"]), r["unit"] or "", r["baseline"] or "",
         _fmt(r["baseline_value"]), _fmt(r["ratio"]), r["notes"] or "")
        for r in report["rows"]
    ]
    for m in report["modules"]:
        if m["status"] != "ok":
            body.append((m["module"].rsplit(".", 1)[-1], "FAILED", "", "", "", "", "", m["error"]))
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    widths[-1] = len(head[-1])  # notes run on, unpadded
    fmt = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    lines += [fmt(head), fmt(["-" * w for w in widths])] + [fmt(b) for b in body]
    lines.append("")
    lines.append("  ".join(f"{m['module'].rsplit('.', 1)[-1]} {m['status']} {m['seconds']:.1f}s"
                           for m in report["modules"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None, modules: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description="Every benchmark, one table of same-run ratios.")
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI (~20 s a module)")
    parser.add_argument("--json", type=Path, help="also write the report here")
    parser.add_argument("--only", help="comma-separated module names, e.g. engine,vision")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    names = list(modules) if modules is not None else discover()
    if args.only:
        wanted = {w.strip().removeprefix("bench_") for w in args.only.split(",")}
        names = [n for n in names if n.rsplit(".", 1)[-1].removeprefix("bench_") in wanted]
    command = "python -m benchmarks.run " + " ".join(argv if argv is not None else sys.argv[1:])
    report = collect(args.quick, names, command.strip())
    print(table(report), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1, default=str))
    return report


if __name__ == "__main__":
    main()
