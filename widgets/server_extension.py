"""A Jupyter Server extension for JupyterLab and Binder: plotly's widget bundle, served once.

plotly's ``FigureWidget`` carries its whole 5 MB front-end bundle in every figure's state,
and the page evaluates one copy per figure; with several figures on a busy machine a figure
misses anywidget's 2-second start-up limit and freezes (see ``docs/testing.md``). This
extension serves the bundle as a cached static file at ``{base_url}playground/static/
widgetbundle.js`` and tells the kernels the server starts (through the environment they
inherit, ``PLAYGROUND_PLOTLY_ESM``), so every figure built by :func:`widgets._common.figure`
imports it by URL instead. ``scripts/serve.py`` does the same for the local gallery.

Under Voila's server extension the page still asks ``cdnjs.cloudflare.com`` for MathJax 2
(standalone Voila, ``scripts/serve.py``, typesets with its bundled MathJax and asks no CDN).
That is fine on Binder, which is online; it is not solved here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import plotly

from widgets._common import PLOTLY_ESM_ENV

#: Where plotly keeps the bundle, the file's name, and the route it is served at.
BUNDLE_DIR = Path(plotly.__file__).parent / "package_data"
BUNDLE = "widgetbundle.js"
ROUTE = "playground/static/"


def bundle_handler(server_url: str) -> tuple[str, Any, dict[str, str]]:
    """The tornado route serving the bundle under ``server_url`` (a cached static file)."""
    import tornado.web
    from jupyter_server.utils import url_path_join

    return url_path_join(server_url, ROUTE, f"({BUNDLE})"), tornado.web.StaticFileHandler, {"path": str(BUNDLE_DIR)}


def publish_bundle_url(base_url: str) -> str:
    """Tell the kernels started from now on where the page finds the bundle; returns the URL path."""
    from jupyter_server.utils import url_path_join

    os.environ[PLOTLY_ESM_ENV] = url_path_join(base_url, ROUTE, BUNDLE)
    return os.environ[PLOTLY_ESM_ENV]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "widgets.server_extension"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    base = serverapp.web_app.settings.get("base_url", "/")
    serverapp.web_app.add_handlers(".*$", [bundle_handler(base)])
    url = publish_bundle_url(base)  # before any kernel starts
    serverapp.log.info("neural playground: plotly's widget bundle served at %s", url)
