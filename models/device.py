"""Choosing the device and precision a network runs in (``--device auto|cpu|cuda``)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .errors import ModelError

DEVICE_CHOICES = ("auto", "cpu", "cuda")
PRECISION_CHOICES = ("auto", "float32", "float16")


def choose_device(request: str = "auto") -> torch.device:
    """``auto``: the first CUDA GPU when torch sees one, else the CPU; ``cuda`` / ``cuda:N`` must exist.

    Raises:
        ModelError: an unknown request, or a CUDA device torch cannot use.
    """
    text = request.strip().lower()
    if text == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if text == "cpu":
        return torch.device("cpu")
    kind, _, index = text.partition(":")
    if kind == "cuda" and (not index or index.isdigit()):
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        wanted = int(index or 0)
        if wanted >= count:
            raise ModelError(
                f"CUDA device {wanted} is not available",
                expected=f"a CUDA GPU that torch can use ({count} found)",
                found=f"--device {request}" + ("" if torch.version.cuda else " with a CPU-only torch build"),
                repair="use --device cpu or auto, or install a CUDA build of torch",
            )
        return torch.device("cuda", wanted)
    raise ModelError(
        "Unknown device",
        expected="auto, cpu, cuda or cuda:N",
        found=repr(request),
        repair="pass --device auto, cpu or cuda",
    )


def choose_dtype(device: torch.device, supported: Sequence[str], precision: str = "auto") -> torch.dtype:
    """``auto``: float16 on CUDA when the model supports it, else float32; explicit names must be supported.

    ``supported`` are torch dtype names (a descriptor's ``dtypes``).

    Raises:
        ModelError: an unknown precision, one the model does not support, or float16 on the CPU.
    """
    if precision == "auto":
        name = "float16" if device.type == "cuda" and "float16" in supported else "float32"
        if name not in supported:
            raise ModelError(
                "The model supports no precision Tinct can use here",
                expected="float32 (or float16 on CUDA)",
                found=", ".join(supported),
                repair="check the model descriptor's dtypes",
            )
        return getattr(torch, name)
    if precision not in PRECISION_CHOICES or precision not in supported:
        raise ModelError(
            "Unsupported precision for this model",
            expected=", ".join(supported),
            found=repr(precision),
            repair="pass --precision auto or one of the expected",
        )
    if precision == "float16" and device.type == "cpu":
        raise ModelError(
            "Half precision runs on CUDA only",
            expected="float32 on the CPU",
            found="float16 with --device cpu",
            repair="pass --precision float32 or auto",
        )
    return getattr(torch, precision)
