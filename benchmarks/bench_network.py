"""Network playground speed: training steps plus a 100x100 decision-surface redraw, per second.

Three rates are measured in the same process, on the same trainer, for a few network sizes:

* ``train``: one optimiser step alone (the baseline);
* ``train+surface``: one step, then the decision surface over a 100x100 grid (the engine);
* ``train+redraw``: one step, the surface, and writing it into the playground's FigureWidget
  (what a tick of play costs in the kernel; the browser's own drawing is not included).

The ratio columns divide each rate by the baseline. TensorFlow Playground redraws at animation
rate, so the issue's aim is 30 or more train+redraw per second.

Usage: ``python benchmarks/bench_network.py [--quick] [--json PATH] [--device cpu|cuda]``
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable

import torch

from playground import toydata
from playground.device import describe, pick
from playground.mlp import Trainer
from playground.mlp_config import NetworkConfig
from playground.mlp_inspect import decision_surface

SIZES = {"4,2 (TF default)": (4, 2), "4,4 (ours)": (4, 4), "8 x 32": (32,) * 8}


def rate(fn: Callable[[], None], seconds: float, sync: Callable[[], None]) -> float:
    """Calls per second of ``fn``, run for about ``seconds`` after a short warm-up."""
    for _ in range(3):
        fn()
    sync()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    sync()
    return n / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="about 20 s in all")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--resolution", type=int, default=100)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: leave as is)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick(args.device)
    seconds = 1.0 if args.quick else 4.0
    sync = (lambda: torch.cuda.synchronize()) if device.type == "cuda" else (lambda: None)

    from widgets import network_views as views  # the view layer, for the redraw column

    data = toydata.make("spiral", n=500, noise=0.1)
    print(f"hardware: {platform.processor() or platform.machine()} | {platform.platform()} | "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads | device {describe(device)}")
    print(f"data: spiral, {len(data.x_train)} training points, batch 10; surface {args.resolution}x{args.resolution}")
    header = f"{'network':<18}{'train/s':>10}{'train+surface/s':>17}{'ratio':>7}{'train+redraw/s':>16}{'ratio':>7}"
    print(header)
    print("-" * len(header))
    rows = []
    fig = views.surface_figure()
    for name, hidden in SIZES.items():
        t = Trainer(data, NetworkConfig(hidden=hidden, lr=0.01, optimizer="adam"), device=device)

        def train(t: Trainer = t) -> None:
            t.step(1)

        def surface(t: Trainer = t) -> None:
            t.step(1)
            decision_surface(t, args.resolution)

        def redraw(t: Trainer = t) -> None:
            t.step(1)
            views.draw_surface(fig, t, decision_surface(t, args.resolution), True, points=False)

        base = rate(train, seconds, sync)
        with_surface = rate(surface, seconds, sync)
        with_redraw = rate(redraw, seconds, sync)
        rows.append(dict(network=name, train_per_s=base, train_surface_per_s=with_surface,
                         train_redraw_per_s=with_redraw, surface_ratio=with_surface / base,
                         redraw_ratio=with_redraw / base))
        print(f"{name:<18}{base:>10.1f}{with_surface:>17.1f}{with_surface / base:>7.2f}"
              f"{with_redraw:>16.1f}{with_redraw / base:>7.2f}")
    print("aim: train+redraw >= 30 per second (TensorFlow Playground redraws at animation rate)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(hardware=dict(processor=platform.processor(), machine=platform.machine(),
                                         threads=torch.get_num_threads(), device=describe(device)),
                           resolution=args.resolution, quick=args.quick, rows=rows), f, indent=1)


if __name__ == "__main__":
    main()
