"""Where a node's per-pixel work runs, from the request's device (``--device auto|cpu|cuda``)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tinct.core.pixels import Pixels


def pixels_for(device: str) -> Pixels:
    """OpenCV on the CPU for ``cpu``, and for ``auto`` where torch sees no CUDA GPU (OpenCV is the
    faster of the two on a CPU); torch on the GPU for ``cuda`` or ``cuda:N``, and for ``auto`` where
    torch sees one.

    Raises:
        ModelError: ``cuda`` where torch sees no usable GPU (the message says what to do).
    """
    # Imported here: node modules load in Nuke's and Resolve's own Pythons, which lack numpy and torch.
    from tinct.core.pixels import OPENCV

    if device == "cpu" or (device == "auto" and not _torch_may_see_cuda()):
        return OPENCV
    from tinct.core.pixels_torch import TorchPixels
    from tinct.models.device import choose_device

    chosen = choose_device(device)
    return TorchPixels(chosen) if chosen.type == "cuda" else OPENCV


def _torch_may_see_cuda() -> bool:
    """False for a CPU-only build of torch (its version ends in ``+cpu``): known without importing
    torch, which costs a second and 200 MB in every worker process."""
    try:
        return not version("torch").endswith("+cpu")
    except PackageNotFoundError:
        return False
