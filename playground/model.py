"""A character-level LSTM language model whose gates can be read at every character.

The network is embedding -> multi-layer ``nn.LSTM`` (cuDNN on a GPU) -> linear head, as in
karpathy/char-rnn. :meth:`CharLSTM.trace` returns, per layer and per character, the input,
forget and output gates, the cell candidate, the cell state and the hidden state, computed
from the model's own weights and checked against ``nn.LSTM`` in the tests; the named gates
and the pieces that compute them are in :mod:`playground.lstm_gates`.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from playground import lstm_gates
from playground.errors import ModelConfigError, TextInputError
from playground.lstm_gates import Gates, LayerTrace, gates_from, lstm_step  # noqa: F401 - re-exported
from playground.text import Vocab

State = tuple[torch.Tensor, torch.Tensor]  # (h, c), each (layers, B, H)


@dataclass(frozen=True)
class ModelConfig:
    """Shape of a :class:`CharLSTM`."""

    vocab_size: int
    hidden: int = 256
    layers: int = 2
    embed: int = 64
    dropout: float = 0.0

    def __post_init__(self) -> None:
        if self.vocab_size < 2:
            raise ModelConfigError("A character model needs at least two characters in its vocabulary.")
        if not 1 <= self.layers <= 8:
            raise ModelConfigError(f"Layers must be between 1 and 8, not {self.layers}.")
        if not 1 <= self.hidden <= 4096:
            raise ModelConfigError(f"Hidden size must be between 1 and 4096, not {self.hidden}.")
        if not 1 <= self.embed <= 4096:
            raise ModelConfigError(f"Embedding size must be between 1 and 4096, not {self.embed}.")
        if not 0.0 <= self.dropout < 1.0:
            raise ModelConfigError(f"Dropout must be in [0, 1), not {self.dropout}.")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Trace:
    """Everything the model computed over a text: per layer internals and next-char logits."""

    text: str
    ids: torch.Tensor  # (T,)
    layers: tuple[LayerTrace, ...]
    logits: torch.Tensor  # (T, V): row t predicts the character after position t

    def probabilities(self) -> torch.Tensor:
        """Softmax of the logits, ``(T, V)``."""
        return torch.softmax(self.logits, dim=-1)


class CharLSTM(nn.Module):
    """Embedding, multi-layer LSTM and a linear head over a character :class:`Vocab`.

    Parameters
    ----------
    vocab:
        The characters the model reads and writes.
    hidden, layers, embed, dropout:
        Sizes; dropout applies between LSTM layers and before the head, in training only.
    """

    def __init__(
        self, vocab: Vocab, hidden: int = 256, layers: int = 2, embed: int = 64, dropout: float = 0.0
    ) -> None:
        super().__init__()
        self.vocab = vocab
        self.config = ModelConfig(len(vocab), hidden, layers, embed, dropout)
        self.embed = nn.Embedding(len(vocab), embed)
        self.lstm = nn.LSTM(embed, hidden, layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, len(vocab))

    @property
    def device(self) -> torch.device:
        return self.head.weight.device

    def __repr__(self) -> str:
        n = sum(p.numel() for p in self.parameters())
        c = self.config
        return (
            f"CharLSTM({c.layers} layers x {c.hidden} hidden, embed {c.embed}, "
            f"{c.vocab_size} chars, {n:,} parameters, on {self.device})"
        )

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def initial_state(self, batch: int = 1) -> State:
        """Zero ``(h, c)``, each ``(layers, batch, hidden)``."""
        shape = (self.config.layers, batch, self.config.hidden)
        zeros = torch.zeros(shape, device=self.device)
        return zeros, zeros.clone()

    def forward(self, ids: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """Logits for the next character at every position.

        ``ids`` is ``(B, T)``; returns logits ``(B, T, V)`` and the final ``(h, c)``.
        """
        x = self.embed(ids)  # (B, T, E)
        out, state = self.lstm(x, state)  # (B, T, H)
        return self.head(self.drop(out)), state  # (B, T, V)

    def layer_weights(self, layer: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(W_ih (4H, In), W_hh (4H, H), b_ih + b_hh (4H,))`` of one layer."""
        w_ih = getattr(self.lstm, f"weight_ih_l{layer}")
        w_hh = getattr(self.lstm, f"weight_hh_l{layer}")
        bias = getattr(self.lstm, f"bias_ih_l{layer}") + getattr(self.lstm, f"bias_hh_l{layer}")
        return w_ih, w_hh, bias

    @torch.no_grad()
    def trace(self, text: str, state: State | None = None) -> Trace:
        """Run over ``text`` and return every gate, cell and hidden state, per layer and character.

        Characters the vocabulary has never seen are skipped (see ``vocab.encode``). Each layer
        runs through ``nn.LSTM``'s fused kernel for its hidden states; the gates then come from
        batched matrix products over all positions (input half, then the recurrent half added
        in place), and the cell state from ``c_t = f_t * c_{t-1} + i_t * g_t``. (Stepping the
        layer to keep the gates as it goes was measured slower on the CPU: the fused kernel's
        one-row products beat MKL's, so reading ``W_hh`` twice costs less.)

        On a CPU with a core to spare and a model wide or deep enough (``lstm_gates.pipelined``),
        the kernel runs in chunks (``lstm_gates.chunk_length`` characters) and a worker thread
        computes each chunk's gates while the kernel runs the next (the kernel hands over the
        exact cell state at each chunk's end), so the extra products cost little wall time.
        """
        enc = self.vocab.encode(text)
        ids = enc.tensor().to(self.device)
        kept = self.vocab.decode(enc.ids) if enc.unknown else text
        if not kept:
            raise TextInputError("There is nothing to trace: the text has no character this model knows."
                                 if text else "There is nothing to trace: the text is empty.")
        if state is None:
            state = self.initial_state(1)
        h0, c0 = state
        pipelined = self._pipelined()
        chunk = lstm_gates.chunk_length(self.config.hidden) if pipelined else max(1, ids.numel())
        run = lstm_gates.gate_worker().submit if pipelined else lstm_gates.at_once
        x = self.embed(ids)  # (T, E)
        pending: list[tuple[list[Future[tuple[Gates, torch.Tensor]]], torch.Tensor]] = []
        for k in range(self.config.layers):
            w_ih, w_hh, bias = self.layer_weights(k)
            h, c = h0[k], c0[k]  # (1, H): the state entering the chunk
            outs, parts = [], []
            for start in range(0, ids.numel(), chunk):
                xs = x[start : start + chunk]
                out, (h_end, c_end) = lstm_gates.single_layer(xs, h, c, w_ih, w_hh, bias)  # (t, H)
                parts.append(run(lstm_gates.chunk_gates, xs, out, h, c, w_ih, w_hh, bias))
                outs.append(out)
                h, c = h_end[0], c_end[0]
            x = outs[0] if len(outs) == 1 else torch.cat(outs)  # (T, H): the next layer's input
            pending.append((parts, x))
        logits = self.head(x)  # (T, V)
        layers = tuple(lstm_gates.to_cpu(lstm_gates.joined([p.result() for p in parts], h_seq)) for parts, h_seq in pending)
        return Trace(kept, ids.cpu(), layers, logits.cpu())

    def _pipelined(self) -> bool:
        return lstm_gates.pipelined(self.device, self.config.hidden, self.config.layers)

    @torch.no_grad()
    def evaluate(self, text: str, batch_chars: int = 65_536) -> float:
        """Mean cross-entropy of predicting each character of ``text`` from the ones before it.

        In nats per character; unknown characters are skipped (``vocab.encode``). The text is
        read in chunks whose state carries over, so the figure is that of one long pass.
        """
        self_training = self.training
        self.eval()
        ids = self.vocab.encode(text).tensor().to(self.device)
        if ids.numel() < 2:
            raise TextInputError("Evaluation needs at least two known characters of text.")
        total, count = 0.0, 0
        state: State | None = None
        for start in range(0, ids.numel() - 1, batch_chars):
            chunk = ids[start : start + batch_chars + 1]
            logits, state = self(chunk[:-1].unsqueeze(0), state)
            loss = F.cross_entropy(logits[0].float(), chunk[1:], reduction="sum")
            total += float(loss)
            count += chunk.numel() - 1
        self.train(self_training)
        return total / count
