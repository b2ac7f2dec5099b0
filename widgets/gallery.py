"""The gallery landing page: one card per notebook, read from the notebooks' own metadata.

Every notebook in ``notebooks/`` carries ``"playground": {"title", "summary", "order"}`` in
its notebook metadata. :func:`read_cards` reads that at run time, so a new notebook appears in
the gallery the moment it lands, and :class:`Gallery` lays the cards out as links that open
each notebook as its own Voila app. A card's picture is ``notebooks/thumbnails/NAME.png`` when
one is committed, otherwise a small SVG drawn from the metadata.

Optionally a notebook declares how the browser tests drive it (see ``docs/testing.md``)::

    "playground": {"browser_check": {"control": "<css selector or aria label>",
                                     "action": "click" | "press:ArrowRight" | "fill:<text>",
                                     "expect_change": "<css selector of the plot>"}}
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import json
from pathlib import Path
from typing import Any

import ipywidgets as w

#: Notebooks that are part of the delivery itself, never cards.
EXCLUDED = frozenset({"index.ipynb"})

#: Order given to a notebook that declares none: after every notebook that does.
DEFAULT_ORDER = 10_000

_PALETTE = ("#1f6feb", "#c62828", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#4e342e")


@dataclasses.dataclass(frozen=True)
class Card:
    """What the gallery shows for one notebook.

    Attributes
    ----------
    name : str
        File name relative to the notebooks directory, e.g. ``"01_neuron.ipynb"``.
    title, summary : str
        From the notebook's ``playground`` metadata (title falls back to the file name).
    order : int
        Sort key from the metadata; ties break on the file name.
    thumbnail : Path or None
        A committed PNG screenshot, if there is one.
    browser_check : dict
        How the browser tests drive the app (empty when undeclared).
    """

    name: str
    title: str
    summary: str
    order: int
    thumbnail: Path | None = None
    browser_check: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def stem(self) -> str:
        return self.name.removesuffix(".ipynb")


def _title_from_name(name: str) -> str:
    stem = name.removesuffix(".ipynb")
    words = stem.split("_")
    if words and words[0].isdigit():  # "01_neuron" -> "Neuron"
        words = words[1:]
    return " ".join(words).strip().capitalize() or stem


def read_card(path: Path) -> Card:
    """Read one notebook's ``playground`` metadata into a :class:`Card`.

    Only the JSON is read (the notebook is not executed). Missing fields get defaults, so a
    notebook without metadata still shows up, titled after its file name.
    """
    meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    pg = meta.get("playground") or {}
    if not isinstance(pg, dict):
        pg = {}
    try:
        order = int(pg.get("order", DEFAULT_ORDER))
    except (TypeError, ValueError):
        order = DEFAULT_ORDER
    check = pg.get("browser_check") or {}
    thumb = path.parent / "thumbnails" / f"{path.stem}.png"
    return Card(
        name=path.name,
        title=str(pg.get("title") or _title_from_name(path.name)),
        summary=str(pg.get("summary") or ""),
        order=order,
        thumbnail=thumb if thumb.is_file() else None,
        browser_check={str(k): str(v) for k, v in check.items()} if isinstance(check, dict) else {},
    )


def notebook_paths(directory: str | Path) -> list[Path]:
    """The notebooks of ``directory`` that belong in the gallery (not index, hidden or ``_*``)."""
    return sorted(
        p
        for p in Path(directory).glob("*.ipynb")
        if p.name not in EXCLUDED and not p.name.startswith((".", "_"))
    )


def read_cards(directory: str | Path) -> list[Card]:
    """Every gallery notebook in ``directory`` as a :class:`Card`, sorted by (order, name)."""
    cards = [read_card(p) for p in notebook_paths(directory)]
    return sorted(cards, key=lambda c: (c.order, c.name))


def thumbnail_svg(card: Card, width: int = 320, height: int = 140) -> str:
    """A small picture drawn from the metadata: a colour from the name, the number, the title."""
    digest = hashlib.sha1(card.name.encode()).digest()
    colour = _PALETTE[digest[0] % len(_PALETTE)]
    label = str(card.order) if card.order != DEFAULT_ORDER else card.title[:1].upper()
    # A few deterministic "neurons" so the cards differ at a glance.
    dots = "".join(
        f'<circle cx="{40 + (b * 7) % (width - 60)}" cy="{20 + (b * 13) % (height - 40)}" '
        f'r="{3 + b % 6}" fill="#fff" fill-opacity="0.35"/>'
        for b in digest[1:13]
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(card.title)}">'
        f'<rect width="100%" height="100%" rx="8" fill="{colour}"/>{dots}'
        f'<text x="16" y="{height - 20}" font-family="sans-serif" font-size="48" '
        f'font-weight="bold" fill="#fff">{html.escape(label)}</text></svg>'
    )


def thumbnail_uri(card: Card) -> str:
    """The card's picture as a ``data:`` URI (PNG if committed, else the generated SVG).

    Inlined so the gallery needs no file route and makes no extra request.
    """
    if card.thumbnail is not None:
        data = base64.b64encode(card.thumbnail.read_bytes()).decode()
        return f"data:image/png;base64,{data}"
    data = base64.b64encode(thumbnail_svg(card).encode()).decode()
    return f"data:image/svg+xml;base64,{data}"


_CSS = """
<style>
.np-gallery{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:18px;}
.np-card{display:block;border:1px solid #d0d7de;border-radius:10px;overflow:hidden;
  text-decoration:none;color:inherit;background:var(--jp-layout-color0,#fff);}
.np-card:hover{box-shadow:0 2px 10px rgba(0,0,0,.18);}
.np-card:focus-visible{outline:4px solid #ffbf00;outline-offset:2px;}
.np-card img{display:block;width:100%;height:auto;}
.np-card h3{margin:10px 14px 4px;font-size:1.25em;}
.np-card p{margin:0 14px 14px;}
</style>
"""


def card_html(card: Card) -> str:
    """One card: a link (relative, so it works under any base URL) opening the notebook's app."""
    return (
        f'<a class="np-card" data-notebook="{html.escape(card.name)}" '
        f'href="{html.escape(card.name)}" aria-label="Open {html.escape(card.title)}">'
        f'<img src="{thumbnail_uri(card)}" alt="" width="320" height="140">'
        f"<h3>{html.escape(card.title)}</h3><p>{html.escape(card.summary)}</p></a>"
    )


def gallery_html(cards: list[Card]) -> str:
    """The whole grid as one HTML string (cards in the given order)."""
    if not cards:
        return '<p class="np-gallery-empty">No notebooks yet.</p>'
    return _CSS + '<nav class="np-gallery" aria-label="Notebooks">' + "".join(
        card_html(c) for c in cards
    ) + "</nav>"


class Gallery(w.VBox):
    """The landing page's grid of cards, read from ``directory`` when built.

    Parameters
    ----------
    directory : str or Path
        Where the notebooks are (the gallery's own folder when served by Voila).
    """

    def __init__(self, directory: str | Path = ".", **kwargs: Any) -> None:
        self.directory = Path(directory)
        self.cards = read_cards(self.directory)
        self.grid = w.HTML(gallery_html(self.cards))
        self.grid.add_class("np-gallery-host")
        super().__init__(children=[self.grid], **kwargs)

    def refresh(self) -> None:
        """Re-read the metadata (a notebook was added or renamed)."""
        self.cards = read_cards(self.directory)
        self.grid.value = gallery_html(self.cards)

    def __repr__(self) -> str:
        return f"Gallery({str(self.directory)!r}, {len(self.cards)} notebooks)"
