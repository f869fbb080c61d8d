"""Tiled inference: run an image-to-image network on frames larger than the device's memory allows.

The frame is cut into cores of at most ``tile`` x ``tile`` input pixels, as few as possible and of
equal size, neighbours overlapping by at least ``overlap``. The network sees each core with
``context`` extra pixels on every side (real image pixels, not padding), which are cropped from its
output; within the overlaps, neighbouring outputs are cross-faded with raised-cosine ramps
(weights ``sin^2``, normalised by their sum). With a
``context`` at least the network's receptive radius, the tiled result equals the untiled one up to
float rounding; with less (deep networks such as RRDBNet), the remaining differences are spread
smoothly over the overlap instead of forming a seam.

Inputs are padded on the bottom and right to the network's size multiple (reflect; edge repeat for
pads wider than the image) and the output cropped back. Outputs are accumulated on the CPU in
float32, so the device only ever holds one tile.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .errors import ModelError


@dataclass(frozen=True)
class Tiling:
    """Tile geometry in input pixels: core size, blend overlap, and hidden context per side."""

    tile: int = 256
    overlap: int = 16
    context: int = 16

    def __post_init__(self) -> None:
        if self.tile < 8 or self.overlap < 0 or self.context < 0 or 2 * self.overlap > self.tile:
            raise ModelError(
                "Invalid tiling",
                expected="tile >= 8, context >= 0 and 0 <= overlap <= tile / 2",
                found=f"tile {self.tile}, overlap {self.overlap}, context {self.context}",
                repair="choose a larger tile or a smaller overlap",
            )


DEFAULT_TILING = Tiling()


def run_tiled(
    network: Callable[[torch.Tensor], torch.Tensor],
    image: torch.Tensor,
    *,
    scale: int,
    tiling: Tiling = DEFAULT_TILING,
    size_multiple: int = 1,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """(B, C, H, W) float image on any device -> (B, C', scale*H, scale*W) float32 on the CPU.

    ``network`` maps (B, C, h, w) in ``dtype`` on ``device`` to (B, C', scale*h, scale*w) for every
    h, w that are multiples of ``size_multiple``.

    Raises:
        ModelError: the image is not 4-D, or the network's output has an unexpected size.
    """
    if image.ndim != 4 or image.shape[-1] == 0 or image.shape[-2] == 0:
        raise ModelError(
            "Tiled inference needs a batch of non-empty images",
            expected="(B, C, H, W), H, W > 0",
            found=str(tuple(image.shape)),
            repair="pass a non-empty (B, C, H, W) tensor",
        )
    batch, _, height, width = image.shape
    tiling = _aligned(tiling, size_multiple)
    rows, cols = _cores(height, tiling, size_multiple), _cores(width, tiling, size_multiple)
    output = torch.empty(0)  # allocated by the first tile, which tells the output channels
    weight_sum = torch.zeros(1, 1, height * scale, width * scale)
    for y0, y1 in rows:
        for x0, x1 in cols:
            top, left = max(0, y0 - tiling.context), max(0, x0 - tiling.context)
            bottom, right = min(height, y1 + tiling.context), min(width, x1 + tiling.context)
            crop = image[:, :, top:bottom, left:right].to(device=device, dtype=dtype)
            result = _run_padded(network, crop, scale, size_multiple)
            core = result[:, :, (y0 - top) * scale : (y1 - top) * scale, (x0 - left) * scale : (x1 - left) * scale]
            window = (
                _ramp(y1 - y0, y0 > 0, y1 < height, tiling.overlap, scale)[:, None]
                * _ramp(x1 - x0, x0 > 0, x1 < width, tiling.overlap, scale)[None, :]
            )
            if output.numel() == 0:
                output = torch.zeros(batch, core.shape[1], height * scale, width * scale)
            ys, xs = slice(y0 * scale, y1 * scale), slice(x0 * scale, x1 * scale)
            output[:, :, ys, xs] += core.float().cpu() * window
            weight_sum[:, :, ys, xs] += window
    return output.div_(weight_sum)


def _aligned(tiling: Tiling, multiple: int) -> Tiling:
    """The tiling with every length rounded up to ``multiple``, so that every crop starts on the
    network's grid (pixel-unshuffle phases stay those of the whole frame)."""

    def up(value: int) -> int:
        return -(-value // multiple) * multiple

    overlap = up(tiling.overlap)
    return Tiling(tile=max(up(tiling.tile), 2 * overlap), overlap=overlap, context=up(tiling.context))


def _cores(length: int, tiling: Tiling, multiple: int) -> list[tuple[int, int]]:
    """[start, end) of the cores along one axis, covering [0, length).

    As few cores as ``tile`` allows with neighbours overlapping by at least ``overlap``, all of one
    length (so no core is wasted on a sliver), starting on multiples of ``multiple``; the last
    one ends at ``length``.
    """
    if length <= tiling.tile:
        return [(0, length)]
    count = math.ceil((length - tiling.overlap) / (tiling.tile - tiling.overlap))
    core = -(-(length + (count - 1) * tiling.overlap) // (count * multiple)) * multiple
    last = (length - core) // multiple * multiple
    starts = sorted({min(i * (core - tiling.overlap), last) for i in range(count)})
    return [(s, s + core) for s in starts[:-1]] + [(starts[-1], length)]


def _ramp(length: int, fade_in: bool, fade_out: bool, overlap: int, scale: int) -> torch.Tensor:
    """(length*scale,) float32 window: raised-cosine ramps over ``overlap*scale`` at faded ends, else 1."""
    size, width = length * scale, overlap * scale
    window = torch.ones(size)
    if width == 0:
        return window
    rise = torch.sin(0.5 * math.pi * (torch.arange(width) + 0.5) / width) ** 2
    if fade_in:
        window[:width] = rise
    if fade_out:  # a core shorter than two ramps keeps the lower weight where they meet
        window[size - width :] = torch.minimum(window[size - width :], rise.flip(0))
    return window


def _run_padded(
    network: Callable[[torch.Tensor], torch.Tensor], crop: torch.Tensor, scale: int, size_multiple: int
) -> torch.Tensor:
    height, width = crop.shape[-2:]
    pad_h, pad_w = -height % size_multiple, -width % size_multiple
    if pad_h or pad_w:
        mode = "reflect" if pad_h < height and pad_w < width else "replicate"
        crop = F.pad(crop, (0, pad_w, 0, pad_h), mode=mode)
    with torch.inference_mode():
        result = network(crop)
    expected = (crop.shape[-2] * scale, crop.shape[-1] * scale)
    if tuple(result.shape[-2:]) != expected:
        raise ModelError(
            "The network's output has an unexpected size",
            expected=f"{expected} (scale {scale})",
            found=str(tuple(result.shape[-2:])),
            repair="check the model descriptor's scale",
        )
    return result[:, :, : height * scale, : width * scale]
