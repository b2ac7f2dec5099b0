"""Every notebook in ``notebooks/`` executes headless, as Voila would run it; and the Binder
environment, built from ``binder/`` alone into a fresh virtual environment, runs them all too."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
BINDER = REPO / "binder"

#: Per cell. A notebook must run in well under a minute on 2 cores; this only stops a hang.
CELL_TIMEOUT_S = 180

ALL = sorted(NOTEBOOKS.glob("*.ipynb"))


def execute(path: Path, timeout: int = CELL_TIMEOUT_S) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},  # cwd = notebooks/, as in Voila
        allow_errors=False,
    )
    client.execute(env={**os.environ, "PLAYGROUND_DEVICE": "cpu", "OMP_NUM_THREADS": "1"})
    return nb


@pytest.mark.notebook
@pytest.mark.timeout(600)
@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_notebook_executes(path: Path) -> None:
    nb = execute(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    # Voila strips the sources: a notebook must show something (usually one widget).
    assert any(c.get("outputs") for c in code), f"{path.name} displays nothing"


_RUN_ALL = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    import nbformat
    from nbclient import NotebookClient
    import torch
    print("torch", torch.__version__, "cuda build:", torch.version.cuda, flush=True)
    for path in sorted(Path(sys.argv[1]).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        print("ok", path.name, flush=True)
    """
)


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.timeout(1800)
def test_binder_environment_builds_and_runs_every_notebook(tmp_path: Path) -> None:
    """repo2docker's steps by hand: a venv, ``pip install -r binder/requirements.txt``,
    ``binder/postBuild``, then every notebook with that venv's kernel.

    The extra index (download.pytorch.org) is unreachable on an offline CI machine; pip then
    takes torch==2.13.0 from the other configured indexes. The test asserts that whatever pip
    picked is a CPU build (no CUDA), which is the point of the extra index.
    """
    venv = tmp_path / "binder-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update(PATH=f"{venv / 'bin'}:{env.get('PATH', '')}", PIP_RETRIES="1", PIP_DEFAULT_TIMEOUT="20")
    install = subprocess.run(
        [str(py), "-m", "pip", "install", "-r", str(BINDER / "requirements.txt")],
        cwd=REPO, env=env, capture_output=True, text=True,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    post = subprocess.run(["bash", str(BINDER / "postBuild")], cwd=REPO, env=env,
                          capture_output=True, text=True)
    assert post.returncode == 0, post.stdout[-3000:] + post.stderr[-3000:]
    template = venv / "share" / "jupyter" / "voila" / "templates" / "playground" / "index.html.j2"
    assert template.is_file()
    run = subprocess.run(
        [str(py), "-c", _RUN_ALL, str(NOTEBOOKS)],
        cwd=tmp_path, env={**env, "PLAYGROUND_DEVICE": "cpu", "OMP_NUM_THREADS": "1"},
        capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "cuda build: None" in run.stdout, run.stdout
    assert sum(line.startswith("ok ") for line in run.stdout.splitlines()) == len(ALL), run.stdout
