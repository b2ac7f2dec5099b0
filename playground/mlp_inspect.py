"""What the playground draws, computed from a :class:`~playground.mlp.Trainer`.

* :func:`decision_surface`: the network's output over a grid covering the data.
* :func:`neuron_surfaces`: every hidden neuron's own activation over a (coarser) grid.
* :func:`connections`: every weight with its layer and end points, for the network diagram.
* :func:`explain_point`: "how wrong was that?" for one point: the forward values, the loss and
  the gradient of that point's loss on every weight, i.e. what one SGD step would change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from playground.errors import PlaygroundError
from playground.mlp import Trainer, data_loss


class InspectError(PlaygroundError):
    """A request for a point, layer or resolution that does not exist."""


@dataclass
class Surface:
    """Values ``z`` of shape ``(len(ys), len(xs))`` over the grid ``xs`` by ``ys``."""

    xs: NDArray[np.float32]
    ys: NDArray[np.float32]
    z: NDArray[np.float32]


def grid(bounds: tuple[float, float, float, float], resolution: int) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]:
    """``xs`` and ``ys`` of ``resolution`` values each, and the (resolution**2, 2) grid points."""
    if not 2 <= resolution <= 1000:
        raise InspectError(f"Grid resolution must be between 2 and 1000; got {resolution}.")
    xs = np.linspace(bounds[0], bounds[1], resolution, dtype=np.float32)
    ys = np.linspace(bounds[2], bounds[3], resolution, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)  # (R, R) each; row i is ys[i]
    return xs, ys, np.stack([gx.ravel(), gy.ravel()], axis=1)


def _grid_tensor(trainer: Trainer, resolution: int) -> tuple[NDArray[np.float32], NDArray[np.float32], torch.Tensor]:
    if not 2 <= resolution <= 1000:
        raise InspectError(f"Grid resolution must be between 2 and 1000; got {resolution}.")
    b = trainer.data.bounds()
    # Build the grid directly on the device: nothing to upload per redraw.
    xs_t = torch.linspace(b[0], b[1], resolution, device=trainer.device)
    ys_t = torch.linspace(b[2], b[3], resolution, device=trainer.device)
    gy, gx = torch.meshgrid(ys_t, xs_t, indexing="ij")  # (R, R): row i is ys[i]
    pts = torch.stack([gx.reshape(-1), gy.reshape(-1)], 1)  # (R*R, 2)
    return xs_t.cpu().numpy(), ys_t.cpu().numpy(), pts


@torch.no_grad()
def decision_surface(trainer: Trainer, resolution: int = 100) -> Surface:
    """The output over the plane: P(class 1) for two classes, the regression value, or for
    several classes the winning class index plus a fraction for confidence (``k + p``, 0 <= p < 1).
    """
    xs, ys, pts = _grid_tensor(trainer, resolution)
    with trainer.lock:
        out = trainer.model(pts)  # (R*R, n_out)
    if trainer.data.task == "regression":
        z = out[:, 0]
    elif out.shape[1] == 1:
        z = torch.sigmoid(out[:, 0])
    else:
        p, k = torch.softmax(out, 1).max(1)
        z = k + 0.999 * (p - 1.0 / out.shape[1]) / (1.0 - 1.0 / out.shape[1])
    return Surface(xs, ys, z.reshape(resolution, resolution).cpu().numpy())


@torch.no_grad()
def neuron_surfaces(trainer: Trainer, resolution: int = 24,
                    output: bool = False) -> list[list[NDArray[np.float32]]]:
    """``surfaces[l][j]``: hidden layer ``l``'s neuron ``j`` activation over the grid (R, R).

    With ``output=True`` the last entry is the output layer's raw scores (one per output).
    """
    _, _, pts = _grid_tensor(trainer, resolution)
    with trainer.lock:
        _, traces = trainer.model.trace(pts)
    out: list[list[NDArray[np.float32]]] = []
    for t in traces if output else traces[:-1]:
        post = t.post.T.reshape(-1, resolution, resolution).cpu().numpy()  # (neurons, R, R)
        out.append(list(post))
    return out


@dataclass
class Connection:
    """Weight ``value`` of layer ``layer`` from neuron ``frm`` (previous layer) to neuron ``to``."""

    layer: int
    frm: int
    to: int
    value: float


def weights(trainer: Trainer) -> list[NDArray[np.float32]]:
    """Every layer's weight matrix, shape (out, in), as numpy."""
    with trainer.lock:
        return [layer.weight.detach().cpu().numpy().copy() for layer in trainer.model.linears]


def connections(trainer: Trainer) -> list[Connection]:
    """Every weight as a :class:`Connection`."""
    return [Connection(li, i, o, float(w[o, i]))
            for li, w in enumerate(weights(trainer))
            for o in range(w.shape[0]) for i in range(w.shape[1])]


@dataclass
class PointExplanation:
    """Forward values and gradients for one training point.

    ``activations[l]``: what layer ``l`` outputs (layer 0 is the input itself); ``sums[l]``: its
    weighted sums (for l >= 1). ``grads[l]`` is d loss / d W of layer ``l`` (out, in) and
    ``bias_grads[l]`` d loss / d b, for this point alone (no L2). ``updates[l]`` is the change
    one plain SGD step at the current learning rate would make: ``-lr * grads[l]``.
    """

    index: int
    x: NDArray[np.float32]
    target: float
    output: NDArray[np.float32]
    prediction: float
    loss: float
    sums: list[NDArray[np.float32]]
    activations: list[NDArray[np.float32]]
    grads: list[NDArray[np.float32]]
    bias_grads: list[NDArray[np.float32]]
    updates: list[NDArray[np.float32]]


def explain_point(trainer: Trainer, index: int, split: str = "train") -> PointExplanation:
    """"How wrong was that?" for point ``index`` of the ``split`` ("train" or "test") set."""
    if split not in ("train", "test"):
        raise InspectError(f"split must be 'train' or 'test'; got {split!r}.")
    with trainer.lock:
        x_all, y_all = (trainer.x_train, trainer.y_train) if split == "train" else (trainer.x_test, trainer.y_test)
        if not 0 <= index < len(x_all):
            raise InspectError(f"There is no {split} point {index}; pick 0 to {len(x_all) - 1}.")
        x, y = x_all[index:index + 1], y_all[index:index + 1]  # (1, 2), (1,)
        model = trainer.model
        out, traces = model.trace(x)
        loss = data_loss(out, y, trainer.data.task)
        params: list[Any] = [p for layer in model.linears for p in (layer.weight, layer.bias)]
        grads = torch.autograd.grad(loss, params)  # backprop of this one point's loss
        lr = trainer.config.lr
        out = out.detach()
        if trainer.data.task == "regression":
            pred = float(out[0, 0])
        elif out.shape[1] == 1:
            pred = float(torch.sigmoid(out[0, 0]))
        else:
            pred = float(out[0].argmax())

        def np1(t: torch.Tensor) -> NDArray[np.float32]:
            return t.detach().cpu().numpy().astype(np.float32)

        gw = [np1(g) for g in grads[0::2]]
        return PointExplanation(
            index=index, x=np1(x[0]), target=float(y[0]), output=np1(out[0]), prediction=pred,
            loss=float(loss.detach()), sums=[np1(t.pre[0]) for t in traces],
            activations=[np1(x[0])] + [np1(t.post[0]) for t in traces],
            grads=gw, bias_grads=[np1(g) for g in grads[1::2]],
            updates=[-lr * g for g in gw])
