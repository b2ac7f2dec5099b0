"""Typed errors of the engine. Each carries one sentence meant for the person at the slider.

They subclass ``ValueError`` so that callers can catch the whole family with one clause, and
the views show ``str(err)`` as it is.
"""

from __future__ import annotations


class PlaygroundError(ValueError):
    """Base class of every input error the engine raises."""


class TextInputError(PlaygroundError):
    """User text that cannot be used: empty, too short, too large, undecodable or too varied."""


class SamplingError(PlaygroundError):
    """A temperature, top-k or top-p value outside its range, or an unusable prompt."""


class CheckpointError(PlaygroundError):
    """A weights file that is missing, malformed, not safetensors, or does not match its config."""


class ModelConfigError(PlaygroundError):
    """A model shape outside its range (layers, hidden or embedding size, dropout)."""


class DeviceError(PlaygroundError):
    """A device that is not known, or not available on this machine."""


class TrainingConfigError(PlaygroundError):
    """A training setting outside its range (learning rate, batch size, sequence length...)."""
