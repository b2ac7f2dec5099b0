"""How fast the vision views answer, as ratios against the raw PyTorch call measured in the same run.

1. Kernel edit -> redrawn output on the 427x640 sample photo (grayscale and per-channel):
   the explained NumPy convolution alone, and the whole widget update (convolve, encode the PNG,
   update the figure, redraw the sliding stage), each against ``torch.nn.functional.conv2d``.
2. Drawing -> updated probabilities and feature maps: one stroke segment through the canvas
   handlers, against the bare network forward pass.

    python benchmarks/bench_vision.py [--quick] [--json PATH] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # `python benchmarks/bench_vision.py` from anywhere
    sys.path.insert(0, str(HERE.parent))

from benchmarks.run import timed  # noqa: E402
from playground import cnn, conv, images  # noqa: E402
from playground import device as devices  # noqa: E402


def bench_conv_mode(mode: conv.Mode, reps: int, dev: torch.device) -> dict[str, object]:
    """One kernel edit on the china photo in ``mode``: engine and widget against ``F.conv2d``."""
    from widgets.conv import ConvExplorer

    x = conv.prepare(images.sample_photo("china"), mode)  # (C, 427, 640)
    c = x.shape[0]
    k = conv.preset("sobel x")
    xt = torch.from_numpy(x).float()[None].to(dev)
    wt = torch.from_numpy(k).float()[None, None].repeat(c, 1, 1, 1).to(dev)  # depthwise, as per-channel

    def raw() -> None:
        F.conv2d(xt, wt, padding=1, groups=c)
        if dev.type == "cuda":
            torch.cuda.synchronize()

    base = timed(raw, reps * 3, warmup=2)
    engine = timed(lambda: conv.convolve(x, k, conv.ConvSpec(padding=1)), reps, warmup=2)
    explorer = ConvExplorer(image="china", kernel="sobel x")
    explorer.mode.value = mode
    explorer.padding.value = 1
    flip = [0.0]

    def edit() -> None:
        flip[0] = 1.0 - flip[0]
        explorer.kernel.cells[0].value = -1.0 + flip[0]  # one typed number: convolve, encode, redraw

    widget = timed(edit, reps, warmup=2)
    assert explorer.notice.text == "", explorer.notice.text
    return dict(case=f"kernel edit, 427x640 {mode}", baseline="F.conv2d", baseline_ms=base * 1e3,
                engine_ms=engine * 1e3, engine_ratio=engine / base, update_ms=widget * 1e3, update_ratio=widget / base)


def bench_cnn(reps: int, dev: torch.device) -> list[dict[str, object]]:
    from widgets.cnn import CANVAS, DigitsCNNView

    model = cnn.load_pretrained(device=dev)
    view = DigitsCNNView(model)
    x = torch.rand(1, 1, 8, 8, device=dev)

    @torch.no_grad()
    def raw() -> None:
        model.forward_maps(x)
        if dev.type == "cuda":
            torch.cuda.synchronize()

    base = timed(raw, reps * 3, warmup=2)
    rng = np.random.default_rng(0)
    view.pen_down(CANVAS / 2, CANVAS / 2)

    def segment() -> None:
        view.stroke_to(*rng.uniform(20, CANVAS - 20, 2))  # paint the segment on the canvas and the ink
        view.update()  # probabilities + feature maps for the new ink

    widget = timed(segment, reps, warmup=2)
    view.pen_up()
    return [dict(case="drawing stroke -> probabilities + maps", baseline="model.forward_maps", baseline_ms=base * 1e3,
                 engine_ms=float("nan"), engine_ratio=float("nan"), update_ms=widget * 1e3, update_ratio=widget / base)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Vision views: time per update against raw PyTorch.")
    parser.add_argument("--quick", action="store_true", help="few repetitions (~20 s)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    dev = devices.pick(args.device)
    reps = 5 if args.quick else 25
    hardware = dict(processor=platform.processor() or platform.machine(), platform=platform.platform(),
                    torch=torch.__version__, threads=torch.get_num_threads(), device=devices.describe(dev))
    print("hardware: " + ", ".join(f"{k}={v}" for k, v in hardware.items()))
    rows = [bench_conv_mode(mode, reps, dev) for mode in conv.MODES] + bench_cnn(reps, dev)
    print(f"{'case':42s} {'baseline':>20s} {'base ms':>9s} {'engine ms':>10s} {'x base':>7s} {'update ms':>10s} {'x base':>7s}")
    for r in rows:
        print(f"{r['case']:42s} {r['baseline']:>20s} {r['baseline_ms']:9.3f} {r['engine_ms']:10.2f} {r['engine_ratio']:7.1f} "
              f"{r['update_ms']:10.2f} {r['update_ratio']:7.1f}")
    if args.json:
        args.json.write_text(json.dumps(dict(hardware=hardware, quick=args.quick, reps=reps, results=rows), indent=1))


if __name__ == "__main__":
    main()
