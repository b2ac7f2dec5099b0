"""The gallery reads the notebooks' metadata when it runs: new notebooks appear, order holds."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import nbformat
import pytest

from widgets.gallery import (
    DEFAULT_ORDER,
    Gallery,
    gallery_html,
    read_card,
    read_cards,
    thumbnail_uri,
)

REPO = Path(__file__).resolve().parents[2]


def _notebook(path: Path, **playground: object) -> Path:
    nb = nbformat.v4.new_notebook()
    if playground:
        nb.metadata["playground"] = playground
    nbformat.write(nb, path)
    return path


def test_cards_sorted_by_order_then_name_and_index_left_out(tmp_path: Path) -> None:
    _notebook(tmp_path / "b.ipynb", title="B", summary="second", order=2)
    _notebook(tmp_path / "a.ipynb", title="A", summary="first", order=1)
    _notebook(tmp_path / "c.ipynb", title="C", summary="tie, later name", order=2)
    _notebook(tmp_path / "index.ipynb", title="Gallery", order=-1)
    _notebook(tmp_path / "_private.ipynb", title="hidden", order=0)
    cards = read_cards(tmp_path)
    assert [c.name for c in cards] == ["a.ipynb", "b.ipynb", "c.ipynb"]
    assert [c.summary for c in cards] == ["first", "second", "tie, later name"]


def test_a_new_notebook_appears_on_refresh(tmp_path: Path) -> None:
    _notebook(tmp_path / "01_one.ipynb", title="One", summary="s", order=1)
    gallery = Gallery(tmp_path)
    assert "One" in gallery.grid.value and "Two" not in gallery.grid.value
    _notebook(tmp_path / "02_two.ipynb", title="Two", summary="s", order=2)
    gallery.refresh()
    assert [c.title for c in gallery.cards] == ["One", "Two"]
    assert 'href="02_two.ipynb"' in gallery.grid.value


def test_missing_or_bad_metadata_gets_defaults(tmp_path: Path) -> None:
    card = read_card(_notebook(tmp_path / "07_sampling_lab.ipynb"))
    assert (card.title, card.summary, card.order) == ("Sampling lab", "", DEFAULT_ORDER)
    bad = read_card(_notebook(tmp_path / "x.ipynb", title="X", order="soon", browser_check="no"))
    assert bad.order == DEFAULT_ORDER and bad.browser_check == {}


def test_titles_are_escaped_and_links_relative(tmp_path: Path) -> None:
    _notebook(tmp_path / "a.ipynb", title="<script>alert(1)</script>", summary="x & y", order=1)
    html = gallery_html(read_cards(tmp_path))
    assert "<script>alert" not in html and "&lt;script&gt;" in html and "x &amp; y" in html
    assert 'href="a.ipynb"' in html  # opens /voila/render/a.ipynb next to the gallery


def test_thumbnail_png_preferred_over_generated_svg(tmp_path: Path) -> None:
    _notebook(tmp_path / "a.ipynb", title="A", order=1)
    svg = thumbnail_uri(read_card(tmp_path / "a.ipynb"))
    assert svg.startswith("data:image/svg+xml;base64,")
    assert b"<svg" in base64.b64decode(svg.split(",", 1)[1])
    (tmp_path / "thumbnails").mkdir()
    (tmp_path / "thumbnails" / "a.png").write_bytes(b"\x89PNG fake")
    png = thumbnail_uri(read_card(tmp_path / "a.ipynb"))
    assert png == "data:image/png;base64," + base64.b64encode(b"\x89PNG fake").decode()


def test_empty_folder_says_so(tmp_path: Path) -> None:
    assert "No notebooks yet" in gallery_html(read_cards(tmp_path))


@pytest.mark.parametrize("path", sorted((REPO / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_repository_notebook_carries_gallery_and_slide_metadata(path: Path) -> None:
    nb = json.loads(path.read_text())
    pg = nb["metadata"].get("playground", {})
    assert pg.get("title") and isinstance(pg.get("order"), int), f"{path.name}: playground metadata"
    if path.name != "index.ipynb":
        assert pg.get("summary"), f"{path.name}: a one-line summary for its card"
    missing = [i for i, c in enumerate(nb["cells"]) if "slide_type" not in c["metadata"].get("slideshow", {})]
    assert missing == [], f"{path.name}: cells without slide metadata: {missing}"
    outputs = [i for i, c in enumerate(nb["cells"]) if c.get("outputs")]
    assert outputs == [], f"{path.name}: committed with outputs in cells {outputs}"
