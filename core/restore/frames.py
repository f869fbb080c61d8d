"""One source frame prepared for restoration, and the motion between two prepared frames.

Restoration measures and repairs in one *signal*: ``v = sqrt(max(Y, 0))`` of the scene-linear
luminance ``Y``. The square root is close to a perceptual encoding (mid grey 0.18 -> 0.42, like
sRGB's 0.46), roughly evens out film grain's signal dependence, costs one instruction and inverts
exactly (``Y = v ** 2``), so a repair goes back to scene-linear as a luminance change that is zero
wherever ``v`` was not changed. Values above 1.0 stay above 1.0.

Motion is DIS optical flow on uint8 guides at a working scale (long side <= ``flow_max_side``):
``flow[y, x] = (dx, dy)`` finds pixel (x, y) of the *target* at (x + dx, y + dy) in the reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import OpenImageIO as oiio

from tinct.core.chroma import luminance as luminance_of
from tinct.core.flow import FlowEstimator, Motion, identity_grid, inside
from tinct.core.half import from_half, to_half
from tinct.core.pixels import OPENCV, Array, Pixels
from tinct.core.restore import scratches
from tinct.core.source import SourceFrame

# Infrared channel names scanners write (the "digital wet gate" of PFClean and DRS Nova).
INFRARED_NAMES = ("IR", "ir", "infrared", "Infrared", "IR.I")
_ROW = 4096
# Side (pixels) of the tiles a local filter is worked out on where only a few pixels want it
# (:class:`Tiles`): a speck of dust or two in each.
TILE = 16


def signal(luminance: np.ndarray) -> np.ndarray:
    """(H, W) scene-linear luminance -> (H, W) float32 restoration signal ``sqrt(max(Y, 0))``."""
    return cv2.sqrt(np.maximum(luminance, 0.0).astype(np.float32, copy=False))


def motion_guide(small: np.ndarray) -> np.ndarray:
    """(h, w) working-scale signal -> (h, w) uint8 picture that motion is measured on: its long
    vertical lines taken out (:func:`.scratches.unlined`)."""
    return (np.clip(scratches.unlined(small), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


@dataclass(frozen=True)
class HeldSource:
    """What a plate keeps of its source frame until the frame is restored: the file's header, its
    channels beyond the colour, and the working colour. A window holds the frames ahead of the one it
    restores (as many as the exposure track looks ahead, 4K frames of 100 MB each as float32 RGB), so
    the colour is held small where that loses nothing: a half-float file of R, G, B already in the
    working space lends its decoded pixels as the working colour, and those are held as half floats;
    a neutral frame (R, G and B the same bits: black-and-white film) is held as one plane."""

    spec: oiio.ImageSpec
    extras: dict[str, np.ndarray]  # (H, W) float32 planes by channel name, in the file's order
    colour: np.ndarray  # (H, W, 3) float16 or float32 working colour; (H, W) the one plane of a neutral one

    @staticmethod
    def of(source: SourceFrame) -> HeldSource:
        image, colour = source.image, source.working
        if (
            image.spec.format == oiio.HALF
            and not image.spec.channelformats
            and np.may_share_memory(colour, image.pixels)
        ):
            colour = to_half(colour)
        if _neutral(colour):
            colour = np.ascontiguousarray(colour[..., 0])
        return HeldSource(image.spec, image.extra_planes(), colour)

    def working(self) -> np.ndarray:
        """(H, W, 3) float32 working colour, as the source frame had it."""
        colour = from_half(self.colour)
        return cv2.merge([colour] * 3) if colour.ndim == 2 else colour


def _neutral(colour: np.ndarray) -> bool:
    """Whether the (H, W, 3) float ``colour`` has the same bits in all three channels."""
    bits = colour.view(np.dtype(f"u{colour.itemsize}"))
    return np.array_equal(bits[..., 0], bits[..., 1]) and np.array_equal(bits[..., 1], bits[..., 2])


@dataclass
class RestoreFrame:
    """A frame as restoration sees it."""

    frame: int
    source: HeldSource | None  # until the frame's own restoration
    # (H, W) float32 restoration signal; None while a large frame waits beyond the repairs' reach
    # (made again by :func:`held_signal`)
    v: np.ndarray | None
    small: np.ndarray  # (h, w) float32 ``v`` at the working scale (area filtered)
    guide: np.ndarray  # (h, w) uint8 flow guide
    infrared: np.ndarray | None  # (H, W) float32 defect opacity from an infrared channel, or None


class Geometry:
    """Full and working sizes of a shot, and conversions between them."""

    def __init__(self, height: int, width: int, flow_max_side: int) -> None:
        self.height, self.width = height, width
        scale = min(1.0, flow_max_side / max(height, width))
        self.small_size = (max(8, round(width * scale)), max(8, round(height * scale)))  # (w, h)
        self.small_shape = (self.small_size[1], self.small_size[0])

    def shrink(self, image: np.ndarray) -> np.ndarray:
        return cv2.resize(image, self.small_size, interpolation=cv2.INTER_AREA)

    def enlarge(self, small: np.ndarray, pixels: Pixels = OPENCV) -> Array:
        """A working-scale field (values, not coordinates) at full size, an array of ``pixels``."""
        return pixels.resize(pixels.upload(small), (self.width, self.height))

    def sample_flow(self, flow: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Full-size positions that the (h, w, 2) working-scale ``flow`` sends full-size pixels (xs, ys) to."""
        w, h = self.small_size
        # Full-size pixel x <-> working-scale position (x + 0.5) * w / W - 0.5. In float32 and in
        # place: a witness's doubtful pixels are often a quarter of the frame.
        x, y = xs.astype(np.float32), ys.astype(np.float32)
        sx, sy = (x + 0.5) * np.float32(w / self.width) - 0.5, (y + 0.5) * np.float32(h / self.height) - 0.5
        moved = sample_points(flow, sx, sy, cv2.INTER_LINEAR)  # both components in one read
        x += moved[:, 0] * np.float32(self.width / w)
        y += moved[:, 1] * np.float32(self.height / h)
        return x, y

    def full_map(self, flow: np.ndarray, pixels: Pixels = OPENCV) -> Array:
        """(h, w, 2) working-scale flow -> (H, W, 2) float32 absolute full-size sampling coordinates,
        an array of ``pixels``."""
        # Scaled to full-size pixels before it is enlarged: at the working size that costs a tenth.
        scale = np.array([self.width / flow.shape[1], self.height / flow.shape[0]], np.float32)
        full = pixels.resize(pixels.upload(flow * scale), (self.width, self.height))
        full += pixels.grid(self.height, self.width)
        return full


def sample_points(image: np.ndarray, px: np.ndarray, py: np.ndarray, interpolation: int) -> np.ndarray:
    """Values of an (H, W) or (H, W, C) image at positions (px, py), edges repeated: (N,) or (N, C)
    float32."""
    count = px.size
    channels = image.shape[2:]
    if count == 0:
        return np.zeros((0, *channels), np.float32)
    # cv2.remap takes maps narrower than 32767 pixels: lay the points out in rows.
    width = min(count, _ROW)
    rows = -(-count // width)
    pad = rows * width - count
    mx = np.pad(px.astype(np.float32, copy=False), (0, pad)).reshape(rows, width)
    my = np.pad(py.astype(np.float32, copy=False), (0, pad)).reshape(rows, width)
    values = cv2.remap(image, mx, my, interpolation, borderMode=cv2.BORDER_REPLICATE)
    return values.reshape(-1, *channels)[:count]


class Tiles:
    """The tiles of a frame around some of its pixels, each with the margin a local filter reads
    (``reach``), laid one under the other as one image (an array of ``pixels``).

    A filter that reads no farther than ``reach`` gives at those pixels of the tiles what it gives
    on the whole frame (beyond the frame's edges, the tiles mirror it as OpenCV's BORDER_REFLECT
    does), for the share of the frame the tiles cover.
    """

    def __init__(self, ys: np.ndarray, xs: np.ndarray, shape: tuple[int, int], reach: int, pixels: Pixels = OPENCV):
        height, width = shape
        across = -(-width // TILE)
        tiles = np.unique(ys // TILE * across + xs // TILE)
        side = TILE + 2 * reach
        offsets = np.arange(side) - reach
        rows = _mirrored(tiles[:, None] // across * TILE + offsets, height)  # (tiles, side)
        columns = _mirrored(tiles[:, None] % across * TILE + offsets, width)
        # Tile k's row i, column j is the frame's pixel (rows[k, i], columns[k, j]).
        self._source = pixels.upload((rows[:, :, None] * width + columns[:, None, :]).reshape(len(tiles) * side, side))
        # Where the pixels are in the tiles.
        tile = np.searchsorted(tiles, ys // TILE * across + xs // TILE)
        self._wanted = pixels.upload((tile * side + reach + ys % TILE) * side + reach + xs % TILE)

    def gather(self, image: Array) -> Array:
        """The tiles of an (H, W) ``image``."""
        return image.reshape(-1)[self._source]

    def values(self, tiles: Array) -> Array:
        """(N,) the pixels' values in ``tiles`` (an image laid out as :meth:`gather` makes it)."""
        return tiles.reshape(-1)[self._wanted]


def _mirrored(index: np.ndarray, size: int) -> np.ndarray:
    """Positions along an axis of ``size`` pixels, those beyond its ends mirrored back (BORDER_REFLECT)."""
    index = np.mod(index, 2 * size)
    return np.where(index >= size, 2 * size - 1 - index, index)


def nonzero(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ys, xs) int64 of the true pixels of an (H, W) bool mask, in row order, as ``np.nonzero``
    gives them (OpenCV finds them several times faster on a full frame)."""
    found = cv2.findNonZero(mask.view(np.uint8))
    if found is None:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    points = found.reshape(-1, 2).astype(np.int64)
    return points[:, 1], points[:, 0]


def held_signal(source: HeldSource, weights: np.ndarray) -> np.ndarray:
    """The restoration signal of a held frame: what :func:`prepare` made from the frame read (the
    same product of the same colour, which the held colour gives back bit for bit)."""
    return signal(luminance_of(source.working(), weights))


def prepare(
    frame: int, source: SourceFrame, geometry: Geometry, infrared: str, infrared_threshold: float
) -> RestoreFrame:
    """Build the :class:`RestoreFrame` of one frame (thread-safe: runs in the reader pool)."""
    v = signal(source.luminance)
    small = geometry.shrink(v)
    guide = motion_guide(small)
    channel = infrared_channel(source.image.channels, infrared)
    opacity = None
    if channel is not None:
        opacity = infrared_opacity(source.image.pixels[..., source.image.index(channel)], infrared_threshold)
    return RestoreFrame(frame, HeldSource.of(source), v, small, guide, opacity)


def infrared_channel(channels: list[str], wanted: str) -> str | None:
    """The channel holding a scanner's infrared pass: ``wanted`` by name, any known name for 'auto', '' for none."""
    if not wanted:
        return None
    if wanted == "auto":
        return next((c for c in INFRARED_NAMES if c in channels), None)
    return wanted if wanted in channels else None


def infrared_opacity(infrared: np.ndarray, threshold: float) -> np.ndarray:
    """(H, W) infrared transmission -> (H, W) float32 defect opacity in [0, 1].

    Dyes are transparent to infrared, dust and scratches are not: where the transmission drops
    more than ``threshold`` below the clean film's (the 90th percentile), the opacity ramps to 1 at
    twice that drop. (Silver in black-and-white film blocks infrared too, so this needs colour stock.)
    """
    infrared = infrared.astype(np.float32, copy=False)
    reference = max(float(np.percentile(infrared[::4, ::4], 90)), 1e-6)
    drop = 1.0 - infrared / reference
    opacity = np.clip((drop - threshold) / max(threshold, 1e-6), 0.0, 1.0)
    return cv2.dilate(opacity, np.ones((3, 3), np.uint8))


def measure_motion(flow: FlowEstimator, target: RestoreFrame, reference: RestoreFrame) -> Motion:
    """The flows between two frames, both ways, at the working scale."""
    return Motion(flow(target.guide, reference.guide), flow(reference.guide, target.guide))


def seen_in_reference(motion: Motion, tolerance: float) -> np.ndarray:
    """(h, w) float32 in [0, 1]: 1 where the target pixel is seen in the reference (consistent
    flows both ways, and the position inside the reference frame)."""
    h, w = motion.to_reference.shape[:2]
    return motion.consistency(tolerance) * inside(identity_grid(h, w) + motion.to_reference, h, w)
