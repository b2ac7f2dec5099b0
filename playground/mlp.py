"""The network playground's model and trainer: an MLP on two features, trained step by step.

:class:`MLP` is a stack of ``nn.Linear`` layers whose :meth:`MLP.trace` returns every layer's
weighted sums and activations, so views can draw each hidden neuron. :class:`Trainer` owns the
data on the device from :func:`playground.device.pick`, the optimiser and the loss history;
``Trainer.step(n)`` takes exactly ``n`` optimiser steps, each on one mini-batch, and is guarded
by a lock so a background loop (:mod:`playground.mlp_loop`) and the page can share it.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from torch import Tensor, nn

from playground.device import pick
from playground.errors import PlaygroundError
from playground.mlp_config import ConfigError, NetworkConfig
from playground.neuron import activation
from playground.toydata import Dataset

#: A parameter larger than this in size means the run has blown up even if it is still finite.
DIVERGED_WEIGHT = 1e6


class DivergedError(PlaygroundError):
    """Training blew up (a NaN or infinite loss or weight); reset or lower the learning rate."""


@dataclass
class LayerTrace:
    """One layer's forward values: the weighted sums ``pre`` and activations ``post``, (N, out)."""

    pre: Tensor
    post: Tensor


class MLP(nn.Module):
    """Fully connected network ``2 -> hidden... -> n_out`` with one activation per hidden layer."""

    def __init__(self, n_in: int, hidden: tuple[int, ...], activations: tuple[str, ...], n_out: int):
        super().__init__()
        sizes = [n_in, *hidden, n_out]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.activations = [*activations, "linear"]  # the output layer gives raw scores

    @property
    def linears(self) -> list[nn.Linear]:
        """The ``nn.Linear`` layers, input side first."""
        return [m for m in self.layers if isinstance(m, nn.Linear)]

    def trace(self, x: Tensor) -> tuple[Tensor, list[LayerTrace]]:
        """Forward pass returning the output (N, n_out) and every layer's :class:`LayerTrace`."""
        traces = []
        h = x  # (N, 2)
        for layer, name in zip(self.layers, self.activations):
            z = layer(h)  # (N, out): weighted sums plus bias
            h = activation(name)(z)  # (N, out): what the next layer sees
            traces.append(LayerTrace(z, h))
        return h, traces

    def forward(self, x: Tensor) -> Tensor:
        return self.trace(x)[0]

    def __repr__(self) -> str:
        sizes = [self.linears[0].in_features, *(layer.out_features for layer in self.linears)]
        acts = ", ".join(self.activations[:-1]) or "none"
        return f"MLP({' -> '.join(map(str, sizes))}, activations=[{acts}])"


def data_loss(out: Tensor, y: Tensor, task: str) -> Tensor:
    """Mean loss: squared error (regression), binary cross-entropy (1 output), else cross-entropy."""
    if task == "regression":
        return F.mse_loss(out[:, 0], y)
    if out.shape[1] == 1:
        return F.binary_cross_entropy_with_logits(out[:, 0], y.float())
    return F.cross_entropy(out, y)


def l2_penalty(model: nn.Module) -> Tensor:
    """``0.5 * sum w^2`` over the weight matrices (not the biases)."""
    return 0.5 * sum((p**2).sum() for n, p in model.named_parameters() if n.endswith("weight"))  # type: ignore[return-value]


def make_optimizer(name: str, params: Any, lr: float) -> torch.optim.Optimizer:
    """The optimiser called ``name`` (see :data:`playground.mlp_config.OPTIMIZERS`)."""
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    raise ConfigError(f"Unknown optimiser {name!r}.")


def build_model(data: Dataset, config: NetworkConfig) -> MLP:
    """A freshly initialised :class:`MLP` for ``data``, seeded by ``config.seed`` (on the CPU)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        return MLP(2, config.hidden, config.layer_activations, data.n_outputs)


@dataclass
class Metrics:
    """Losses (and accuracies for classification, else ``nan``) on the train and test sets."""

    step: int
    train_loss: float
    test_loss: float
    train_accuracy: float = math.nan
    test_accuracy: float = math.nan


@dataclass
class History:
    """Loss curves: one :class:`Metrics` per recorded moment."""

    points: list[Metrics] = field(default_factory=list)

    def column(self, name: str) -> list[float]:
        """One field of every record, e.g. ``column("test_loss")``."""
        return [float(getattr(m, name)) for m in self.points]


class Trainer:
    """Trains an :class:`MLP` on a :class:`Dataset`, one mini-batch per optimiser step.

    Parameters
    ----------
    data, config:
        What to learn and the network's shape and training settings.
    device:
        Passed to :func:`playground.device.pick` (``"auto"`` uses a GPU when there is one).

    Events (``add_callback``): ``"step"`` after each :meth:`step` call, ``"reset"``, ``"diverged"``.
    """

    def __init__(self, data: Dataset, config: NetworkConfig | None = None,
                 device: str | torch.device | None = "auto"):
        self.lock = threading.RLock()
        self.device = pick(device)
        self._callbacks: dict[str, list[Callable[[Trainer], None]]] = {}
        self.data = data
        self.config = (config or NetworkConfig()).validate()
        self.reset()

    # -- events -----------------------------------------------------------------------------
    def add_callback(self, event: str, fn: Callable[[Trainer], None]) -> None:
        """Call ``fn(trainer)`` on ``event``: ``"step"``, ``"reset"`` or ``"diverged"``."""
        self._callbacks.setdefault(event, []).append(fn)

    def _trigger(self, event: str) -> None:
        for fn in self._callbacks.get(event, []):
            fn(self)

    # -- set up -----------------------------------------------------------------------------
    def _tensors(self, x: NDArray[Any], y: NDArray[Any]) -> tuple[Tensor, Tensor]:
        xt = torch.as_tensor(x, dtype=torch.float32, device=self.device)
        yt = torch.as_tensor(y, device=self.device)
        return xt, (yt.float() if self.data.task == "regression" else yt.long())

    def reset(self, data: Dataset | None = None, config: NetworkConfig | None = None) -> None:
        """New initial weights (and optionally new data or settings); clears history and steps."""
        with self.lock:
            if config is not None:
                self.config = config.validate()
            if data is not None:
                self.data = data
            self.model = build_model(self.data, self.config).to(self.device)
            self.optimizer = make_optimizer(self.config.optimizer, self.model.parameters(), self.config.lr)
            self.x_train, self.y_train = self._tensors(self.data.x_train, self.data.y_train)
            self.x_test, self.y_test = self._tensors(self.data.x_test, self.data.y_test)
            self._gen = torch.Generator().manual_seed(self.config.seed)
            self._order = torch.randperm(len(self.x_train), generator=self._gen)
            self._cursor = 0
            self.steps = 0
            self.epochs = 0
            self.diverged: str | None = None
            self.history = History()
            self.record()
        self._trigger("reset")

    # -- training ---------------------------------------------------------------------------
    def next_batch(self) -> Tensor:
        """Indices of the next mini-batch; reshuffles after each pass through the data (epoch)."""
        n = len(self.x_train)
        size = min(self.config.batch_size, n)
        if self._cursor + size > n:
            self._order = torch.randperm(n, generator=self._gen)
            self._cursor = 0
            self.epochs += 1
        idx = self._order[self._cursor:self._cursor + size]
        self._cursor += size
        return idx.to(self.device)

    def loss(self, x: Tensor, y: Tensor) -> Tensor:
        """Data loss plus the L2 penalty, as minimised by each step."""
        total = data_loss(self.model(x), y, self.data.task)
        if self.config.l2 > 0.0:
            total = total + self.config.l2 * l2_penalty(self.model)
        return total

    def step(self, n: int = 1) -> float:
        """Take ``n`` optimiser steps (one mini-batch each), record the losses, return the last.

        Raises
        ------
        DivergedError
            If the loss or a weight became NaN or infinite (training stops until :meth:`reset`).
        """
        with self.lock:
            if self.diverged:
                raise DivergedError(self.diverged)
            if n < 0:
                raise ConfigError(f"Number of steps must be 0 or more; got {n}.")
            value = math.nan
            for _ in range(n):
                idx = self.next_batch()
                self.optimizer.zero_grad(set_to_none=True)
                loss = self.loss(self.x_train[idx], self.y_train[idx])
                loss.backward()  # type: ignore[no-untyped-call]
                self.optimizer.step()
                self.steps += 1
                if _ == n - 1:
                    value = float(loss.detach())
            self.record()
            self.check()
        self._trigger("step")
        return value

    def check(self) -> None:
        """Raise :class:`DivergedError` (and fire ``"diverged"``) if the run has blown up."""
        with self.lock:
            last = self.history.points[-1]
            params = torch.cat([p.detach().flatten() for p in self.model.parameters()])
            bad_weights = not bool(torch.isfinite(params).all())
            huge = (not bad_weights) and float(params.abs().max()) > DIVERGED_WEIGHT
            if not (bad_weights or huge or not math.isfinite(last.train_loss)):
                return
            what = "a weight became NaN or infinite" if bad_weights else (
                "the weights grew past a million" if huge else "the loss became NaN or infinite")
            self.diverged = (f"Training diverged at step {self.steps}: {what}. Press reset, and "
                             f"lower the learning rate (now {self.config.lr:g}).")
        self._trigger("diverged")
        raise DivergedError(self.diverged)

    def set_weight(self, layer: int, to: int, frm: int, value: float) -> None:
        """Set one connection weight by hand: layer ``layer``'s weight from neuron ``frm`` to ``to``.

        A non-finite value is refused with a :class:`ConfigError`.
        """
        if not math.isfinite(value):
            raise ConfigError(f"A weight must be a finite number; got {value}.")
        with self.lock:
            linears = self.model.linears
            if not 0 <= layer < len(linears):
                raise ConfigError(f"There is no layer {layer}; layers are 0 to {len(linears) - 1}.")
            w = linears[layer].weight
            if not (0 <= to < w.shape[0] and 0 <= frm < w.shape[1]):
                raise ConfigError(f"Layer {layer} has weights {w.shape[0]} x {w.shape[1]}; no ({to}, {frm}).")
            with torch.no_grad():
                w[to, frm] = value

    # -- evaluation -------------------------------------------------------------------------
    @torch.no_grad()
    def metrics(self) -> Metrics:
        """Current :class:`Metrics` over the full train and test sets."""
        with self.lock:
            out_tr, out_te = self.model(self.x_train), self.model(self.x_test)
            m = Metrics(self.steps, float(data_loss(out_tr, self.y_train, self.data.task)),
                        float(data_loss(out_te, self.y_test, self.data.task)))
            if self.data.task == "classification":
                m.train_accuracy = float((self._classes(out_tr) == self.y_train).float().mean())
                m.test_accuracy = float((self._classes(out_te) == self.y_test).float().mean())
            return m

    def record(self) -> Metrics:
        """Append the current :meth:`metrics` to :attr:`history`."""
        m = self.metrics()
        self.history.points.append(m)
        return m

    @staticmethod
    def _classes(out: Tensor) -> Tensor:
        return (out[:, 0] > 0).long() if out.shape[1] == 1 else out.argmax(1)

    @torch.no_grad()
    def predict(self, x: NDArray[Any]) -> NDArray[np.float32]:
        """Per point: P(class 1) for two classes, class probabilities (N, C), or the prediction."""
        with self.lock:
            out = self.model(torch.as_tensor(x, dtype=torch.float32, device=self.device))
        if self.data.task == "regression":
            values = out[:, 0]
        elif out.shape[1] == 1:
            values = torch.sigmoid(out[:, 0])
        else:
            values = torch.softmax(out, 1)
        return np.asarray(values.cpu().numpy(), dtype=np.float32)

    def __repr__(self) -> str:
        m = self.history.points[-1]
        return (f"Trainer({self.model!r}, {self.data.name}, step={self.steps}, "
                f"train_loss={m.train_loss:.4f}, test_loss={m.test_loss:.4f}, device={self.device})")
