"""Where the per-pixel work of colour propagation and of restoration runs: the image operations
they are written in.

Propagation (:mod:`tinct.core.propagation`), the fills of :mod:`tinct.core.guided` and the
restoration of a frame (:mod:`tinct.core.restore.pipeline`) are written once, against
:class:`Pixels`: arrays are (H, W) or (H, W, C) float32, channels last, and every operation that
is not plain arithmetic goes through the backend. Two backends exist:

- :data:`OPENCV`: numpy and OpenCV on the CPU. The default, and the fastest on a CPU.
- :class:`tinct.core.pixels_torch.TorchPixels`: torch on a device (a CUDA GPU for speed; the CPU
  for tests). Its results match OpenCV's within :data:`TOLERANCE_DB` (a restoration's within
  :data:`RESTORE_TOLERANCE_DB`), not bit for bit: OpenCV samples images of two channels (the
  coordinate maps) at 1/32-pixel steps, torch at full precision.

Optical flow, the dominant-motion fit and the texture matcher stay on the CPU, and so do
restoration's measurements on small or sparse data (exposure, grain curve, scratch profiles, the
connected defects): they take host arrays (:meth:`Pixels.download`) and give them back
(:meth:`Pixels.upload`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeAlias

import cv2
import numpy as np

from tinct.core.flow import identity_grid, magnitude

# An array of the backend: np.ndarray for OpenCV, torch.Tensor for torch.
Array: TypeAlias = Any
# How far a shot coloured with the torch backend may differ from OpenCV's: every frame's PSNR (RGB,
# the peak being the OpenCV frame's brightest value) against OpenCV's frame. Sampling positions
# differ in the last bits, and a pixel at a test's threshold may decide the other way, so a few
# pixels differ visibly while the frame agrees.
TOLERANCE_DB = 40.0
# How far a shot restored with the torch backend may differ from OpenCV's, measured the same way.
# Restoration samples at the same positions in both (its warps included): damaged test shots agree
# at 131 dB and better (largest difference 6e-6), with every dust decision the same; the margin is
# for other summation orders. A decision taken the other way at a threshold would cost far more.
RESTORE_TOLERANCE_DB = 100.0
# Pixels of a strip of OpenCV's non-local means (:meth:`OpenCVPixels.nonlocal_means`): 128 rows
# at 1080p (2.1x quicker than whole planes with the restoration's 3x3 window; 16 rows 1.7x, 256
# 1.9x), all of the restoration's tall, narrow images of tiles at once (calls of a few rows of
# them cost more than their work).
NONLOCAL_STRIP = 128 * 1920
# The least exponent of a non-local weight (e^-80 is about 2e-35, above float32's least normal number).
NONLOCAL_LEAST = -80.0
# The most channels OpenCV's merge joins into one image (OpenCV 5).
MERGE_CHANNELS = 128


class Pixels(Protocol):
    """The image operations propagation and restoration need, on one device. Arrays are float32 unless said."""

    name: str

    def upload(self, array: np.ndarray) -> Array:
        """A host array on this backend's device (the same array for OpenCV)."""
        ...

    def download(self, array: Array) -> np.ndarray:
        """A backend array on the host (the same array for OpenCV)."""
        ...

    def grid(self, height: int, width: int) -> Array:
        """(H, W, 2) absolute pixel coordinates (x, y); read-only."""
        ...

    def ones(self, shape: tuple[int, ...]) -> Array: ...

    def contiguous(self, array: Array) -> Array:
        """``array`` in memory of its own, not a view into a larger one."""
        ...

    def ones_like(self, array: Array) -> Array: ...

    def mask(self, shape: tuple[int, ...], value: bool) -> Array:
        """A boolean array, every element ``value``."""
        ...

    def copy(self, array: Array) -> Array:
        """``array`` in new memory of its own."""
        ...

    def float32(self, array: Array) -> Array:
        """``array`` as float32 (itself when it already is)."""
        ...

    def remap(self, image: Array, coords: Array, border: float | None = 0.0) -> Array:
        """``image`` sampled bilinearly at the absolute coordinates ``coords`` (H, W, 2) (x, y);
        outside, ``border`` in the first channel and 0 in the others, as OpenCV reads one border
        value (None: the edge repeated)."""
        ...

    def resize(self, image: Array, size: tuple[int, int], area: bool = False) -> Array:
        """``image`` at ``size`` (width, height): bilinear with pixel centres aligned, or (``area``,
        shrinking only) each output pixel the mean of the input area it covers."""
        ...

    def gaussian(self, image: Array, sigma: float) -> Array:
        """Gaussian blur of standard deviation ``sigma`` pixels, the border mirrored (dcb|abcd|cba)."""
        ...

    def box(self, image: Array, size: int) -> Array:
        """Mean over the ``size`` x ``size`` window around each pixel, the border mirrored (cba|abcd|dcb)."""
        ...

    def perspective(self, grid: Array, model: np.ndarray) -> Array:
        """Points (H, W, 2) moved by the 3x3 homography ``model``."""
        ...

    def warp_cubic(self, image: Array, coords: Array) -> Array:
        """``image`` sampled bicubically (OpenCV's kernel, a = -0.75) at absolute coordinates
        ``coords`` (H, W, 2) (x, y); outside, the edge repeated."""
        ...

    def warp_lanczos(self, image: Array, matrix: np.ndarray) -> Array:
        """``image`` sampled at ``matrix @ (x, y, 1)`` for each of its pixels (x, y), ``matrix`` a
        (2, 3) affine map: Lanczos (8 x 8 taps) at positions rounded to 1/32 pixel as OpenCV's
        warpAffine does; outside, the edge repeated."""
        ...

    def dilate(self, image: Array, size: int) -> Array:
        """Maximum over the ``size`` x ``size`` window around each pixel, the window cut at the
        image's edges (float32 images, or bool masks)."""
        ...

    def erode(self, image: Array, size: int) -> Array:
        """Minimum over the ``size`` x ``size`` window around each pixel, the window cut at the edges."""
        ...

    def pyr_down(self, image: Array) -> Array:
        """``image`` blurred by the 5 x 5 binomial kernel (border mirrored, dcb|abcd|cba) and every
        other row and column kept: ((H + 1) // 2, (W + 1) // 2)."""
        ...

    def lookup(self, image: Array, table: np.ndarray, scale: float) -> Array:
        """``table[k]`` (256 float32 entries) at each pixel, ``k`` the pixel's ``|image * scale|``
        rounded half to even and held to 0..255 (not a number: 255), as OpenCV's convertScaleAbs."""
        ...

    def dot(self, array: Array, weights: np.ndarray) -> Array:
        """Sum over the last axis of ``array`` weighted by the host vector ``weights``."""
        ...

    def norm(self, vectors: Array) -> Array:
        """Euclidean length of 2-vectors (..., 2)."""
        ...

    def mix(self, a: Array, b: Array, weight: Array) -> Array:
        """``(1 - weight) * a + weight * b`` for (H, W, C) images and (H, W) weights in [0, 1], written
        into ``b`` (and returned)."""
        ...

    def slice_grid(self, layers: Array, guide: Array, step: float) -> Array:
        """Read a bilateral grid (K, h, w, C) at every full-size pixel of ``guide`` (H, W) -> (H, W, C):
        bilinear in space (pixel centres aligned, edges repeated), linear between the luminance
        layers around the guide's value (``step`` apart, the first at 0, clamped to the grid)."""
        ...

    def nonlocal_means(self, image: Array, rate: Array, radius: int, patch: int) -> Array:
        """Non-local means of an (H, W) ``image``: each pixel the mean of itself and the pixels
        within ``radius`` (a square window), each weighed ``exp(rate * d)``, where ``d`` is the sum
        of squared differences of the two pixels' ``patch`` x ``patch`` neighbourhoods and ``rate``
        (H, W, at most 0) is the centre pixel's; a weight is never below ``exp(NONLOCAL_LEAST)``
        (smaller ones, subnormal floats, slowed OpenCV's arithmetic eightfold). Beyond the edges the
        image is mirrored as BORDER_REFLECT mirrors it (as :meth:`box` and the restoration's tiles do)."""
        ...

    # Elementwise functions, as numpy names them.
    def exp(self, array: Array) -> Array: ...

    def fast_exp(self, array: Array) -> Array:
        """``exp`` of a float32 array, to float32 precision (OpenCV's own, quicker than numpy's and
        different from it in the last bit of some values)."""
        ...

    def sqrt(self, array: Array) -> Array: ...

    def where(self, condition: Array, a: Array | float, b: Array | float) -> Array: ...

    def maximum(self, a: Array, b: Array, out: Array | None = None) -> Array: ...

    def minimum(self, a: Array, b: Array, out: Array | None = None) -> Array: ...

    def stack(self, arrays: list[Array]) -> Array: ...

    def concatenate(self, arrays: list[Array], axis: int) -> Array: ...


class OpenCVPixels:
    """numpy and OpenCV, on the CPU."""

    name = "opencv"
    exp = staticmethod(np.exp)
    sqrt = staticmethod(np.sqrt)
    where = staticmethod(np.where)
    maximum = staticmethod(np.maximum)
    minimum = staticmethod(np.minimum)
    stack = staticmethod(np.stack)

    def upload(self, array: np.ndarray) -> np.ndarray:
        return array

    def download(self, array: np.ndarray) -> np.ndarray:
        return array

    def grid(self, height: int, width: int) -> np.ndarray:
        return identity_grid(height, width)

    def ones(self, shape: tuple[int, ...]) -> np.ndarray:
        return np.ones(shape, np.float32)

    def ones_like(self, array: np.ndarray) -> np.ndarray:
        return np.ones_like(array)

    def contiguous(self, array: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(array)

    def mask(self, shape: tuple[int, ...], value: bool) -> np.ndarray:
        return np.full(shape, value, bool)

    def copy(self, array: np.ndarray) -> np.ndarray:
        return array.copy()

    def float32(self, array: np.ndarray) -> np.ndarray:
        return np.asarray(array, dtype=np.float32)

    def remap(self, image: np.ndarray, coords: np.ndarray, border: float | None = 0.0) -> np.ndarray:
        mode, value = (cv2.BORDER_REPLICATE, 0.0) if border is None else (cv2.BORDER_CONSTANT, border)
        return _channels_as(image, cv2.remap(image, coords, None, cv2.INTER_LINEAR, borderMode=mode, borderValue=value))

    def resize(self, image: np.ndarray, size: tuple[int, int], area: bool = False) -> np.ndarray:
        return _channels_as(image, cv2.resize(image, size, interpolation=cv2.INTER_AREA if area else cv2.INTER_LINEAR))

    def gaussian(self, image: np.ndarray, sigma: float) -> np.ndarray:
        return _channels_as(image, cv2.GaussianBlur(image, (0, 0), sigma))

    def box(self, image: np.ndarray, size: int) -> np.ndarray:
        return _channels_as(image, cv2.boxFilter(image, -1, (size, size), borderType=cv2.BORDER_REFLECT))

    def perspective(self, grid: np.ndarray, model: np.ndarray) -> np.ndarray:
        h, w = grid.shape[:2]
        return cv2.perspectiveTransform(grid.reshape(-1, 1, 2), model).reshape(h, w, 2).astype(np.float32, copy=False)

    def warp_cubic(self, image: np.ndarray, coords: np.ndarray) -> np.ndarray:
        return _channels_as(image, cv2.remap(image, coords, None, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE))

    def warp_lanczos(self, image: np.ndarray, matrix: np.ndarray) -> np.ndarray:
        height, width = image.shape[:2]
        flags = cv2.INTER_LANCZOS4 | cv2.WARP_INVERSE_MAP

        def warp(part: np.ndarray) -> np.ndarray:
            out = cv2.warpAffine(part, matrix, (width, height), flags=flags, borderMode=cv2.BORDER_REPLICATE)
            return out.reshape(part.shape)

        return _by_fours(image, warp)

    def dilate(self, image: np.ndarray, size: int) -> np.ndarray:
        window = np.ones((size, size), np.uint8)
        if image.dtype == bool:  # as its bytes, 0 and 1
            return _channels_as(image, cv2.dilate(image.view(np.uint8), window)).view(bool)
        return _channels_as(image, cv2.dilate(image, window))

    def erode(self, image: np.ndarray, size: int) -> np.ndarray:
        return _channels_as(image, cv2.erode(image, np.ones((size, size), np.uint8)))

    def pyr_down(self, image: np.ndarray) -> np.ndarray:
        return _channels_as(image, cv2.pyrDown(image))

    def lookup(self, image: np.ndarray, table: np.ndarray, scale: float) -> np.ndarray:
        return _channels_as(image, cv2.LUT(cv2.convertScaleAbs(image, alpha=scale), table))

    def dot(self, array: np.ndarray, weights: np.ndarray) -> np.ndarray:
        # A matrix product (BLAS): a frame's luminance in 2 ms where einsum takes 12.
        return array @ weights.astype(array.dtype, copy=False)

    def concatenate(self, arrays: list[np.ndarray], axis: int) -> np.ndarray:
        if axis == -1 and all(a.ndim == 3 for a in arrays):
            return join_channels(arrays)
        return np.concatenate(arrays, axis=axis)

    def fast_exp(self, array: np.ndarray) -> np.ndarray:
        return _channels_as(array, cv2.exp(array))

    def norm(self, vectors: np.ndarray) -> np.ndarray:
        return magnitude(vectors)

    def mix(self, a: np.ndarray, b: np.ndarray, weight: np.ndarray) -> np.ndarray:
        # One pass (numpy broadcasts a weight over channels slowly). blendLinear divides by the sum
        # of the weights plus 1e-5: scaled by a power of two, the weights stay exact and the 1e-5
        # vanishes in the sum, so this is (1 - weight) * a + weight * b to the last bit.
        scale = np.float32(2**17)
        # Element by element: the result may take the place of an input.
        cv2.blendLinear(a, b, (1.0 - weight) * scale, weight * scale, dst=b)
        return b

    def slice_grid(self, layers: np.ndarray, guide: np.ndarray, step: float) -> np.ndarray:
        # The layers are stacked into one tall image, each with its edge rows repeated above and
        # below. One map reads, for each pixel, the layer below its luminance; the same map over the
        # image one layer further down reads the layer above.
        count, gh, gw, channels = layers.shape
        height, width = guide.shape
        padded = np.concatenate([layers[:, :1], layers, layers[:, -1:]], axis=1)  # (K, gh + 2, gw, C)
        atlas = padded.reshape(count * (gh + 2), gw, channels)
        xs = np.clip((np.arange(width, dtype=np.float32) + 0.5) * (gw / width) - 0.5, 0.0, gw - 1.0)
        ys = np.clip((np.arange(height, dtype=np.float32) + 0.5) * (gh / height) - 0.5, 0.0, gh - 1.0) + 1.0
        position = cv2.min(cv2.max(cv2.multiply(guide, 1.0 / float(step)), 0.0), count - 1.0)
        below = cv2.min(np.floor(position), count - 2.0)
        above_share = cv2.subtract(position, below)
        rows = cv2.scaleAdd(below, float(gh + 2), np.broadcast_to(ys[:, None], (height, width)))
        low = cv2.merge([np.broadcast_to(xs, (height, width)), rows])

        def read(part: np.ndarray) -> np.ndarray:
            below_value = self.remap(part, low, border=None)
            above_value = self.remap(part[gh + 2 :], low, border=None)
            return self.mix(below_value, above_value, above_share)

        return _by_fours(atlas, read)

    def nonlocal_means(self, image: np.ndarray, rate: np.ndarray, radius: int, patch: int) -> np.ndarray:
        # Strip by strip, so that the planes each offset passes through stay in the cache. The
        # patch distance between p and p + o is the one between p - o and p: each is summed once
        # and serves both offsets.
        height, width = image.shape
        half = patch // 2
        reach = radius + half
        padded = cv2.copyMakeBorder(image, reach, reach, reach, reach, cv2.BORDER_REFLECT)

        def at(top: int, rows: int, dy: int, dx: int) -> np.ndarray:
            """The image's ``rows`` from ``top``, moved by (dx, dy)."""
            return padded[top + dy + reach : top + dy + reach + rows, dx + reach : dx + reach + width]

        forward = [(dy, dx) for dy in range(radius + 1) for dx in range(-radius, radius + 1) if dy > 0 or dx > 0]
        out = np.empty_like(image)
        strip = -(-NONLOCAL_STRIP // width)
        for top in range(0, height, strip):
            rows = min(height, top + strip) - top
            total = at(top, rows, 0, 0).copy()
            weights = np.ones((rows, width), np.float32)
            strip_rate = rate[top : top + rows]
            weight = np.empty((rows, width), np.float32)
            for dy, dx in forward:
                # Distances at the pixels q of rows top - dy.. and of the columns both p and p - o
                # cover (left = the first one's column), between q and q + o.
                left, span = min(0, -dx), width + abs(dx)
                first = top - dy - half + reach
                lines = slice(first, first + rows + dy + 2 * half)
                a = padded[lines, left - half + reach : left + reach + span + half]
                b = padded[
                    lines.start + dy : lines.stop + dy, left - half + reach + dx : left + reach + span + half + dx
                ]
                difference = cv2.subtract(a, b)
                cv2.multiply(difference, difference, dst=difference)
                summed = cv2.boxFilter(difference, -1, (patch, patch), normalize=False, borderType=cv2.BORDER_ISOLATED)
                distance = summed[half : half + rows + dy, half : half + span]
                for d, sign in (
                    (distance[dy:, -left : -left + width], 1),
                    (distance[:rows, -left - dx : -left - dx + width], -1),
                ):
                    cv2.multiply(d, strip_rate, dst=weight)
                    cv2.max(weight, NONLOCAL_LEAST, dst=weight)
                    cv2.exp(weight, dst=weight)
                    cv2.accumulate(weight, weights)
                    cv2.accumulateProduct(weight, at(top, rows, sign * dy, sign * dx), total)
            out[top : top + rows] = total / weights
        return out


def join_channels(images: list[np.ndarray]) -> np.ndarray:
    """(H, W, C) images of one type -> (H, W, their channels one after the other). OpenCV's merge, at
    three times numpy's speed (a 1080p RGB and a matte: 18 -> 6 ms), where it can hold them all."""
    if len({image.dtype for image in images}) == 1 and sum(image.shape[2] for image in images) <= MERGE_CHANNELS:
        return _channels_as(images[0], cv2.merge(images))
    return np.concatenate(images, axis=-1)


def _by_fours(image: np.ndarray, op: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``op`` of an (H, W) or (H, W, C) image, four channels at a time: OpenCV's remaps and warps
    take at most four."""
    if image.ndim == 2 or image.shape[2] <= 4:
        return op(image)
    return np.concatenate(
        [op(np.ascontiguousarray(image[..., i : i + 4])) for i in range(0, image.shape[2], 4)], axis=-1
    )


def _channels_as(image: np.ndarray, result: np.ndarray) -> np.ndarray:
    """``result`` with the trailing axis of one channel that OpenCV drops given back, as ``image`` had it."""
    return result[..., None] if image.ndim == 3 and result.ndim == 2 else result


OPENCV = OpenCVPixels()
