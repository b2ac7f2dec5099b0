"""Sampling and gates on one screen: generate with the playground, read it with the gate explorer.

The two views share their models and model choice; the explorer follows the playground's last
generation (prompt plus generated text) after every Step, Generate or Clear, so the gates at a
character sit beside the distribution the next character was drawn from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as w

from playground.model import CharLSTM
from widgets.gates import GateExplorer
from widgets.sampler import SamplingPlayground
from widgets.textgen_parts import ShowsFigures


class TextGenLab(ShowsFigures, w.VBox):
    """A :class:`SamplingPlayground` above a :class:`GateExplorer` linked to it.

    Parameters
    ----------
    model, name, models:
        As for :class:`SamplingPlayground`.
    prompt:
        The playground's starting prompt; the explorer starts on the same text.
    """

    def __init__(
        self, model: CharLSTM | str | None = None, *, name: str = "your model",
        models: Mapping[str, CharLSTM] | None = None, prompt: str = "ROMEO:\n", **kwargs: Any,
    ) -> None:
        self.sampler = SamplingPlayground(model, name=name, models=models, prompt=prompt)
        self.gates = GateExplorer(model, name=name, models=models, text=prompt)
        self.gates.link(self.sampler)
        self.gates.follow.value = True
        super().__init__([
            w.HTML("<h3>Sample</h3>"), self.sampler,
            w.HTML("<h3>Look inside: the gates over the text above</h3>"), self.gates,
        ], **kwargs)
        self.add_class("np-textgen")
