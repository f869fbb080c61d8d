"""TorchScript functions compiled into exported models (written for torch 1.12's TorchScript:
Nuke 14); the colour maths of models/export_colour.py and the padding of models/tiling.py."""

from __future__ import annotations

import torch


def affine(x: torch.Tensor, m: list[float]) -> torch.Tensor:
    """(B, 3, H, W) -> M x + m with 12 floats (3 x 3 row-major, offset); exact float maths, no TF32."""
    r, g, b = x[:, 0:1], x[:, 1:2], x[:, 2:3]
    return torch.cat(
        [
            m[0] * r + m[1] * g + m[2] * b + m[9],
            m[3] * r + m[4] * g + m[5] * b + m[10],
            m[6] * r + m[7] * g + m[8] * b + m[11],
        ],
        1,
    )


def _channel(values: list[float], x: torch.Tensor) -> torch.Tensor:
    return torch.tensor(values, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)


def curve_to_encoded(x: torch.Tensor, c: list[float]) -> torch.Tensor:
    """Linear (B, 3, H, W) -> encoded with the :attr:`Curve.params` ``c`` (:data:`IDENTITY_CURVE`: unchanged)."""
    if len(c) < 13:
        return x
    gamma, offset, linear_break, slope = (
        _channel(c[0:3], x),
        _channel(c[3:6], x),
        _channel(c[6:9], x),
        _channel(c[9:12], x),
    )
    v = torch.abs(x) if c[12] > 0.5 else x
    power = (1.0 + offset) * torch.pow(torch.max(v, linear_break), 1.0 / gamma) - offset
    out = torch.where(v > linear_break, power, v * slope)
    return out * torch.where(x < 0, -torch.ones_like(x), torch.ones_like(x)) if c[12] > 0.5 else out


def curve_to_linear(x: torch.Tensor, c: list[float]) -> torch.Tensor:
    """Encoded (B, 3, H, W) -> linear with the :attr:`Curve.params` ``c`` (:data:`IDENTITY_CURVE`: unchanged)."""
    if len(c) < 13:
        return x
    gamma, offset, linear_break, slope = (
        _channel(c[0:3], x),
        _channel(c[3:6], x),
        _channel(c[6:9], x),
        _channel(c[9:12], x),
    )
    encoded_break = linear_break * slope
    v = torch.abs(x) if c[12] > 0.5 else x
    power = torch.pow((torch.max(v, encoded_break) + offset) / (1.0 + offset), gamma)
    out = torch.where(v > encoded_break, power, v / slope)
    return out * torch.where(x < 0, -torch.ones_like(x), torch.ones_like(x)) if c[12] > 0.5 else out


def encode(x: torch.Tensor, m: list[float], c: list[float]) -> torch.Tensor:
    """Working-space (B, 3, H, W) -> the model's encoding, unclamped."""
    return curve_to_encoded(affine(x, m), c)


def decode(x: torch.Tensor, m: list[float], c: list[float]) -> torch.Tensor:
    """The model's encoding (B, 3, H, W) -> working space."""
    return affine(curve_to_linear(x, c), m)


def luminance(x: torch.Tensor, w: list[float]) -> torch.Tensor:
    """(B, 3, H, W) -> (B, 1, H, W) ``w . RGB``."""
    return w[0] * x[:, 0:1] + w[1] * x[:, 1:2] + w[2] * x[:, 2:3]


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Pad bottom and right to multiples of ``multiple``: reflected, or edge-repeated when a pad is
    not narrower than the image (as :func:`tinct.models.tiling.run_tiled`)."""
    height, width = x.shape[2], x.shape[3]
    pad_h, pad_w = (multiple - height % multiple) % multiple, (multiple - width % multiple) % multiple
    reflect = pad_h < height and pad_w < width
    if pad_h > 0:
        rows = (
            x[:, :, height - 1 - pad_h : height - 1].flip([2])
            if reflect
            else x[:, :, height - 1 :].expand(-1, -1, pad_h, -1)
        )
        x = torch.cat([x, rows], 2)
    if pad_w > 0:
        cols = (
            x[:, :, :, width - 1 - pad_w : width - 1].flip([3])
            if reflect
            else x[:, :, :, width - 1 :].expand(-1, -1, -1, pad_w)
        )
        x = torch.cat([x, cols], 3)
    return x


def resize_bilinear(x: torch.Tensor, scale: int) -> torch.Tensor:
    """Bilinear with half-pixel centres, edges repeated (:func:`tinct.models.upscale.resize_bilinear`)."""
    if scale == 1:
        return x
    return torch._C._nn.upsample_bilinear2d(x, [x.shape[2] * scale, x.shape[3] * scale], False, None)


def chroma_ratio(rgb: torch.Tensor, w: list[float], dark_offset: float) -> torch.Tensor:
    """Linear (B, 3, H, W) -> chroma ratio with ``w . c == 1`` (:func:`tinct.core.chroma.chroma_ratio`)."""
    positive = torch.clamp(rgb, min=0.0) + dark_offset
    ratio = positive / torch.clamp(luminance(positive, w), min=1e-12)
    return torch.where(luminance(rgb, w) > 0, ratio, torch.ones_like(ratio))


def check_input(x: torch.Tensor) -> None:
    if x.dim() != 4 or x.shape[1] < 3:
        raise ValueError(
            "expected a 1 x 3 x H x W scene-linear RGB image (Channels In: rgba.red, rgba.green, rgba.blue)"
        )


def choice(index: int, count: int) -> int:
    return max(0, min(index, count - 1))
