"""Network architectures Tinct can build from a descriptor: explicit, no discovery.

``build_network(architecture, params, scale)`` makes a randomly initialised network (load weights
into it afterwards). When ``scale`` is below the network's own, its output is resized with bicubic
(A = -0.75, half-pixel centres, edge pixels repeated), which is what the ncnn graphs of
realesr-animevideov3-x2 and -x3 do after the x4 network (their last layer, an ncnn Interp).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

import torch
import torch.nn.functional as F
from torch import nn

from .colornet import TinctColorNet
from .rrdbnet import RRDBNet
from .srvgg import SRVGGNetCompact

__all__ = ["ARCHITECTURES", "Network", "OutputResize", "RRDBNet", "SRVGGNetCompact", "TinctColorNet", "build_network"]

Network = SRVGGNetCompact | RRDBNet | TinctColorNet

ARCHITECTURES: Mapping[str, Callable[..., Network]] = MappingProxyType(
    {"SRVGGNetCompact": SRVGGNetCompact, "RRDBNet": RRDBNet, "TinctColorNet": TinctColorNet}
)


class OutputResize(nn.Module):
    """A network followed by a bicubic resize of its output by ``scale / network.scale`` (< 1).

    The wrapped network's parameter names are kept under ``network.``; load weights into
    :attr:`network`.
    """

    def __init__(self, network: Network, scale: int) -> None:
        super().__init__()
        native = network.scale
        if not 0 < scale < native:
            raise ValueError(f"an output resize needs 0 < scale < {native}, got {scale}")
        self.network = network
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.network(x)
        size = (x.shape[-2] * self.scale, x.shape[-1] * self.scale)
        return F.interpolate(out, size=size, mode="bicubic", align_corners=False)


def build_network(architecture: str, params: Mapping[str, object], scale: int) -> Network | OutputResize:
    """A new network of a known architecture with ``params`` as its constructor's keyword arguments.

    Raises:
        KeyError: the architecture is unknown (the registry checks names before calling).
        ValueError: ``scale`` is above the network's own, or a parameter is out of range.
    """
    network = ARCHITECTURES[architecture](**params)
    if scale == network.scale:
        return network
    return OutputResize(network, scale)
