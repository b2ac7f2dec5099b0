"""Choosing where the models run: a CUDA GPU, Apple's MPS, or the CPU."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from playground.errors import DeviceError

ENV_VAR = "PLAYGROUND_DEVICE"
_CHOICES = ("auto", "cuda", "mps", "cpu")


def pick(preference: str | torch.device | None = "auto") -> torch.device:
    """Return the device to run on.

    Parameters
    ----------
    preference:
        ``"auto"`` (CUDA, then MPS, then CPU), ``"cuda"``, ``"cuda:1"``, ``"mps"`` or
        ``"cpu"``, or a ``torch.device``. The environment variable
        ``PLAYGROUND_DEVICE`` overrides ``"auto"``.

    Raises
    ------
    DeviceError
        If the name is unknown or the requested device is not available here.
    """
    if isinstance(preference, torch.device):
        name = str(preference)
    else:
        name = (preference or "auto").strip().lower()
    if name == "auto":
        name = os.environ.get(ENV_VAR, "auto").strip().lower() or "auto"
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    kind = name.split(":", 1)[0]
    if kind not in _CHOICES:
        raise DeviceError(f"Unknown device {name!r}: choose one of {', '.join(_CHOICES)}.")
    if kind == "cuda" and not torch.cuda.is_available():
        raise DeviceError("A CUDA device was requested but no CUDA GPU is available here.")
    if kind == "mps" and not torch.backends.mps.is_available():
        raise DeviceError("An MPS device was requested but Apple's MPS is not available here.")
    return torch.device(name)


def usable_cpus() -> int:
    """CPU cores this process may run on: its affinity mask, capped by a cgroup CPU quota.

    ``os.cpu_count()`` counts the host's cores, which on a container (Binder) or under
    ``taskset`` can be more than the process gets.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    try:  # cgroup v2: "max 100000" (no cap) or "200000 100000" (2 cores' worth)
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, int(int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cores)


def describe(device: torch.device) -> str:
    """A short human name for a device, such as ``"NVIDIA H100 (cuda:0)"`` or ``"CPU (4 threads)"``."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"{torch.cuda.get_device_name(index)} (cuda:{index})"
    if device.type == "mps":
        return "Apple GPU (mps)"
    return f"CPU ({torch.get_num_threads()} threads)"
