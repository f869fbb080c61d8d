"""The torch backend of :mod:`tinct.core.pixels`: the per-pixel work of propagation and restoration
on a torch device.

Each operation reproduces its OpenCV counterpart's definition (sampling positions, border rules,
kernel sizes), so the two backends agree within :data:`tinct.core.pixels.TOLERANCE_DB` (and
:data:`~tinct.core.pixels.RESTORE_TOLERANCE_DB`). Arrays stay channels-last like numpy's; the
filters move channels first only inside an operation.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from tinct.core.pixels import NONLOCAL_LEAST


class TorchPixels:
    """Torch on ``device``, float32."""

    exp = staticmethod(torch.exp)
    fast_exp = staticmethod(torch.exp)
    sqrt = staticmethod(torch.sqrt)
    where = staticmethod(torch.where)
    stack = staticmethod(torch.stack)

    def __init__(self, device: torch.device | str) -> None:
        self.device = torch.device(device)
        self.name = f"torch:{self.device}"
        if self.device.type == "cuda":
            # cuDNN runs float32 convolutions (the filters here) in TF32 by default, with a 10-bit
            # mantissa: too coarse to agree with OpenCV. Process-wide; networks run in float16 on CUDA.
            torch.backends.cudnn.allow_tf32 = False

    def upload(self, array: np.ndarray) -> torch.Tensor:
        # Torch holds no read-only memory (a source frame may lend its pixels read-only): such an array is copied.
        array = np.ascontiguousarray(array) if array.flags.writeable else np.array(array)
        return torch.from_numpy(array).to(self.device)

    def download(self, array: torch.Tensor) -> np.ndarray:
        return array.cpu().numpy()

    def grid(self, height: int, width: int) -> torch.Tensor:
        return _grid(height, width, self.device)

    def ones(self, shape: tuple[int, ...]) -> torch.Tensor:
        return torch.ones(shape, dtype=torch.float32, device=self.device)

    def ones_like(self, array: torch.Tensor) -> torch.Tensor:
        return torch.ones_like(array)

    def contiguous(self, array: torch.Tensor) -> torch.Tensor:
        return array.contiguous()

    def mask(self, shape: tuple[int, ...], value: bool) -> torch.Tensor:
        return torch.full(shape, value, dtype=torch.bool, device=self.device)

    def copy(self, array: torch.Tensor) -> torch.Tensor:
        return array.clone()

    def float32(self, array: torch.Tensor) -> torch.Tensor:
        return array.to(torch.float32)

    def maximum(self, a: torch.Tensor, b: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        return torch.maximum(a, b, out=out) if out is not None else torch.maximum(a, b)

    def minimum(self, a: torch.Tensor, b: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        return torch.minimum(a, b, out=out) if out is not None else torch.minimum(a, b)

    def concatenate(self, arrays: list[torch.Tensor], axis: int) -> torch.Tensor:
        return torch.cat(arrays, dim=axis)

    def remap(self, image: torch.Tensor, coords: torch.Tensor, border: float | None = 0.0) -> torch.Tensor:
        height, width = image.shape[:2]
        # grid_sample's coordinates with align_corners: -1 and 1 are the centres of the edge pixels.
        scale = torch.tensor([2.0 / max(width - 1, 1), 2.0 / max(height - 1, 1)], device=self.device)
        grid = coords * scale - 1.0
        if border is None:
            return _from_nchw(F.grid_sample(_to_nchw(image), grid[None], "bilinear", "border", True), image)
        # Outside samples read zeros: shift the image so that zero stands for the border value.
        shift = _border(image, border)
        sampled = _from_nchw(F.grid_sample(_to_nchw(image - shift), grid[None], "bilinear", "zeros", True), image)
        return sampled + shift

    def resize(self, image: torch.Tensor, size: tuple[int, int], area: bool = False) -> torch.Tensor:
        width, height = size
        if not area:
            resized = F.interpolate(_to_nchw(image), size=(height, width), mode="bilinear", align_corners=False)
            return _from_nchw(resized, image)
        # OpenCV's area shrink weighs each input pixel by how much of it an output pixel covers;
        # torch's adaptive pooling does not, for factors that are not whole numbers.
        rows = _area_weights(image.shape[0], height, self.device)
        columns = _area_weights(image.shape[1], width, self.device)
        flat = image.reshape(image.shape[0], image.shape[1], -1)
        shrunk = torch.einsum("oy,yxc,px->opc", rows, flat, columns)
        return shrunk.reshape((height, width) + tuple(image.shape[2:]))

    def gaussian(self, image: torch.Tensor, sigma: float) -> torch.Tensor:
        # OpenCV's kernel for float images: size round(8 sigma + 1), made odd.
        size = round(sigma * 8 + 1) | 1
        kernel = torch.from_numpy(cv2.getGaussianKernel(size, sigma).astype(np.float32).ravel()).to(self.device)
        return _separable(image, kernel, reflect_101=True)

    def box(self, image: torch.Tensor, size: int) -> torch.Tensor:
        kernel = torch.full((size,), 1.0 / size, dtype=torch.float32, device=self.device)
        return _separable(image, kernel, reflect_101=False)

    def perspective(self, grid: torch.Tensor, model: np.ndarray) -> torch.Tensor:
        matrix = torch.from_numpy(model).to(self.device, torch.float64)
        points = grid.to(torch.float64)
        moved = points @ matrix[:, :2].T + matrix[:, 2]
        return (moved[..., :2] / moved[..., 2:]).to(torch.float32)

    def warp_cubic(self, image: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
        # Taps gathered at absolute coordinates: grid_sample's normalised ones lose precision on large images.
        x, y = coords[..., 0], coords[..., 1]
        left, top = torch.floor(x), torch.floor(y)
        return _taps(image, top.long() - 1, left.long() - 1, _cubic_weights(y - top), _cubic_weights(x - left))

    def warp_lanczos(self, image: torch.Tensor, matrix: np.ndarray) -> torch.Tensor:
        height, width = image.shape[:2]
        x, y = _fixed_point_positions(matrix, height, width, self.device)
        table = _lanczos_table(self.device)
        rows, columns = table[y & (_TAB - 1)].unbind(-1), table[x & (_TAB - 1)].unbind(-1)
        return _taps(image, (y >> _TAB_BITS) - 3, (x >> _TAB_BITS) - 3, rows, columns)

    def dilate(self, image: torch.Tensor, size: int) -> torch.Tensor:
        if image.dtype == torch.bool:
            return self.dilate(image.to(torch.float32), size) > 0
        # Max pooling pads with -inf: the window is cut at the edges, as OpenCV's default border does.
        return _from_nchw(F.max_pool2d(_to_nchw(image), size, stride=1, padding=size // 2), image)

    def erode(self, image: torch.Tensor, size: int) -> torch.Tensor:
        return -self.dilate(-image, size)

    def pyr_down(self, image: torch.Tensor) -> torch.Tensor:
        kernel = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0], device=self.device) / 16.0
        return _separable(image, kernel, reflect_101=True)[::2, ::2].contiguous()

    def lookup(self, image: torch.Tensor, table: np.ndarray, scale: float) -> torch.Tensor:
        codes = (image * float(scale)).abs().round().clamp(max=255.0).nan_to_num(nan=255.0).long()
        return torch.from_numpy(np.asarray(table, np.float32)).to(self.device)[codes]

    def dot(self, array: torch.Tensor, weights: np.ndarray) -> torch.Tensor:
        return array @ torch.from_numpy(np.asarray(weights)).to(self.device, array.dtype)

    def norm(self, vectors: torch.Tensor) -> torch.Tensor:
        return torch.linalg.vector_norm(vectors, dim=-1)

    def mix(self, a: torch.Tensor, b: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        share = weight[..., None]
        return b.mul_(share).add_(a * (1.0 - share))

    def slice_grid(self, layers: torch.Tensor, guide: torch.Tensor, step: float) -> torch.Tensor:
        count, gh, gw = layers.shape[:3]
        height, width = guide.shape
        # One trilinear read of the grid as a volume (channels, layer, y, x), in grid_sample's
        # coordinates with align_corners (-1 and 1 are the first and last centres); border clamps.
        xs = (torch.arange(width, dtype=torch.float32, device=self.device) + 0.5) * (gw / width) - 0.5
        ys = (torch.arange(height, dtype=torch.float32, device=self.device) + 0.5) * (gh / height) - 0.5
        u = (xs * (2.0 / max(gw - 1, 1)) - 1.0).expand(height, width)
        v = (ys * (2.0 / max(gh - 1, 1)) - 1.0)[:, None].expand(height, width)
        w = (guide / step) * (2.0 / (count - 1)) - 1.0
        volume = layers.permute(3, 0, 1, 2)[None]
        where = torch.stack([u, v, w], dim=-1)[None, None]  # (1, 1, H, W, 3)
        sliced = F.grid_sample(volume, where, "bilinear", "border", True)  # (1, C, 1, H, W)
        return sliced[0, :, 0].permute(1, 2, 0)

    def nonlocal_means(self, image: torch.Tensor, rate: torch.Tensor, radius: int, patch: int) -> torch.Tensor:
        height, width = image.shape
        half = patch // 2
        reach = radius + half
        rows, columns = (_mirrored(n, reach, reflect_101=False).to(self.device) for n in (height, width))
        padded = image[rows][:, columns]
        wide_height, wide_width = height + 2 * half, width + 2 * half
        centre = padded[radius : radius + wide_height, radius : radius + wide_width]
        total = image.clone()
        weights = torch.ones_like(image)
        for dy in range(-radius, radius + 1):
            for dx in range(-radius, radius + 1):
                if dy == 0 and dx == 0:
                    continue
                other = padded[radius + dy : radius + dy + wide_height, radius + dx : radius + dx + wide_width]
                difference = centre - other
                distance = F.avg_pool2d((difference * difference)[None, None], patch, stride=1, divisor_override=1)[
                    0, 0
                ]
                weight = torch.exp((distance * rate).clamp(min=NONLOCAL_LEAST))
                weights += weight
                total += weight * other[half : half + height, half : half + width]
        return total / weights


@functools.lru_cache(maxsize=8)
def _grid(height: int, width: int, device: torch.device) -> torch.Tensor:
    ys, xs = torch.meshgrid(
        torch.arange(height, dtype=torch.float32, device=device),
        torch.arange(width, dtype=torch.float32, device=device),
        indexing="ij",
    )
    return torch.stack([xs, ys], dim=-1)


@functools.lru_cache(maxsize=16)
def _area_weights(size_in: int, size_out: int, device: torch.device) -> torch.Tensor:
    """(out, in): the share of each input pixel in each output pixel of an area shrink."""
    if size_out > size_in:
        raise ValueError(f"an area resize shrinks: {size_in} -> {size_out}")
    scale = size_in / size_out
    edges = np.arange(size_out + 1) * scale
    starts, ends = edges[:-1, None], edges[1:, None]
    pixels = np.arange(size_in)[None, :]
    overlap = np.clip(np.minimum(ends, pixels + 1) - np.maximum(starts, pixels), 0.0, None)
    return torch.from_numpy((overlap / scale).astype(np.float32)).to(device)


def _cubic_weights(t: torch.Tensor) -> list[torch.Tensor]:
    """The four weights of OpenCV's bicubic kernel (a = -0.75) at fraction ``t``, in its order of operations."""
    a = -0.75
    first = ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a
    second = ((a + 2) * t - (a + 3)) * t * t + 1
    third = ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1
    return [first, second, third, 1 - first - second - third]


# OpenCV's warps place samples on a grid of 1/_TAB pixel; warpAffine computes positions in fixed
# point with _AFFINE_BITS fraction bits.
_TAB_BITS = 5
_TAB = 1 << _TAB_BITS
_AFFINE_BITS = 10


def _fixed_point_positions(
    matrix: np.ndarray, height: int, width: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """(H, W) int64 positions (x, y), in 1/32 pixel, that warpAffine samples for the (2, 3) inverse
    map ``matrix``: its parts along a row and down a column each rounded to 1/1024 pixel, their sum
    rounded down to 1/32."""
    scale = 1 << _AFFINE_BITS
    columns, rows = np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64)
    positions = []
    for m in matrix:
        along = torch.from_numpy(np.rint(m[0] * columns * scale).astype(np.int64)).to(device)
        down = torch.from_numpy(np.rint((m[1] * rows + m[2]) * scale).astype(np.int64) + scale // _TAB // 2).to(device)
        positions.append((down[:, None] + along) >> (_AFFINE_BITS - _TAB_BITS))
    return positions[0], positions[1]


@functools.lru_cache(maxsize=4)
def _lanczos_table(device: torch.device) -> torch.Tensor:
    """(32, 8) float32 Lanczos-4 weights at fractions k / 32, computed as OpenCV computes them."""
    s45 = 0.70710678118654752440084436210485
    phases = [(1, 0), (-s45, -s45), (0, 1), (s45, -s45), (-1, 0), (s45, s45), (0, -1), (-s45, s45)]
    rows = np.zeros((_TAB, 8), np.float32)
    for k in range(_TAB):
        x = np.float32(k) * np.float32(1.0 / _TAB)
        if x < np.finfo(np.float32).eps:
            rows[k, 3] = 1.0
            continue
        y0 = -float(x + np.float32(3)) * np.pi * 0.25
        s0, c0 = np.sin(y0), np.cos(y0)
        for i, (a, b) in enumerate(phases):
            y = -float(x + np.float32(3 - i)) * np.pi * 0.25
            rows[k, i] = np.float32((a * s0 + b * c0) / (y * y))
        total = np.float32(0.0)
        for value in rows[k]:
            total = np.float32(total + value)
        rows[k] *= np.float32(1.0) / total
    return torch.from_numpy(rows).to(device)


def _taps(
    image: torch.Tensor, top: torch.Tensor, left: torch.Tensor, rows: list[torch.Tensor], columns: list[torch.Tensor]
) -> torch.Tensor:
    """Sum of ``image[top + j, left + i] * rows[j] * columns[i]`` over the taps at each output pixel,
    indices held to the image (its edge repeated); ``top``, ``left`` and the weights are (H, W)."""
    height, width = image.shape[:2]
    flat = image.reshape(height * width, -1)
    across = [(left + i).clamp(0, width - 1) for i in range(len(columns))]
    out = None
    for j, row_weight in enumerate(rows):
        start = (top + j).clamp(0, height - 1) * width
        for i, column_weight in enumerate(columns):
            tap = flat[start + across[i]] * (row_weight * column_weight)[..., None]
            out = tap if out is None else out + tap
    return out.reshape(top.shape + image.shape[2:])


def _mirrored(size: int, radius: int, reflect_101: bool) -> torch.Tensor:
    """Indices of ``size`` samples padded by ``radius`` on each side, the border mirrored with
    (dcb|abcd|cba) or without (cba|abcd|dcb) repeating the edge, however wide the padding."""
    index = np.arange(-radius, size + radius)
    if size == 1:
        return torch.zeros(len(index), dtype=torch.long)
    period = 2 * size - 2 if reflect_101 else 2 * size
    index = np.mod(index, period)
    index = np.where(index >= size, period - index - (0 if reflect_101 else 1), index)
    return torch.from_numpy(index)


def _separable(image: torch.Tensor, kernel: torch.Tensor, reflect_101: bool) -> torch.Tensor:
    """The symmetric ``kernel`` along both axes of (H, W) or (H, W, C) ``image``, the border mirrored."""
    radius = len(kernel) // 2
    planes = _to_nchw(image)[0]  # (C, H, W)
    channels = planes.shape[0]
    weights = kernel[None, None].expand(channels, 1, -1)
    for axis in (1, 2):
        index = _mirrored(planes.shape[axis], radius, reflect_101).to(image.device)
        lines = planes.index_select(axis, index).movedim(axis, -1)  # (C, other axis, padded length)
        filtered = F.conv1d(lines.transpose(0, 1), weights, groups=channels)  # (other axis, C, length)
        planes = filtered.transpose(0, 1).movedim(-1, axis)
    return _from_nchw(planes[None], image)


def _border(image: torch.Tensor, border: float) -> torch.Tensor:
    """OpenCV's single border value: in the first channel, zero in the others."""
    if image.ndim == 2:
        return torch.tensor(border, dtype=image.dtype, device=image.device)
    shift = torch.zeros(image.shape[2], dtype=image.dtype, device=image.device)
    shift[0] = border
    return shift


def _to_nchw(image: torch.Tensor) -> torch.Tensor:
    return image[None, None] if image.ndim == 2 else image.permute(2, 0, 1)[None]


def _from_nchw(batch: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return batch[0, 0] if like.ndim == 2 else batch[0].permute(1, 2, 0)
