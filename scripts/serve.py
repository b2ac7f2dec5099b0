"""Serve the notebook gallery with Voila, configured for a room of people on one machine.

    python scripts/serve.py                 # http://localhost:8866/ -> the gallery
    python scripts/serve.py --token secret  # visitors need http://host:8866/?token=secret
    python scripts/serve.py --help

The static settings live in ``voila.json`` at the repository root (sources stripped, no
tracebacks, preheated kernels, idle kernels culled, which files may be served); this script
adds what a JSON file cannot express:

* ``/`` redirects to the gallery (``index.ipynb``) instead of Voila's file tree;
* a cap on concurrent viewer kernels: past it a visitor gets a polite "room is full" page
  (HTTP 503 with ``Retry-After``) instead of a kernel that would starve everyone else;
* the websocket and HTTP body limits derived from the engine's own upload limit
  (``playground.corpora.MAX_UPLOAD_BYTES``) plus room for the message envelope;
* plotly's widget bundle served once at ``/playground/static/widgetbundle.js`` (cached by the
  browser) and imported by URL by every figure, instead of travelling inside each figure's
  state (see ``widgets._common.FigureClass``);
* the ``_xsrf`` cookie on every app page, so closing a tab shuts its kernel down;
* the ``playground`` Voila template (``voila/templates/``), which drops the lab template's
  CDN stylesheets so the page makes no request beyond this server.

See ``docs/serving.md`` for every setting and the path to JupyterHub / BinderHub.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path

import tornado.web
from traitlets import Integer
from traitlets.config import Config
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # `python scripts/serve.py` from a checkout that is not installed
    sys.path.insert(0, str(REPO))

from widgets.server_extension import bundle_handler, publish_bundle_url  # noqa: E402

try:
    from playground.corpora import MAX_UPLOAD_BYTES
except ImportError:  # the engine's constant not there yet: same value
    MAX_UPLOAD_BYTES = 5 * 1024 * 1024

#: Headroom over the engine's limit for the widget message around an uploaded file, so that
#: any file the engine would accept reaches it (and gets its one-sentence refusal if too big).
ENVELOPE_BYTES = 1024 * 1024
MAX_MESSAGE_BYTES = MAX_UPLOAD_BYTES + ENVELOPE_BYTES

FULL_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>The room is full</title>
<meta http-equiv="refresh" content="{retry}">
<style>body{{font:20px/1.5 sans-serif;max-width:36em;margin:12vh auto;padding:0 1em;
color:#111;background:#fff}} h1{{font-size:1.6em}}</style></head>
<body><main role="main"><h1>The room is full</h1>
<p>All {cap} seats of this playground are taken right now, so a new one can't start
without slowing everyone down.</p>
<p>This page tries again by itself in {retry} seconds. You can also follow along on the
speaker's screen.</p></main></body></html>
"""


class CappedVoilaHandler(TornadoVoilaHandler):
    """Voila's render handler, refusing politely once ``max_kernels`` viewers hold a kernel.

    Pre-heated kernels waiting in the pool are not viewers and are not counted.
    """

    def in_use(self) -> int:
        km = self.kernel_manager
        pooled = sum(len(pool) for pool in getattr(km, "_pools", {}).values())
        return max(len(km.list_kernel_ids()) - pooled, 0)

    async def get(self, path: str | None = None) -> None:
        # Touching the token sets the ``_xsrf`` cookie. The page's unload beacon reads it to
        # shut its kernel down (``/voila/api/shutdown``); without it the server refuses the
        # beacon (403) and a closed tab's kernel lingers until the idle cull.
        self.xsrf_token  # noqa: B018
        cap = self.settings.get("playground_max_kernels", 0)
        if cap and self.in_use() >= cap and self.current_user is not None:
            retry = self.settings.get("playground_retry_after", 30)
            self.log.warning("kernel cap %d reached: refusing %s", cap, self.request.path)
            self.set_status(503)
            self.set_header("Retry-After", str(retry))
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            self.finish(FULL_PAGE.format(cap=cap, retry=retry))
            return
        await super().get(path)


class KernelWebsocketHandler(VoilaKernelWebsocketHandler):
    """Voila's kernel websocket, safe with clients of the legacy JSON protocol.

    Voila 0.5.13 reads the header of every binary frame as protocol v1 (8-byte offsets), but
    Jupyter Server frames a legacy client's messages that carry buffers with 4-byte offsets:
    Voila then loops over ~10**17 offsets and the whole server stops. Those frames skip Voila's
    header check; the ``execute_input`` it drops never carries buffers, so it is still dropped.
    """

    def write_message(self, message, binary=False):  # type: ignore[no-untyped-def]
        if isinstance(message, bytes) and self.selected_subprotocol != "v1.kernel.websocket.jupyter.org":
            return super(VoilaKernelWebsocketHandler, self).write_message(message, binary)
        return super().write_message(message, binary)


class PlaygroundVoila(Voila):
    """Voila with the gallery at ``/``, the kernel cap and the size limits."""

    max_kernels = Integer(20, config=True, help="Concurrent viewer kernels; 0 means no cap.")
    retry_after = Integer(30, config=True, help="Seconds the 'room is full' page waits.")

    def init_settings(self) -> dict:
        # Before super(): that creates the kernel manager, which starts the preheated kernels,
        # and each kernel reads the bundle's URL from the environment it inherits.
        publish_bundle_url(self.base_url)
        settings = super().init_settings()
        settings["playground_max_kernels"] = self.max_kernels
        settings["playground_retry_after"] = self.retry_after
        return settings

    def init_handlers(self) -> list:
        handlers = []
        for spec in super().init_handlers():
            pattern, handler, *rest = spec
            if handler is TornadoVoilaHandler:
                handler = CappedVoilaHandler
            elif handler is VoilaKernelWebsocketHandler:
                handler = KernelWebsocketHandler
            if pattern == self.server_url and (Path(self.root_dir) / "index.ipynb").is_file():
                # the landing page is the gallery, not a list of files
                handler, rest = tornado.web.RedirectHandler, [
                    {"url": self.server_url.rstrip("/") + "/voila/render/index.ipynb"}
                ]
            handlers.append((pattern, handler, *rest))
        # One copy of plotly's bundle per browser, not one per figure in every message; the
        # kernels learn its URL from the environment they inherit (widgets._common). The
        # same route as the Jupyter Server extension ``widgets.server_extension`` (Binder).
        handlers.insert(0, bundle_handler(self.server_url))
        return handlers

    def listen(self) -> None:
        # Voila calls app.listen(port, ip); pass tornado's HTTP body limits along with it.
        self.app.listen = functools.partial(
            self.app.listen, max_body_size=MAX_MESSAGE_BYTES, max_buffer_size=MAX_MESSAGE_BYTES
        )
        super().listen()


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Arguments after `--` go to Voila unchanged (e.g. -- --debug).",
    )
    p.add_argument("--root", default=str(REPO / "notebooks"), help="folder of notebooks")
    p.add_argument("--port", type=int, default=8866)
    p.add_argument("--ip", default="localhost", help="address to listen on (0.0.0.0: the LAN)")
    p.add_argument("--token", default=None, help="require ?token=... (default: none)")
    p.add_argument("--auto-token", action="store_true", help="generate a token and print it")
    p.add_argument("--max-kernels", type=int, default=20, help="concurrent viewers (0: no cap)")
    p.add_argument("--pool-size", type=int, default=None, help="preheated kernels per notebook")
    p.add_argument(
        "--pool",
        action="append",
        default=[],
        metavar="NAME=N",
        help="preheated kernels for one notebook (repeatable; others get --pool-size)",
    )
    p.add_argument("--no-preheat", action="store_true", help="start kernels on demand only")
    p.add_argument("--cull-idle", type=int, default=None, help="seconds before an idle kernel goes")
    p.add_argument("--cull-interval", type=int, default=None)
    p.add_argument("--open", action="store_true", help="open a browser")
    return p.parse_known_args(argv)


def voila_argv(args: argparse.Namespace, extra: list[str]) -> list[str]:
    """Translate our options into Voila's traitlets command line."""
    out = [
        args.root,
        f"--port={args.port}",
        f"--Voila.ip={args.ip}",
        "--VoilaConfiguration.template=playground",
        f"--Voila.open_browser={args.open}",
        "--Voila.port_retries=0",
        f"--PlaygroundVoila.max_kernels={max(args.max_kernels, 0)}",
    ]
    if args.token is not None:
        out.append(f"--token={args.token}")
    elif args.auto_token:
        out.append("--Voila.auto_token=True")
    if args.no_preheat:
        out.append("--VoilaConfiguration.preheat_kernel=False")
    if args.pool_size is not None:
        out.append(f"--VoilaConfiguration.default_pool_size={args.pool_size}")
    if args.cull_idle is not None:
        out.append(f"--MappingKernelManager.cull_idle_timeout={args.cull_idle}")
    if args.cull_interval is not None:
        out.append(f"--MappingKernelManager.cull_interval={args.cull_interval}")
    return out + [a for a in extra if a != "--"]


def main(argv: list[str] | None = None) -> None:
    args, extra = parse_args(sys.argv[1:] if argv is None else argv)
    # Our template lives in this repository: put it on Jupyter's data path.
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        p for p in (str(REPO), os.environ.get("JUPYTER_PATH", "")) if p
    )
    # Kernels import the package from the checkout even when it isn't installed.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p
    )
    print(
        f"Serving {args.root} at http://{args.ip}:{args.port}/ "
        f"(cap {args.max_kernels} viewers, uploads up to {MAX_UPLOAD_BYTES // 2**20} MB)",
        flush=True,
    )
    config = Config()
    # voila.json is read from the repository whatever the working directory; list and dict
    # traits are set here rather than on the command line (traitlets deprecates that form).
    config.Voila.config_file_paths = [str(REPO)]
    config.Voila.tornado_settings = {"websocket_max_message_size": MAX_MESSAGE_BYTES}
    if args.pool:  # a dict trait: set through a Config object, not the command line
        pools = {"default": {"pool_size": args.pool_size if args.pool_size is not None else 1}}
        for item in args.pool:
            name, _, n = item.partition("=")
            pools[name] = {"pool_size": int(n or 1)}
        config.VoilaKernelManager.kernel_pools_config = pools
    PlaygroundVoila.launch_instance(voila_argv(args, extra), config=config)


if __name__ == "__main__":
    main()
