"""Synthetic shots with known true colour: a moving camera and moving cut-outs over a photograph.

Real colour footage with motion is scarce, so the benchmark and ``tinct demo`` synthesise it: a
virtual camera pans, zooms (1.0 to 1.35) and rolls (+-4 degrees) over a still background along a
smooth seeded trajectory, and a few soft-edged cut-outs (ellipses and rounded rectangles textured
from other photographs) drift and turn over it on their own paths, giving real occlusions and
disocclusions; with two or more objects, the last one enters the frame from outside. Because every
pixel comes from a known image, the true colour of every frame is known.

Everything here is pure numpy/OpenCV and colour-space agnostic: pixels are (H, W, 3) float32
scene-linear RGB in whatever space the caller chose (convert the photographs before building the
shot; warping and alpha compositing are linear, so any linear space works). Frames are rendered on
demand: :meth:`SyntheticShot.frame` is a pure function of the frame index, so shots of any length
stream with the memory of one frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .errors import ImageFileError, ParameterError

# Camera: zoom range (1.0 frames the whole coverage area), roll amplitude, and how much of the
# background (beyond the view at zoom 1.0 and full roll) is kept free for panning: 0.5 leaves
# half a view width of travel along the background's tighter dimension.
ZOOM_RANGE = (1.0, 1.35)
MAX_ROLL_DEG = 4.0
PAN_ROOM = 0.5
# Background pixels kept clear around the view so the bicubic kernel's taps stay inside it.
_KERNEL_MARGIN = 2.0
# Vertical pans are gentler than horizontal ones in real camera work.
_TILT_SHARE = 0.6
# Camera trajectory frequencies in cycles per frame at motion 1.0 (a pan reverses every few seconds).
_PAN_FREQ = (0.002, 0.008)
_ZOOM_FREQ = (0.001, 0.005)
_ROLL_FREQ = (0.001, 0.006)
# Objects: height as a fraction of frame height, drift frequencies, and the entering object's speed
# in pixels per frame at a 640-pixel-wide frame (scaled with the frame width).
OBJECT_HEIGHT = (0.15, 0.30)
_OBJECT_FREQ = (0.003, 0.010)
_ENTRY_SPEED_640 = (5.0, 9.0)
_MIN_SIZE = 8


def srgb8_to_linear(encoded: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 sRGB-encoded RGB -> (..., 3) float32 linear RGB in [0, 1].

    Uses the exact piecewise sRGB EOTF (IEC 61966-2-1): ``c / 12.92`` for ``c <= 0.04045``, else
    ``((c + 0.055) / 1.055) ** 2.4``, evaluated in float64 for the 256 code values.
    """
    if encoded.dtype != np.uint8:
        raise ParameterError(
            title="sRGB decoding needs 8-bit code values",
            expected="a uint8 array",
            found=f"dtype {encoded.dtype}",
            repair="pass the image as read from an 8-bit file, before any scaling",
        )
    code = np.arange(256, dtype=np.float64) / 255.0
    lut = np.where(code <= 0.04045, code / 12.92, ((code + 0.055) / 1.055) ** 2.4).astype(np.float32)
    return lut[encoded]


def load_photo(path: str | Path) -> np.ndarray:
    """Read an 8-bit sRGB photograph (JPEG, PNG, ...) as (H, W, 3) float32 linear Rec.709 RGB.

    Channels are returned in RGB order (OpenCV reads BGR), decoded with :func:`srgb8_to_linear`;
    values lie in [0, 1]. Convert to the working space (ACEScg) with the colour manager.
    """
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ImageFileError(
            title="cannot read photograph",
            expected="an existing 8-bit image file that OpenCV can decode (JPEG, PNG, ...)",
            found="missing or undecodable file",
            repair="check the path and the file",
            file=path,
        )
    return srgb8_to_linear(np.ascontiguousarray(bgr[..., ::-1]))


@dataclass(frozen=True)
class ShotSpec:
    """What to synthesise: output size in pixels, length in frames, and the random choices.

    ``seed`` fixes every random choice (trajectory, objects, their textures). ``objects`` is the
    number of moving cut-outs (0 for camera motion only). ``motion`` scales the camera's speed
    (0.0 holds it still, 1.0 pans a few pixels per frame at 640 pixels wide); objects keep their
    own speeds.
    """

    width: int
    height: int
    frames: int
    seed: int
    objects: int = 2
    motion: float = 1.0


@dataclass(frozen=True)
class _Wave:
    """A sum of sinusoids normalised to [-1, 1]: ``sum(a sin(2 pi f t + phi)) / sum(a)``."""

    amplitudes: np.ndarray  # (K,) float64, positive
    frequencies: np.ndarray  # (K,) float64, cycles per frame
    phases: np.ndarray  # (K,) float64, radians

    @classmethod
    def draw(cls, rng: np.random.Generator, freq_range: tuple[float, float], count: int = 3) -> _Wave:
        """``count`` sinusoids with amplitudes in [0.3, 1], frequencies in ``freq_range``, any phase."""
        return cls(
            amplitudes=rng.uniform(0.3, 1.0, count),
            frequencies=rng.uniform(*freq_range, count),
            phases=rng.uniform(0.0, 2.0 * math.pi, count),
        )

    def __call__(self, t: float) -> float:
        value = np.sum(self.amplitudes * np.sin(2.0 * math.pi * self.frequencies * t + self.phases))
        return float(value / np.sum(self.amplitudes))


@dataclass(frozen=True)
class _Cutout:
    """One moving object: a premultiplied RGBA patch and its path in output pixels.

    The patch centre sits at ``start + velocity * t + drift * (wave_x(t), wave_y(t))`` turned by
    ``angle + swing * wave_angle(t)`` degrees at frame ``t``.
    """

    rgba: np.ndarray  # (h, w, 4) float32: RGB premultiplied by alpha, then alpha
    start: tuple[float, float]
    velocity: tuple[float, float]
    drift: tuple[float, float]
    wave_x: _Wave
    wave_y: _Wave
    angle: float
    swing: float
    wave_angle: _Wave

    def composite(self, frame: np.ndarray, t: int) -> None:
        """Composite the object over ``frame`` ((H, W, 3) float32, modified in place) at frame ``t``."""
        height, width = frame.shape[:2]
        x = self.start[0] + self.velocity[0] * t + self.drift[0] * self.wave_x(t)
        y = self.start[1] + self.velocity[1] * t + self.drift[1] * self.wave_y(t)
        theta = math.radians(self.angle + self.swing * self.wave_angle(t))
        cos, sin = math.cos(theta), math.sin(theta)
        patch_h, patch_w = self.rgba.shape[:2]
        half_w = 0.5 * (abs(cos) * patch_w + abs(sin) * patch_h)
        half_h = 0.5 * (abs(sin) * patch_w + abs(cos) * patch_h)
        x0, x1 = max(math.floor(x - half_w) - 1, 0), min(math.ceil(x + half_w) + 2, width)
        y0, y1 = max(math.floor(y - half_h) - 1, 0), min(math.ceil(y + half_h) + 2, height)
        if x0 >= x1 or y0 >= y1:
            return
        # Inverse map, ROI pixel -> patch pixel: q = R(-theta) (roi_origin + p - centre) + patch_centre.
        cx, cy = 0.5 * (patch_w - 1), 0.5 * (patch_h - 1)
        dx, dy = x0 - x, y0 - y
        inverse = np.array(
            [[cos, sin, cos * dx + sin * dy + cx], [-sin, cos, -sin * dx + cos * dy + cy]], dtype=np.float64
        )
        layer = cv2.warpAffine(
            self.rgba,
            inverse,
            (x1 - x0, y1 - y0),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(0.0, 0.0, 0.0, 0.0),
        )
        region = frame[y0:y1, x0:x1]
        region *= 1.0 - layer[..., 3:]
        region += layer[..., :3]


class SyntheticShot:
    """A camera move with moving cut-outs over a background: frames with known true colour.

    Camera: pan, zoom and roll are each a sum of three low-frequency sinusoids with seeded
    frequencies and phases (smooth, never periodic-looking). The view is a rectangle of the
    background; its scale at zoom 1.0 is chosen so that at full roll it spans ``1 / (1 + PAN_ROOM)``
    of the background's tighter dimension, and the pan is confined to where the rotated, zoomed
    view stays inside the background: frames never show a border. A background larger than needed
    is first reduced (area filter) so that zoom 1.0 samples it at about one pixel per output pixel.

    Resampling: the background is warped bicubically (``INTER_CUBIC``) and clipped to its own value
    range (the kernel's overshoot). Bilinear would be cheaper, but its blur depends on the sub-pixel
    phase, so sharpness would pulse as the camera moves: flicker in the ground truth itself.
    Cut-outs are warped bilinearly (``INTER_LINEAR``): their premultiplied RGBA patches are already
    filtered to output scale with soft edges, and bilinear keeps colour inside alpha (no overshoot).

    Objects: ``spec.objects`` ellipses or rounded rectangles (height 15-30 % of the frame, edge
    softness about 4 % of their size) cut from ``sprites`` (cycled; by default crops of the
    background), drifting a few pixels per frame on their own smooth paths and turning slightly.
    With two or more objects the last one starts outside the frame and enters from the left or right
    at 5-9 pixels per frame (at 640 pixels wide): a fast mover, and an entry disocclusion.

    Args:
        background: (H, W, 3) float32 scene-linear RGB, any size of at least 8 x 8.
        spec: output size, length, seed, object count and camera speed.
        sprites: textures for the objects, each (h, w, 3) float32 in the background's colour space.

    Attributes:
        spec: the :class:`ShotSpec` it was built from.

    Raises:
        ParameterError: a spec value or an image shape is out of range.
    """

    def __init__(self, background: np.ndarray, spec: ShotSpec, sprites: Sequence[np.ndarray] = ()) -> None:
        _check_spec(spec)
        source = _check_image(background, "background")
        textures = [_check_image(sprite, f"sprite {i}") for i, sprite in enumerate(sprites)] or [source]
        self.spec = spec
        rng = np.random.default_rng(spec.seed)

        self._lo = source.reshape(-1, 3).min(axis=0)
        self._hi = source.reshape(-1, 3).max(axis=0)
        scale = _coverage_scale(source.shape[1], source.shape[0], spec.width, spec.height)
        if scale > 1.0:
            size = (max(round(source.shape[1] / scale), _MIN_SIZE), max(round(source.shape[0] / scale), _MIN_SIZE))
            self._background = cv2.resize(source, size, interpolation=cv2.INTER_AREA)
            scale = _coverage_scale(size[0], size[1], spec.width, spec.height)
        else:
            self._background = source
        self._scale = scale
        self._pan_x = _Wave.draw(rng, _PAN_FREQ)
        self._pan_y = _Wave.draw(rng, _PAN_FREQ)
        self._zoom = _Wave.draw(rng, _ZOOM_FREQ)
        self._roll = _Wave.draw(rng, _ROLL_FREQ)
        self._objects = [
            _draw_cutout(rng, textures[i % len(textures)], spec, enters=spec.objects >= 2 and i == spec.objects - 1)
            for i in range(spec.objects)
        ]

    @property
    def background(self) -> np.ndarray:
        """(Hb, Wb, 3) float32: the background as sampled by :meth:`camera` (possibly reduced)."""
        return self._background

    def camera(self, index: int) -> np.ndarray:
        """(2, 3) float64 affine map from output pixel (x, y) to :attr:`background` pixel at ``index``.

        Pixel coordinates are pixel centres (0 is the first pixel's centre).
        """
        t = self.spec.motion * index
        zoom = ZOOM_RANGE[0] + (ZOOM_RANGE[1] - ZOOM_RANGE[0]) * 0.5 * (1.0 + self._zoom(t))
        theta = math.radians(MAX_ROLL_DEG * self._roll(t))
        cos, sin = math.cos(theta), math.sin(theta)
        step = self._scale / zoom
        half_w, half_h = 0.5 * (self.spec.width - 1), 0.5 * (self.spec.height - 1)
        bg_h, bg_w = self._background.shape[:2]
        reach_x = step * (half_w * abs(cos) + half_h * abs(sin))
        reach_y = step * (half_w * abs(sin) + half_h * abs(cos))
        centre_x = 0.5 * (bg_w - 1) + self._pan_x(t) * max(0.5 * (bg_w - 1) - reach_x - _KERNEL_MARGIN, 0.0)
        centre_y = 0.5 * (bg_h - 1) + _TILT_SHARE * self._pan_y(t) * max(
            0.5 * (bg_h - 1) - reach_y - _KERNEL_MARGIN, 0.0
        )
        return np.array(
            [
                [step * cos, -step * sin, centre_x - step * (cos * half_w - sin * half_h)],
                [step * sin, step * cos, centre_y - step * (sin * half_w + cos * half_h)],
            ],
            dtype=np.float64,
        )

    def frame(self, index: int) -> np.ndarray:
        """(height, width, 3) float32 true-colour frame ``index`` (0-based); a pure function of it.

        Raises:
            IndexError: ``index`` is outside ``[0, spec.frames)``.
        """
        if not 0 <= index < self.spec.frames:
            raise IndexError(f"frame {index} outside the shot's 0..{self.spec.frames - 1}")
        image = cv2.warpAffine(
            self._background,
            self.camera(index),
            (self.spec.width, self.spec.height),
            flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REFLECT_101,
        )
        np.clip(image, self._lo, self._hi, out=image)
        for cutout in self._objects:
            cutout.composite(image, index)
        return image


def _check_spec(spec: ShotSpec) -> None:
    problems = []
    if spec.width < _MIN_SIZE or spec.height < _MIN_SIZE:
        problems.append(f"size {spec.width}x{spec.height} (at least {_MIN_SIZE}x{_MIN_SIZE})")
    if spec.frames < 1:
        problems.append(f"frames {spec.frames} (at least 1)")
    if spec.objects < 0:
        problems.append(f"objects {spec.objects} (at least 0)")
    if not (math.isfinite(spec.motion) and spec.motion >= 0.0):
        problems.append(f"motion {spec.motion} (a finite value >= 0)")
    if problems:
        raise ParameterError(
            title="invalid synthetic shot spec",
            expected="width, height >= 8, frames >= 1, objects >= 0, motion >= 0",
            found="; ".join(problems),
            repair="correct the values named above",
        )


def _check_image(image: np.ndarray, what: str) -> np.ndarray:
    array = np.asarray(image)
    if array.ndim != 3 or array.shape[2] != 3 or min(array.shape[:2]) < _MIN_SIZE:
        raise ParameterError(
            title=f"invalid {what} image",
            expected=f"(H, W, 3) RGB with H, W >= {_MIN_SIZE}",
            found=f"shape {array.shape}",
            repair="pass an RGB image as loaded by load_photo",
        )
    if not np.all(np.isfinite(array)):
        raise ParameterError(
            title=f"invalid {what} image",
            expected="finite pixel values",
            found="NaN or infinite values",
            repair="clean the image before building the shot",
        )
    return np.ascontiguousarray(array, dtype=np.float32)


def _coverage_scale(bg_w: int, bg_h: int, width: int, height: int) -> float:
    """Background pixels per output pixel at zoom 1.0 that leave ``PAN_ROOM`` of travel at full roll.

    The view's half extents at roll theta are ``a |cos| + b |sin|`` and ``a |sin| + b |cos|``
    (a, b: half width and height in output pixels), bounded by ``a + b sin(max)`` and
    ``a sin(max) + b``, which the scale must fit ``1 + PAN_ROOM`` times into the background.
    """
    half_w, half_h = 0.5 * (width - 1), 0.5 * (height - 1)
    sin = math.sin(math.radians(MAX_ROLL_DEG))
    reach_x = half_w + half_h * sin
    reach_y = half_w * sin + half_h
    return min(
        (0.5 * (bg_w - 1) - _KERNEL_MARGIN) / ((1.0 + PAN_ROOM) * reach_x),
        (0.5 * (bg_h - 1) - _KERNEL_MARGIN) / ((1.0 + PAN_ROOM) * reach_y),
    )


def _draw_cutout(rng: np.random.Generator, texture: np.ndarray, spec: ShotSpec, *, enters: bool) -> _Cutout:
    """Draw one object's shape, texture crop and path; ``enters`` makes it come in from outside."""
    obj_h = rng.uniform(*OBJECT_HEIGHT) * spec.height
    obj_w = min(obj_h * rng.uniform(0.7, 1.5), 0.6 * spec.width)
    exponent = 2.0 if rng.random() < 0.5 else 4.0  # ellipse or rounded rectangle
    feather = max(1.0, 0.04 * min(obj_w, obj_h))
    pad = math.ceil(feather) + 2
    patch_w, patch_h = math.ceil(obj_w) + 2 * pad, math.ceil(obj_h) + 2 * pad

    # Texture: a random crop of the source with the patch's aspect, filtered to patch size.
    tex_h, tex_w = texture.shape[:2]
    fit = min(tex_w / patch_w, tex_h / patch_h) * rng.uniform(0.5, 0.9)
    crop_w, crop_h = max(round(patch_w * fit), 1), max(round(patch_h * fit), 1)
    left, top = int(rng.integers(0, tex_w - crop_w + 1)), int(rng.integers(0, tex_h - crop_h + 1))
    rgb = cv2.resize(
        texture[top : top + crop_h, left : left + crop_w], (patch_w, patch_h), interpolation=cv2.INTER_AREA
    )

    # Soft superellipse alpha: an approximate signed distance to the outline, ramped over `feather`.
    ys, xs = np.mgrid[0:patch_h, 0:patch_w].astype(np.float64)
    u = np.abs(xs - 0.5 * (patch_w - 1)) / (0.5 * obj_w)
    v = np.abs(ys - 0.5 * (patch_h - 1)) / (0.5 * obj_h)
    radius = (u**exponent + v**exponent) ** (1.0 / exponent)
    distance = (1.0 - radius) * 0.5 * min(obj_w, obj_h)
    alpha = np.clip(0.5 + distance / feather, 0.0, 1.0).astype(np.float32)[..., None]
    rgba = np.ascontiguousarray(np.concatenate([rgb * alpha, alpha], axis=2), dtype=np.float32)

    drift = (rng.uniform(0.10, 0.30) * spec.width, rng.uniform(0.05, 0.20) * spec.height)
    if enters:
        speed = rng.uniform(*_ENTRY_SPEED_640) * spec.width / 640.0
        side = 1.0 if rng.random() < 0.5 else -1.0  # +1: enters from the left edge
        outside = 0.5 * math.hypot(patch_w, patch_h) + 1.0
        start_x = -outside if side > 0 else spec.width - 1 + outside
        start = (start_x, rng.uniform(0.3, 0.7) * spec.height)
        velocity = (side * speed, rng.uniform(-0.3, 0.3) * speed * spec.height / spec.width)
        drift = (0.0, 0.3 * drift[1])
    else:
        start = (rng.uniform(0.25, 0.75) * spec.width, rng.uniform(0.3, 0.7) * spec.height)
        velocity = (0.0, 0.0)
    return _Cutout(
        rgba=rgba,
        start=start,
        velocity=velocity,
        drift=drift,
        wave_x=_Wave.draw(rng, _OBJECT_FREQ, count=2),
        wave_y=_Wave.draw(rng, _OBJECT_FREQ, count=2),
        angle=rng.uniform(-15.0, 15.0),
        swing=rng.uniform(3.0, 10.0),
        wave_angle=_Wave.draw(rng, _OBJECT_FREQ, count=2),
    )
