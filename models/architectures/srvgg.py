"""SRVGGNetCompact: Real-ESRGAN's compact VGG-style super-resolution network (realesr-animevideov3).

The same layers, parameter names and arithmetic as ``realesrgan/archs/srvgg_arch.py`` of
Real-ESRGAN (BSD-3-Clause), so its state dicts load unchanged::

    body.0   Conv2d(in, feat, 3)        body.1  activation
    body.2k  Conv2d(feat, feat, 3)      body.2k+1 activation      (k = 1 .. num_conv)
    body.-1  Conv2d(feat, out * upscale**2, 3)
    out = PixelShuffle(upscale)(body(x)) + nearest_upsample(x, upscale)

realesr-animevideov3 is ``num_feat=64, num_conv=16, upscale=4, act_type="prelu"`` (its ncnn graph:
18 Convolution, 17 PReLU with 64 slopes, PixelShuffle 4, Interp nearest 4, BinaryOp add).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

ACTIVATIONS = ("prelu", "relu", "leakyrelu")


class SRVGGNetCompact(nn.Module):
    """(B, in, H, W) -> (B, out, upscale*H, upscale*W), any float dtype; no size multiple.

    Images in [0, 1] (Real-ESRGAN trains on sRGB-encoded RGB); the output is not clamped.
    """

    def __init__(
        self,
        num_in_ch: int = 3,
        num_out_ch: int = 3,
        num_feat: int = 64,
        num_conv: int = 16,
        upscale: int = 4,
        act_type: str = "prelu",
    ) -> None:
        super().__init__()
        if act_type not in ACTIVATIONS:
            raise ValueError(f"act_type must be one of {ACTIVATIONS}, got {act_type!r}")
        self.num_in_ch = num_in_ch
        self.num_out_ch = num_out_ch
        self.upscale = upscale
        self.body = nn.ModuleList([nn.Conv2d(num_in_ch, num_feat, 3, 1, 1), _activation(act_type, num_feat)])
        for _ in range(num_conv):
            self.body.append(nn.Conv2d(num_feat, num_feat, 3, 1, 1))
            self.body.append(_activation(act_type, num_feat))
        self.body.append(nn.Conv2d(num_feat, num_out_ch * upscale * upscale, 3, 1, 1))
        self.upsampler = nn.PixelShuffle(upscale)

    @property
    def scale(self) -> int:
        return self.upscale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        for layer in self.body:
            out = layer(out)
        return self.upsampler(out) + F.interpolate(x, scale_factor=self.upscale, mode="nearest")


def _activation(act_type: str, num_feat: int) -> nn.Module:
    if act_type == "prelu":
        return nn.PReLU(num_parameters=num_feat)
    if act_type == "relu":
        return nn.ReLU(inplace=True)
    return nn.LeakyReLU(negative_slope=0.1, inplace=True)
