"""Synthetic film damage with ground truth: what an archival print does to a clean frame.

Applied in the order the damage happens, to a clean scene-linear luminance frame:

1. **Softness**: a Gaussian blur (the print's limited resolution).
2. **Flicker**: a per-frame exposure gain, global and regional (a smooth field over the frame).
3. **Grain**: signal-dependent, slightly clumped noise in the sRGB-encoded image (strongest in the
   mid-tones, as with the grain of a print).
4. **Dust and dirt** (one frame each): dark specks and blotches (dirt on the print) and bright ones
   (dirt on the negative), irregular soft-edged shapes; a few larger, semi-transparent blotches.
   Off by default (counts 0), for harder tests: thin curved **hairs** (smooth random curves a pixel
   or two wide, anti-aliased) and **soft blotches** (large, feathered far into their surroundings,
   partly transparent).
5. **Line scratches**: thin vertical lines, bright or dark, that live for many frames and drift
   slowly sideways with a little jitter; some run the full height, some part of it. Off by default:
   **static scratches**, alive in every frame of the shot at one column fixed by the seed (what
   dirt removal that expects scratches to move or to be short misses), optionally wobbling a
   little sideways around it from frame to frame.

Ground truth (:class:`Damaged`): ``dust`` and ``dust_change`` cover every one-frame defect (specks,
blotches, hairs, soft blotches), so detection metrics count them all; ``hairs`` and
``soft_blotches`` repeat the opacity of those two kinds alone. ``scratches`` covers drifting and
static scratches. Each kind draws from its own random stream: turning a new kind on leaves the
others exactly as they were, and ``DamageSpec()`` frames are those of the spec before the new kinds.

Dust and scratches lie on top of the grain (they block the light). Everything is a pure function of
``(spec, frame index)``: frames can be made in any order, for shots of any length, with the memory
of one frame. Sizes are in pixels at 1080 lines and scale with the frame height. Pure numpy/OpenCV.

A colour scan takes the damage of its luminance on each pixel's own chroma
(:func:`damaged_colour`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from tinct.core.errors import ParameterError
from tinct.core.flow import srgb_decode, srgb_encode

# Scratches are drawn from blocks of this many frames (random access without a shot length).
_SCRATCH_BLOCK = 64
# Regional flicker: a random field on this coarse grid (rows, columns), smoothly upsampled.
_FLICKER_GRID = (3, 4)


@dataclass(frozen=True)
class DamageSpec:
    """How damaged the film is; ``seed`` fixes every random choice.

    Counts are per frame at 1920x1080 and scale with the frame area; sizes are pixels at 1080
    lines. Contrasts are how far a defect pulls a pixel towards black or white (sRGB-encoded).
    """

    seed: int = 0
    softness: float = 1.6  # blur sigma
    flicker: float = 0.06  # std of the per-frame global log exposure
    regional_flicker: float = 0.03  # std of the regional log exposure (per grid node)
    grain: float = 0.035  # grain std at mid grey, sRGB-encoded
    grain_size: float = 1.5  # grain clump sigma
    dust: float = 60.0  # mean specks per frame
    dust_radius: tuple[float, float] = (2.5, 9.0)
    blotches: float = 4.0  # mean blotches per frame
    blotch_radius: tuple[float, float] = (12.0, 40.0)
    dust_opacity: tuple[float, float] = (0.55, 1.0)
    blotch_opacity: tuple[float, float] = (0.35, 0.8)
    bright_share: float = 0.35  # share of bright (white) dust
    scratches: float = 2.0  # mean scratches alive at any time
    scratch_life: tuple[int, int] = (15, 60)
    scratch_width: tuple[float, float] = (1.5, 4.0)  # Gaussian profile sigma
    scratch_contrast: tuple[float, float] = (0.12, 0.35)
    scratch_drift: float = 0.6  # max sideways drift in pixels per frame
    scratch_jitter: float = 0.4  # per-frame sideways jitter std
    hairs: float = 0.0  # mean hairs per frame
    hair_length: tuple[float, float] = (40.0, 250.0)  # along the curve
    hair_width: tuple[float, float] = (1.0, 2.5)  # full width (thinner than a pixel: fainter)
    hair_opacity: tuple[float, float] = (0.6, 1.0)
    soft_blotches: float = 0.0  # mean soft blotches per frame
    soft_blotch_radius: tuple[float, float] = (15.0, 60.0)  # radius of the half-opacity contour
    soft_blotch_opacity: tuple[float, float] = (0.2, 0.6)  # at the centre
    static_scratches: int = 0  # scratches alive in every frame, each at a column fixed by the seed
    static_scratch_wobble: float = 0.0  # std of their per-frame sideways offset (clipped at 3 std)

    def check(self) -> None:
        values = {k: v for k, v in vars(self).items() if k != "seed"}
        bad = [f"{k}={v}" for k, v in values.items() if any(x < 0 for x in np.ravel(v))]
        ranges = (
            "dust_radius",
            "blotch_radius",
            "dust_opacity",
            "blotch_opacity",
            "scratch_life",
            "scratch_width",
            "scratch_contrast",
            "hair_length",
            "hair_width",
            "hair_opacity",
            "soft_blotch_radius",
            "soft_blotch_opacity",
        )
        bad += [f"{k}={getattr(self, k)}" for k in ranges if getattr(self, k)[0] > getattr(self, k)[1]]
        bad += [
            f"{k}={getattr(self, k)}"
            for k in ("dust_opacity", "blotch_opacity", "hair_opacity", "soft_blotch_opacity", "bright_share")
            if max(np.ravel(getattr(self, k))) > 1.0
        ]
        if self.scratch_life[0] < 1:
            bad.append(f"scratch_life={self.scratch_life}")
        if bad:
            raise ParameterError(
                "Invalid damage spec",
                expected="non-negative values, ranges (low, high) with low <= high, "
                "opacities and shares at most 1, scratch lives of at least 1 frame",
                found="; ".join(bad),
                repair="correct the values named",
            )


@dataclass
class Damaged:
    """One damaged frame and its ground truth. Arrays are (H, W) float32."""

    frame: np.ndarray  # damaged scene-linear luminance
    dust: np.ndarray  # opacity of every one-frame defect (dust, blotches, hairs, soft blotches) in [0, 1]
    dust_change: np.ndarray  # how much the one-frame defects changed the sRGB-encoded frame (signed)
    scratches: np.ndarray  # opacity of line scratches (drifting and static) in [0, 1]
    gain: np.ndarray  # the flicker's exposure gain (1.0: none)
    hairs: np.ndarray  # opacity of the hairs alone (also in ``dust``)
    soft_blotches: np.ndarray  # opacity of the soft blotches alone (also in ``dust``)


@dataclass(frozen=True)
class _Scratch:
    start: int
    life: int
    x0: float  # position at ``start``, as a fraction of the width
    drift: float  # pixels per frame at 1080 lines
    width: float  # profile sigma at 1080 lines
    contrast: float
    bright: bool
    top: float  # vertical extent as fractions of the height
    bottom: float
    seed: int


class FilmDamage:
    """Damage clean frames of one shot (all frames ``width`` x ``height``) reproducibly.

    ``damage(clean, index)`` is a pure function of the clean frame, the spec and ``index``.
    """

    def __init__(self, spec: DamageSpec, width: int, height: int) -> None:
        spec.check()
        if width < 16 or height < 16:
            raise ParameterError(
                "Frame too small to damage",
                expected="at least 16x16 pixels",
                found=f"{width}x{height}",
                repair="use a larger frame",
            )
        self.spec, self.width, self.height = spec, width, height
        self.scale = height / 1080.0
        self.area = width * height / (1920.0 * 1080.0)

    # -- the whole frame ------------------------------------------------------------------------
    def damage(self, clean: np.ndarray, index: int) -> Damaged:
        """(H, W) float32 clean scene-linear luminance of frame ``index`` (>= 0) -> :class:`Damaged`."""
        clean = np.asarray(clean, dtype=np.float32)
        if clean.shape != (self.height, self.width):
            raise ParameterError(
                "Frame size differs from the damage's",
                expected=f"({self.height}, {self.width})",
                found=str(clean.shape),
                repair="damage each shot with its own FilmDamage",
            )
        s = self.spec
        soft = cv2.GaussianBlur(clean, (0, 0), s.softness * self.scale) if s.softness > 0 else clean
        gain = self.flicker_gain(index)
        encoded = srgb_encode(soft * gain)
        encoded += self.grain(encoded, index)
        hairs = self.hair_opacity(index)
        soft = self.soft_blotch_opacity(index)
        dust = self.dust_opacity(index) + hairs + soft
        scratches = self.scratch_opacity(index) + self.static_scratch_opacity(index)
        before_dust = encoded.copy()
        for alpha, towards in dust:
            encoded += alpha * (towards - encoded)
        dust_change = encoded - before_dust
        for alpha, towards in scratches:
            encoded += alpha * (towards - encoded)
        total = [np.zeros_like(encoded) for _ in range(4)]
        for i, group in enumerate((dust, scratches, hairs, soft)):
            for alpha, _ in group:
                np.maximum(total[i], alpha, out=total[i])
        return Damaged(srgb_decode(encoded), total[0], dust_change, total[1], gain, total[2], total[3])

    # -- the parts --------------------------------------------------------------------------------
    def _rng(self, *key: int) -> np.random.Generator:
        return np.random.default_rng([self.spec.seed & 0xFFFFFFFF, *key])

    def flicker_gain(self, index: int) -> np.ndarray:
        """(H, W) float32 exposure gain of frame ``index``: global times a smooth regional field."""
        rng = self._rng(1, index)
        exposure = rng.normal(0.0, self.spec.flicker)
        grid = rng.normal(0.0, self.spec.regional_flicker, _FLICKER_GRID).astype(np.float32)
        field = cv2.resize(grid, (self.width, self.height), interpolation=cv2.INTER_CUBIC)
        return np.exp(exposure + field).astype(np.float32)

    def grain(self, encoded: np.ndarray, index: int) -> np.ndarray:
        """(H, W) float32 grain to add to the sRGB-encoded frame: std ``grain`` at mid grey."""
        if self.spec.grain <= 0:
            return np.zeros_like(encoded)
        noise = self._rng(2, index).standard_normal(encoded.shape).astype(np.float32)
        sigma = self.spec.grain_size * self.scale
        if sigma > 0.3:
            noise = cv2.GaussianBlur(noise, (0, 0), sigma)
            noise /= max(float(noise.std()), 1e-6)
        v = np.clip(encoded, 0.0, 1.0)
        return noise * self.spec.grain * (0.5 + 2.0 * v * (1.0 - v))

    def dust_opacity(self, index: int) -> list[tuple[np.ndarray, float]]:
        """The specks and blotches of frame ``index``: (opacity (H, W), target value 0 or 1) each."""
        s, rng = self.spec, self._rng(3, index)
        layers = []
        for count, radius, opacity in (
            (s.dust, s.dust_radius, s.dust_opacity),
            (s.blotches, s.blotch_radius, s.blotch_opacity),
        ):
            for _ in range(rng.poisson(count * self.area)):
                r = math.exp(rng.uniform(math.log(radius[0]), math.log(radius[1]))) * self.scale
                x, y = rng.uniform(0, self.width), rng.uniform(0, self.height)
                alpha = self._blob(rng, x, y, max(r, 0.5)) * rng.uniform(*opacity)
                layers.append((alpha, 1.0 if rng.random() < s.bright_share else 0.0))
        return layers

    def _blob(
        self, rng: np.random.Generator, x: float, y: float, radius: float, feather: float | None = None
    ) -> np.ndarray:
        """An irregular soft-edged blob: a disc whose radius wobbles with the angle.

        Opacity falls from 1 to 0 over ``feather`` pixels across the (wobbling) rim; by default a
        narrow edge (0.15 of the radius, at least 0.7 pixels).
        """
        alpha = np.zeros((self.height, self.width), np.float32)
        edge = max(0.7, 0.15 * radius) if feather is None else max(0.7, feather)
        reach = radius * 1.6 + 2 + (0.0 if feather is None else 0.5 * edge)
        x0, x1 = max(int(x - reach), 0), min(int(x + reach) + 2, self.width)
        y0, y1 = max(int(y - reach), 0), min(int(y + reach) + 2, self.height)
        if x0 >= x1 or y0 >= y1:
            return alpha
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        dx, dy = xs - x, ys - y
        theta = np.arctan2(dy, dx)
        wobble = np.ones_like(theta)
        for k in (2, 3, 5):
            wobble += rng.uniform(0.0, 0.25) * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
        aspect = rng.uniform(0.6, 1.0)
        angle = rng.uniform(0, math.pi)
        u = dx * math.cos(angle) + dy * math.sin(angle)
        v = (-dx * math.sin(angle) + dy * math.cos(angle)) / aspect
        distance = np.hypot(u, v) - radius * wobble
        alpha[y0:y1, x0:x1] = np.clip(0.5 - distance / edge, 0.0, 1.0)
        return alpha

    def hair_opacity(self, index: int) -> list[tuple[np.ndarray, float]]:
        """The hairs of frame ``index``: (opacity (H, W), target value 0 or 1) each.

        A hair is a curve of the drawn length whose curvature varies smoothly along it (a constant,
        a linear change and a wave, up to about a turn and a half in all), drawn anti-aliased (8x
        supersampled) with a soft profile. A hair thinner than a pixel covers a pixel partly: its
        opacity is scaled by its width.
        """
        s, rng = self.spec, self._rng(5, index)
        layers = []
        for _ in range(rng.poisson(s.hairs * self.area)):
            length = rng.uniform(*s.hair_length) * self.scale
            width = rng.uniform(*s.hair_width) * self.scale
            opacity = rng.uniform(*s.hair_opacity)
            x, y = rng.uniform(0, self.width), rng.uniform(0, self.height)
            heading = rng.uniform(0, 2 * math.pi)
            bend = rng.normal(0.0, [2.0, 3.0, 1.5])  # radians over the length: constant, ramp, wave
            phase = rng.uniform(0, 2 * math.pi)
            bright = rng.random() < s.bright_share
            steps = max(int(length / 0.5), 8)
            t = np.linspace(0.0, 1.0, steps + 1)
            curvature = bend[0] + bend[1] * (t - 0.5) + bend[2] * np.sin(2 * math.pi * t + phase)
            angle = heading + np.concatenate([[0.0], np.cumsum(curvature[1:]) / steps])
            ds = length / steps
            xs = x + np.concatenate([[0.0], np.cumsum(np.cos(angle[1:]) * ds)])
            ys = y + np.concatenate([[0.0], np.cumsum(np.sin(angle[1:]) * ds)])
            alpha = self._curve(xs, ys, width) * opacity
            if alpha.any():
                layers.append((alpha, 1.0 if bright else 0.0))
        return layers

    def _curve(self, xs: np.ndarray, ys: np.ndarray, width: float) -> np.ndarray:
        """(H, W) float32 coverage in [0, 1] of a polyline drawn ``width`` pixels wide, anti-aliased."""
        alpha = np.zeros((self.height, self.width), np.float32)
        pad = math.ceil(width) + 3
        x0, x1 = max(int(xs.min()) - pad, 0), min(int(xs.max()) + pad + 1, self.width)
        y0, y1 = max(int(ys.min()) - pad, 0), min(int(ys.max()) + pad + 1, self.height)
        if x0 >= x1 or y0 >= y1:
            return alpha
        ss = 8  # supersampling
        canvas = np.zeros(((y1 - y0) * ss, (x1 - x0) * ss), np.uint8)
        thickness = max(round(width * ss), 1)
        # Pixel centres sit at integer coordinates: the supersampled pixel k covers [k/ss - 0.5, ...).
        points = np.stack([(xs - x0 + 0.5) * ss - 0.5, (ys - y0 + 0.5) * ss - 0.5], axis=1)
        cv2.polylines(canvas, [np.round(points * 16).astype(np.int32)], False, 255, thickness, cv2.LINE_AA, 4)
        cover = cv2.resize(canvas.astype(np.float32) / 255.0, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
        # A soft edge (the hair is out of the print's focal plane a little), coverage kept.
        cover = cv2.GaussianBlur(cover, (0, 0), 0.5)
        cover *= min(1.0, width * ss / thickness)
        alpha[y0:y1, x0:x1] = np.clip(cover, 0.0, 1.0)
        return alpha

    def soft_blotch_opacity(self, index: int) -> list[tuple[np.ndarray, float]]:
        """The soft blotches of frame ``index``: (opacity (H, W), target value 0 or 1) each.

        Irregular blobs whose edge is feathered over 0.6 to 1.2 of their radius (no rim to see),
        partly transparent throughout (``soft_blotch_opacity`` at the centre).
        """
        s, rng = self.spec, self._rng(6, index)
        layers = []
        for _ in range(rng.poisson(s.soft_blotches * self.area)):
            lo, hi = s.soft_blotch_radius
            r = max(math.exp(rng.uniform(math.log(max(lo, 1e-3)), math.log(max(hi, 1e-3)))) * self.scale, 0.5)
            x, y = rng.uniform(0, self.width), rng.uniform(0, self.height)
            feather = rng.uniform(0.6, 1.2) * r
            alpha = self._blob(rng, x, y, r, feather) * rng.uniform(*s.soft_blotch_opacity)
            layers.append((alpha, 1.0 if rng.random() < s.bright_share else 0.0))
        return layers

    def _scratches(self, index: int) -> list[_Scratch]:
        """Every scratch alive at frame ``index`` (drawn block by block, so any frame order works)."""
        s = self.spec
        if s.scratches <= 0:
            return []
        mean_life = 0.5 * (s.scratch_life[0] + s.scratch_life[1])
        rate = s.scratches / mean_life  # births per frame that keep ``scratches`` alive on average
        alive = []
        first_block = (index - s.scratch_life[1]) // _SCRATCH_BLOCK
        for block in range(first_block, index // _SCRATCH_BLOCK + 1):
            rng = self._rng(4, block + 2**20)
            for _ in range(rng.poisson(rate * _SCRATCH_BLOCK)):
                full = rng.random() < 0.6
                top = 0.0 if full else rng.uniform(0.0, 0.5)
                scratch = _Scratch(
                    start=block * _SCRATCH_BLOCK + int(rng.integers(0, _SCRATCH_BLOCK)),
                    life=int(rng.integers(s.scratch_life[0], s.scratch_life[1] + 1)),
                    x0=rng.uniform(0.03, 0.97),
                    drift=rng.uniform(-s.scratch_drift, s.scratch_drift),
                    width=rng.uniform(*s.scratch_width),
                    contrast=rng.uniform(*s.scratch_contrast),
                    bright=bool(rng.random() < 0.6),
                    top=top,
                    bottom=1.0 if full else rng.uniform(top + 0.3, 1.0),
                    seed=int(rng.integers(2**31)),
                )
                if scratch.start <= index < scratch.start + scratch.life:
                    alive.append(scratch)
        return alive

    def scratch_opacity(self, index: int) -> list[tuple[np.ndarray, float]]:
        """The line scratches of frame ``index``: (opacity (H, W), target value 0 or 1) each."""
        layers = []
        for scratch in self._scratches(index):
            age = index - scratch.start
            jitter = np.random.default_rng([scratch.seed, age]).normal(0.0, self.spec.scratch_jitter)
            x = scratch.x0 * self.width + (scratch.drift * age + jitter) * self.scale
            layers.append(self._line(scratch, x))
        return layers

    def static_scratches(self) -> list[_Scratch]:
        """The static scratches of the shot (the same for every frame; ``start`` 0, ``drift`` 0)."""
        s = self.spec
        out = []
        for k in range(s.static_scratches):
            rng = self._rng(7, k)
            full = rng.random() < 0.7
            top = 0.0 if full else rng.uniform(0.0, 0.3)
            out.append(
                _Scratch(
                    start=0,
                    life=2**62,
                    x0=rng.uniform(0.08, 0.92),
                    drift=0.0,
                    width=rng.uniform(*s.scratch_width),
                    contrast=rng.uniform(*s.scratch_contrast),
                    bright=bool(rng.random() < 0.6),
                    top=top,
                    bottom=1.0 if full else rng.uniform(top + 0.5, 1.0),
                    seed=int(rng.integers(2**31)),
                )
            )
        return out

    def static_scratch_offset(self, k: int, index: int) -> float:
        """Sideways offset in pixels (at this frame's size) of static scratch ``k`` in frame ``index``."""
        wobble = self.spec.static_scratch_wobble
        if wobble <= 0:
            return 0.0
        offset = float(np.random.default_rng([self.spec.seed & 0xFFFFFFFF, 8, k, index]).normal(0.0, wobble))
        return float(np.clip(offset, -3.0 * wobble, 3.0 * wobble)) * self.scale

    def static_scratch_opacity(self, index: int) -> list[tuple[np.ndarray, float]]:
        """The static scratches in frame ``index``: (opacity (H, W), target value 0 or 1) each."""
        return [
            self._line(scratch, scratch.x0 * self.width + self.static_scratch_offset(k, index))
            for k, scratch in enumerate(self.static_scratches())
        ]

    def _line(self, scratch: _Scratch, x: float) -> tuple[np.ndarray, float]:
        """A scratch's line centred on column ``x``: (opacity (H, W), target value 0 or 1)."""
        sigma = max(scratch.width * self.scale, 0.45)
        xs = np.arange(self.width, dtype=np.float32)
        profile = np.exp(-0.5 * ((xs - x) / sigma) ** 2)
        # Strength wanders slowly along the line; the ends fade over a few pixels.
        rng = np.random.default_rng(scratch.seed)
        knots = rng.uniform(0.5, 1.0, 6).astype(np.float32)
        along = cv2.resize(knots[:, None], (1, self.height), interpolation=cv2.INTER_CUBIC)[:, 0]
        ys = np.arange(self.height, dtype=np.float32)
        fade = max(4.0 * self.scale, 1.0)
        top, bottom = scratch.top * self.height, scratch.bottom * self.height
        extent = np.clip(np.minimum(ys - top, bottom - ys) / fade, 0.0, 1.0)
        alpha = (np.clip(along, 0.0, 1.0) * extent)[:, None] * profile[None, :] * scratch.contrast
        return alpha.astype(np.float32), 1.0 if scratch.bright else 0.0


def damaged_colour(colour: np.ndarray, y: np.ndarray, damaged: np.ndarray) -> np.ndarray:
    """(H, W, 3) a colour frame with luminance ``y`` given the ``damaged`` luminance, each pixel's
    chroma kept (dust darkens, a scratch lightens, every channel alike); black pixels take the
    damaged value as grey."""
    lit = y > 1e-6
    gain = np.divide(damaged, y, out=np.zeros_like(damaged), where=lit)
    return np.where(lit[..., None], colour * gain[..., None], damaged[..., None]).astype(np.float32)
