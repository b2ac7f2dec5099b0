""""Show the code": the plain PyTorch script that builds and trains the playground's network.

The script is self-contained (torch, numpy and scikit-learn only). For a built-in data set it
generates the same points with the same split; with the same seed it builds the same initial
weights and draws the same mini-batches as :class:`~playground.mlp.Trainer`, so running it for
``steps`` steps on the CPU reproduces the playground's weights (``tests/neurons`` checks this).
"""

from __future__ import annotations

import inspect

from playground import toydata
from playground.mlp_config import NetworkConfig
from playground.toydata import DataSpec

_MODULES = {"step": "Step()", "sigmoid": "nn.Sigmoid()", "tanh": "nn.Tanh()", "relu": "nn.ReLU()",
            "leaky_relu": "nn.LeakyReLU(0.01)", "linear": "nn.Identity()"}

_OPTIMIZERS = {"sgd": "torch.optim.SGD(model.parameters(), lr={lr!r})",
               "momentum": "torch.optim.SGD(model.parameters(), lr={lr!r}, momentum=0.9)",
               "adam": "torch.optim.Adam(model.parameters(), lr={lr!r})",
               "rmsprop": "torch.optim.RMSprop(model.parameters(), lr={lr!r})"}

_STEP = '''

class Step(nn.Module):
    """1 where the weighted sum is >= 0, else 0 (no useful gradient: it will not learn)."""

    def forward(self, x):
        return torch.heaviside(x, torch.ones((), dtype=x.dtype))
'''


def _data_code(spec: DataSpec | None) -> str:
    if spec is None:
        return ("# Your own data: X is an (n, 2) float array, y holds n labels (0, 1, ...).\n"
                "X, y = ...  # fill in\n"
                "order = np.random.default_rng(1).permutation(len(X))\n"
                "n_test = max(1, round(len(X) * 0.3))\n")
    gen = toydata.GENERATORS[spec.kind]
    source = inspect.getsource(gen)
    source = source.replace(" -> tuple[NDArray[Any], NDArray[Any]]", "")
    source = source.replace("n: int, noise: float, rng: np.random.Generator", "n, noise, rng")
    return (f"{source}\n\n"
            f"X, y = {gen.__name__}({spec.n}, {spec.noise!r}, np.random.default_rng({spec.seed}))\n"
            f"order = np.random.default_rng({spec.seed + 1}).permutation(len(X))\n"
            f"n_test = max(1, round(len(X) * {spec.test_fraction!r}))\n")


def to_code(config: NetworkConfig, spec: DataSpec | None, task: str = "classification",
            n_outputs: int = 1, steps: int = 1000) -> str:
    """The PyTorch script for ``config`` on the data built by ``spec`` (``None``: your own data).

    ``task`` and ``n_outputs`` are the data set's (see :class:`~playground.toydata.Dataset`).
    """
    config = config.validate()
    acts = config.layer_activations
    sizes = [2, *config.hidden, n_outputs]
    lines = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        lines.append(f"    nn.Linear({a}, {b}),")
        if i < len(acts):
            lines.append(f"    {_MODULES[acts[i]]},")
    if task == "regression":
        loss, target = "F.mse_loss(model(xb)[:, 0], yb)", "torch.float32"
        score = "print(f'test loss {F.mse_loss(model(X_test)[:, 0], y_test).item():.4f}')"
    elif n_outputs == 1:
        loss, target = "F.binary_cross_entropy_with_logits(model(xb)[:, 0], yb.float())", "torch.long"
        score = "print(f'test accuracy {((model(X_test)[:, 0] > 0).long() == y_test).float().mean().item():.3f}')"
    else:
        loss, target = "F.cross_entropy(model(xb), yb)", "torch.long"
        score = "print(f'test accuracy {(model(X_test).argmax(1) == y_test).float().mean().item():.3f}')"
    if task != "regression" and spec is None:
        pre = "y = np.unique(y, return_inverse=True)[1]  # labels -> 0, 1, ...\n"
    else:
        pre = ""
    l2 = (f"\n    loss = loss + {config.l2!r} * 0.5 * sum((p ** 2).sum() for n, p in "
          f"model.named_parameters() if n.endswith('weight'))") if config.l2 > 0 else ""
    return f'''"""A {' -> '.join(map(str, sizes))} network, exported from Neural Playground."""

import numpy as np
import torch
import torch.nn.functional as F
from sklearn import datasets as skd
from torch import nn
{_STEP if 'step' in acts else ''}

{_data_code(spec)}{pre}X = torch.tensor(X, dtype=torch.float32)
y = torch.tensor(y, dtype={target})
X_test, y_test = X[order[:n_test]], y[order[:n_test]]
X_train, y_train = X[order[n_test:]], y[order[n_test:]]

torch.manual_seed({config.seed})
model = nn.Sequential(
{chr(10).join(lines)}
)
optimizer = {_OPTIMIZERS[config.optimizer].format(lr=config.lr)}

generator = torch.Generator().manual_seed({config.seed})
batch_size = min({config.batch_size}, len(X_train))
perm, cursor = torch.randperm(len(X_train), generator=generator), 0
for step in range({steps}):
    if cursor + batch_size > len(X_train):  # a new epoch: reshuffle
        perm, cursor = torch.randperm(len(X_train), generator=generator), 0
    idx = perm[cursor:cursor + batch_size]
    cursor += batch_size
    xb, yb = X_train[idx], y_train[idx]
    optimizer.zero_grad()
    loss = {loss}{l2}
    loss.backward()
    optimizer.step()

with torch.no_grad():
    {score}
'''
