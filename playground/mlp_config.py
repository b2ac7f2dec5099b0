"""The network playground's whole configuration, and its round trip through a dict and a URL query.

A :class:`PlaygroundConfig` is the data settings (:class:`~playground.toydata.DataSpec`) plus the
network settings (:class:`NetworkConfig`). ``from_dict(to_dict(c)) == c`` and
``from_query(to_query(c)) == c``, so a link such as ``?kind=spiral&hidden=8,8,8&act=tanh&lr=0.03``
reproduces a network in Voila.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from playground.errors import PlaygroundError
from playground.neuron import activation_name
from playground.toydata import MAX_POINTS, DataError, DataSpec

MAX_LAYERS = 16
MAX_NEURONS = 256
MAX_LR = 10.0
OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")


class ConfigError(PlaygroundError):
    """A network setting outside what can train: no neurons, an absurd learning rate..."""


def _layers(value: Any) -> tuple[int, ...]:
    if isinstance(value, str):
        parts = [p for p in value.replace(" ", "").split(",") if p != ""]
        try:
            return tuple(int(p) for p in parts)
        except ValueError:
            raise ConfigError(f"Hidden layer sizes must be whole numbers like '8, 8'; got {value!r}.") from None
    return tuple(int(v) for v in value)


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(p.strip() for p in value.split(",") if p.strip())
    return tuple(str(v) for v in value)


@dataclass(frozen=True)
class NetworkConfig:
    """Shape and training settings of the playground's multi-layer perceptron.

    Parameters
    ----------
    hidden:
        Neurons in each hidden layer, e.g. ``(4, 4)``; ``()`` is a linear model.
    activations:
        One activation per hidden layer, or a single one for all of them.
    lr, batch_size, l2, optimizer:
        Learning rate, points per step, L2 penalty on the weights, and one of :data:`OPTIMIZERS`.
    seed:
        Seeds the initial weights and the batch order.
    """

    hidden: tuple[int, ...] = (4, 4)
    activations: tuple[str, ...] = ("tanh",)
    lr: float = 0.03
    batch_size: int = 10
    l2: float = 0.0
    optimizer: str = "sgd"
    seed: int = 0

    @property
    def layer_activations(self) -> tuple[str, ...]:
        """The activation of every hidden layer (a single name is repeated)."""
        if len(self.activations) == 1:
            return self.activations * len(self.hidden)
        return self.activations

    def validate(self) -> NetworkConfig:
        """Return a normalised copy, or raise :class:`ConfigError` with one clear sentence."""
        hidden = _layers(self.hidden)
        if len(hidden) > MAX_LAYERS:
            raise ConfigError(f"At most {MAX_LAYERS} hidden layers; got {len(hidden)}.")
        for i, size in enumerate(hidden):
            if size < 1:
                raise ConfigError(f"Hidden layer {i + 1} has {size} neurons: every layer needs at "
                                  f"least one (remove the layer instead).")
            if size > MAX_NEURONS:
                raise ConfigError(f"Hidden layer {i + 1} has {size} neurons; the most is {MAX_NEURONS}.")
        acts = _names(self.activations) or ("tanh",)
        try:
            acts = tuple(activation_name(a) for a in acts)
        except ValueError as err:
            raise ConfigError(str(err)) from None
        if len(acts) not in (1, len(hidden)) and hidden:
            raise ConfigError(f"Give one activation for all layers or one per layer "
                              f"({len(hidden)}); got {len(acts)}.")
        lr = float(self.lr)
        if not math.isfinite(lr) or lr <= 0.0:
            raise ConfigError(f"The learning rate must be a positive number; got {self.lr}.")
        if lr > MAX_LR:
            raise ConfigError(f"A learning rate of {lr:g} would throw the weights to infinity on "
                              f"the first step; use at most {MAX_LR:g} (0.001 to 0.3 is typical).")
        if not 1 <= int(self.batch_size) <= MAX_POINTS:
            raise ConfigError(f"The batch size must be between 1 and {MAX_POINTS}; got {self.batch_size}.")
        l2 = float(self.l2)
        if not (math.isfinite(l2) and 0.0 <= l2 <= 1.0):
            raise ConfigError(f"The L2 penalty must be between 0 and 1; got {self.l2}.")
        opt = str(self.optimizer).strip().lower()
        if opt not in OPTIMIZERS:
            raise ConfigError(f"Unknown optimiser {self.optimizer!r}: choose one of {', '.join(OPTIMIZERS)}.")
        if len(set(acts)) == 1:
            acts = acts[:1]
        return NetworkConfig(hidden, acts, lr, int(self.batch_size), l2, opt, int(self.seed))


_NET_KEYS = {"hidden": "hidden", "act": "activations", "lr": "lr", "batch": "batch_size",
             "l2": "l2", "opt": "optimizer", "wseed": "seed"}
_DATA_KEYS = {"kind": "kind", "n": "n", "noise": "noise", "test": "test_fraction", "seed": "seed"}


@dataclass(frozen=True)
class PlaygroundConfig:
    """Data settings plus network settings: everything needed to rebuild a playground."""

    data: DataSpec = field(default_factory=DataSpec)
    network: NetworkConfig = field(default_factory=NetworkConfig)

    def validate(self) -> PlaygroundConfig:
        """Return a normalised copy, or raise a ``ValueError`` subclass."""
        return replace(self, data=self.data.validate(), network=self.network.validate())

    def to_dict(self) -> dict[str, Any]:
        """``{"data": {...}, "network": {...}}`` with plain Python values."""
        net = self.network
        return {"data": self.data.to_dict(),
                "network": {"hidden": list(net.hidden), "activations": list(net.activations),
                            "lr": net.lr, "batch_size": net.batch_size, "l2": net.l2,
                            "optimizer": net.optimizer, "seed": net.seed}}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PlaygroundConfig:
        """The inverse of :meth:`to_dict`; missing keys take their defaults."""
        unknown = set(d) - {"data", "network"}
        if unknown:
            raise ConfigError(f"Unknown setting group(s): {', '.join(sorted(unknown))}.")
        net = dict(d.get("network", {}))
        bad = set(net) - set(NetworkConfig.__dataclass_fields__)
        if bad:
            raise ConfigError(f"Unknown network setting(s): {', '.join(sorted(bad))}.")
        base = NetworkConfig()
        try:
            network = NetworkConfig(
                hidden=_layers(net.get("hidden", base.hidden)),
                activations=_names(net.get("activations", base.activations)),
                lr=float(net.get("lr", base.lr)), batch_size=int(net.get("batch_size", base.batch_size)),
                l2=float(net.get("l2", base.l2)), optimizer=str(net.get("optimizer", base.optimizer)),
                seed=int(net.get("seed", base.seed)))
            data = DataSpec.from_dict(dict(d.get("data", {})))
        except (TypeError, ValueError) as err:
            if isinstance(err, (ConfigError, DataError)):
                raise
            raise ConfigError(f"A setting has the wrong type: {err}.") from None
        return cls(data, network).validate()

    def to_query(self) -> str:
        """A URL query string such as ``kind=moons&n=300&...&hidden=4,4&act=tanh``."""
        d = self.to_dict()
        flat: dict[str, str] = {}
        for short, name in _DATA_KEYS.items():
            flat[short] = str(d["data"][name])
        for short, name in _NET_KEYS.items():
            value = d["network"][name]
            flat[short] = ",".join(str(v) for v in value) if isinstance(value, list) else str(value)
        return urlencode(flat, safe=",")

    @classmethod
    def from_query(cls, query: str) -> PlaygroundConfig:
        """Settings from a query string (a leading ``?`` is fine); missing keys take defaults."""
        pairs = dict(parse_qsl(query.lstrip("?"), keep_blank_values=True))
        data = {name: pairs[short] for short, name in _DATA_KEYS.items() if short in pairs}
        net: dict[str, Any] = {name: pairs[short] for short, name in _NET_KEYS.items() if short in pairs}
        if "hidden" in net and net["hidden"] == "":
            net["hidden"] = ()
        try:
            return cls.from_dict({"data": data, "network": net})
        except (ConfigError, DataError):
            raise
        except ValueError as err:
            raise ConfigError(f"The link holds a setting that is not a number: {err}.") from None
