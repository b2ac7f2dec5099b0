"""The four notebooks of this area carry their gallery and slide metadata, without outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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


# Execution of these notebooks (every code cell shows a widget, no error output) is in
# tests/notebooks/test_execute.py, which runs every notebook in notebooks/.
