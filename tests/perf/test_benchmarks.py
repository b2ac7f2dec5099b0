"""The benchmark runner: one table and a JSON report, a failing module reported, not fatal.

Smoke tests only: sizes are shrunk and nothing about speed is asserted.
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from benchmarks import bench_engine
from benchmarks import run as bench_run


def _broken(quick: bool) -> list[dict[str, Any]]:
    raise RuntimeError("this benchmark broke")


def _legacy_main(argv: list[str]) -> None:
    """A module written before the protocol: only main(argv) writing --json."""
    path = Path(argv[argv.index("--json") + 1])
    rows = [dict(case="legacy case", baseline="raw", baseline_ms=2.0, engine_ms=5.0, engine_ratio=2.5)]
    path.write_text(json.dumps(dict(hardware={}, results=rows)))


def test_quick_run_prints_one_table_and_writes_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(bench_engine, "PRESET", dict(hidden=32, layers=2, embed=8))
    monkeypatch.setattr(bench_engine, "QUICK_GRID", [(1, 16)])
    monkeypatch.setattr(bench_engine, "WIDGETS_IN_RSS", False)  # importing every view takes long
    monkeypatch.setitem(sys.modules, "benchmarks.bench_broken", types.SimpleNamespace(run=_broken))
    monkeypatch.setitem(sys.modules, "benchmarks.bench_legacy", types.SimpleNamespace(main=_legacy_main))
    out = tmp_path / "report.json"
    names = ["benchmarks.bench_engine", "benchmarks.bench_broken", "benchmarks.bench_legacy"]
    report = bench_run.main(["--quick", "--json", str(out)], modules=names)
    printed = capsys.readouterr().out
    assert json.loads(out.read_text())["rows"] == json.loads(json.dumps(report["rows"], default=str))
    status = {m["module"]: m["status"] for m in report["modules"]}
    assert status == {"benchmarks.bench_engine": "ok", "benchmarks.bench_broken": "failed",
                      "benchmarks.bench_legacy": "ok"}
    names_seen = {r["name"] for r in report["rows"]}
    for needle in ("training CPU", "training GPU vs CPU", "trace 1000 chars, 1x16", "sampler CPU, 2x32", "4 temperatures",
                   "RSS: engine", "legacy case"):
        assert any(needle.replace("2x32", "") in n for n in names_seen), needle
    for r in report["rows"]:
        assert set(bench_run.FIELDS) <= set(r)
        if r["baseline_value"] and r["module"] == "bench_engine":
            assert r["ratio"] == pytest.approx(r["value"] / r["baseline_value"])
    legacy = next(r for r in report["rows"] if r["name"] == "legacy case")
    assert legacy["ratio"] == 2.5 and legacy["baseline_value"] == 2.0
    hw = report["hardware"]
    assert hw["cores"] >= 1 and hw["memory"]["read_gb_s"] > 0 and hw["torch_threads"] >= 1
    lines = printed.splitlines()
    assert any(line.startswith("CPU: ") for line in lines)
    assert any("memory bandwidth" in line for line in lines)
    assert any("FAILED" in line and "this benchmark broke" in line for line in lines)
    assert sum(line.startswith("module ") for line in lines) == 1  # one table


def test_only_selects_modules(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "benchmarks.bench_broken", types.SimpleNamespace(run=_broken))
    report = bench_run.main(["--quick", "--only", "broken"],
                            modules=["benchmarks.bench_engine", "benchmarks.bench_broken"])
    assert [m["module"] for m in report["modules"]] == ["benchmarks.bench_broken"]
    assert "benchmarks.bench_engine" in bench_run.discover()
    capsys.readouterr()


def test_a_legacy_main_without_arguments_is_run_with_argv(monkeypatch: pytest.MonkeyPatch) -> None:
    def main() -> None:  # parses sys.argv itself, as argparse does by default
        _legacy_main(sys.argv[1:])

    monkeypatch.setitem(sys.modules, "benchmarks.bench_argv", types.SimpleNamespace(main=main, __name__="x"))
    rows, status = bench_run.run_module("benchmarks.bench_argv", quick=True)
    assert status["status"] == "ok" and rows[0]["name"] == "legacy case"


def test_a_legacy_report_without_rows_becomes_one_summary_row(monkeypatch: pytest.MonkeyPatch) -> None:
    def main(argv: list[str]) -> None:
        path = Path(argv[argv.index("--json") + 1])
        path.write_text(json.dumps(dict(hardware={"x": 1}, steps=3, seconds={"bare": 1.5, "widget": 2.0})))

    monkeypatch.setitem(sys.modules, "benchmarks.bench_summary", types.SimpleNamespace(main=main))
    rows, status = bench_run.run_module("benchmarks.bench_summary", quick=True)
    assert status["status"] == "ok" and len(rows) == 1
    assert "steps=3" in rows[0]["notes"] and "seconds.widget=2" in rows[0]["notes"]


def test_training_row_names_both_devices_and_divides_gpu_by_cpu() -> None:
    with_gpu = bench_engine.training_gpu_vs_cpu(90_000.0, 7_500.0, "NVIDIA H200")
    assert "NVIDIA H200" in with_gpu["name"] and with_gpu["baseline"].startswith("CPU (")
    assert with_gpu["ratio"] == pytest.approx(12.0)
    without = bench_engine.training_gpu_vs_cpu(None, 7_500.0, None)
    assert without["ratio"] is None and "7,500" in without["notes"] and "no CUDA GPU" in without["notes"]
