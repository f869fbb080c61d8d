"""RRDBNet: ESRGAN's residual-in-residual dense network, as Real-ESRGAN uses it (realesrgan-x4plus).

The same layers, parameter names and arithmetic as ``basicsr/archs/rrdbnet_arch.py`` (BasicSR,
Apache-2.0; the Real-ESRGAN weights are BSD-3-Clause), so their state dicts load unchanged::

    conv_first -> body (num_block x RRDB) -> conv_body, + skip
    -> nearest x2 -> conv_up1 -> lrelu -> nearest x2 -> conv_up2 -> lrelu -> conv_hr -> lrelu -> conv_last

RRDB = three ResidualDenseBlocks (five 3x3 convs densely concatenated, growth ``num_grow_ch``,
LeakyReLU 0.2, output ``x5 * 0.2 + x``), then ``out * 0.2 + x``. Scales 2 and 1 fold the input with
pixel-unshuffle first (its spatial size must then be a multiple of 2 or 4). realesrgan-x4plus is
``num_feat=64, num_block=23, num_grow_ch=32, scale=4`` (its ncnn graph: 351 Convolution, leaky
slopes 0.2 fused into them, Eltwise sums with coefficients 0.2 and 1, two nearest Interp x2).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

SCALES = (1, 2, 4)


class ResidualDenseBlock(nn.Module):
    """(B, num_feat, H, W) -> same shape."""

    def __init__(self, num_feat: int = 64, num_grow_ch: int = 32) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(num_feat, num_grow_ch, 3, 1, 1)
        self.conv2 = nn.Conv2d(num_feat + num_grow_ch, num_grow_ch, 3, 1, 1)
        self.conv3 = nn.Conv2d(num_feat + 2 * num_grow_ch, num_grow_ch, 3, 1, 1)
        self.conv4 = nn.Conv2d(num_feat + 3 * num_grow_ch, num_grow_ch, 3, 1, 1)
        self.conv5 = nn.Conv2d(num_feat + 4 * num_grow_ch, num_feat, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(negative_slope=0.2, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = self.lrelu(self.conv1(x))
        x2 = self.lrelu(self.conv2(torch.cat((x, x1), 1)))
        x3 = self.lrelu(self.conv3(torch.cat((x, x1, x2), 1)))
        x4 = self.lrelu(self.conv4(torch.cat((x, x1, x2, x3), 1)))
        x5 = self.conv5(torch.cat((x, x1, x2, x3, x4), 1))
        return x5 * 0.2 + x


class RRDB(nn.Module):
    """(B, num_feat, H, W) -> same shape."""

    def __init__(self, num_feat: int, num_grow_ch: int = 32) -> None:
        super().__init__()
        self.rdb1 = ResidualDenseBlock(num_feat, num_grow_ch)
        self.rdb2 = ResidualDenseBlock(num_feat, num_grow_ch)
        self.rdb3 = ResidualDenseBlock(num_feat, num_grow_ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rdb3(self.rdb2(self.rdb1(x))) * 0.2 + x


class RRDBNet(nn.Module):
    """(B, in, H, W) -> (B, out, scale*H, scale*W); H and W multiples of 4 // scale.

    Images in [0, 1] (sRGB-encoded RGB for the Real-ESRGAN weights); the output is not clamped.
    """

    def __init__(
        self,
        num_in_ch: int = 3,
        num_out_ch: int = 3,
        scale: int = 4,
        num_feat: int = 64,
        num_block: int = 23,
        num_grow_ch: int = 32,
    ) -> None:
        super().__init__()
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
        self.num_in_ch = num_in_ch
        self.num_out_ch = num_out_ch
        self._scale = scale
        folded = num_in_ch * (4 // scale) ** 2
        self.conv_first = nn.Conv2d(folded, num_feat, 3, 1, 1)
        self.body = nn.Sequential(*(RRDB(num_feat, num_grow_ch) for _ in range(num_block)))
        self.conv_body = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_up1 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_up2 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_hr = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_last = nn.Conv2d(num_feat, num_out_ch, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(negative_slope=0.2, inplace=True)

    @property
    def scale(self) -> int:
        return self._scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fold = 4 // self._scale
        feat = F.pixel_unshuffle(x, fold) if fold > 1 else x
        feat = self.conv_first(feat)
        feat = feat + self.conv_body(self.body(feat))
        feat = self.lrelu(self.conv_up1(F.interpolate(feat, scale_factor=2, mode="nearest")))
        feat = self.lrelu(self.conv_up2(F.interpolate(feat, scale_factor=2, mode="nearest")))
        return self.conv_last(self.lrelu(self.conv_hr(feat)))
