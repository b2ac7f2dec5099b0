"""The four notebooks of this area execute headless, without an error output, in order 1..4."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = ["01_neuron.ipynb", "02_network_playground.ipynb", "03_classical_ml.ipynb", "04_bias.ipynb"]


@pytest.mark.parametrize("name", NAMES)
def test_metadata_slides_and_no_outputs(name: str) -> None:
    nb = json.loads((NOTEBOOKS / name).read_text())
    meta = nb["metadata"]["playground"]
    assert meta["order"] == NAMES.index(name) + 1 and meta["title"] and meta["summary"]
    for cell in nb["cells"]:
        assert cell["metadata"]["slideshow"]["slide_type"] in ("slide", "subslide", "fragment", "-")
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
            assert len(cell["source"]) <= 8  # import, construct, display: no logic


@pytest.mark.notebook
@pytest.mark.parametrize("name", NAMES)
def test_notebook_executes(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(shown) == sum(1 for c in nb.cells if c.cell_type == "code")  # every code cell shows a widget
