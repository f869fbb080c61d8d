"""Training samples of the automatic colouriser: cached photos, random views, archival degradations.

One sample, a pure function of the random generator it is given:

1. a photo, drawn with probability proportional to its colourfulness weight
   ``clip(HS / photo_weight_ref, photo_weight_floor, 1)`` (HS: :func:`colourfulness`), so nearly
   monochrome photos are seen rarely but still seen;
2. a view of it: resized (area filter, from the cache) so that its short side is
   ``crop * U(short_side)``, turned by up to ``rotation_deg`` degrees, mirrored left-right, and a
   ``crop`` x ``crop`` window cut from inside the turned image (no border fill);
3. the target: CIELab (a*, b*) of the view, area-reduced by 4 to the network's prediction grid;
4. the input: the view's luminance, archival-degraded: exposure, sRGB encoding, tone (gamma,
   contrast, lifted blacks), optical blur, film grain, JPEG; in [0, 1];
5. the loss weight ``clip(mean C* / chroma_ref, chroma_floor, 1)`` (C*: CIELab chroma of the view).

Photos are decoded once (exact sRGB EOTF, linear-light area reduction to a short side of
``cache_short_side``) and kept as float16 CIELab, optionally cached on disk as ``.npy`` files.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tinct.core.errors import ImageFileError, ParameterError
from tinct.core.synthetic import load_photo

from ..architectures.colornet import REC709_Y, lab_to_linear, linear_to_lab, srgb_encode

PREDICTION_STRIDE = 4


@dataclass(frozen=True)
class DataConfig:
    """Sampling and augmentation settings (the ``data`` section of the training config).

    Ranges are ``(low, high)`` of a uniform draw; ``*_p`` are probabilities. ``short_side`` is in
    units of ``crop``; ``blur_sigma`` and ``grain_size`` in pixels of the crop; ``exposure_stops``
    and ``gamma_stops`` are half-widths in stops (powers of two).
    """

    crop: int = 144
    batch: int = 16
    cache_short_side: int = 384
    short_side: tuple[float, float] = (1.3, 2.6)
    rotation_deg: float = 8.0
    rotation_p: float = 0.5
    exposure_stops: float = 0.7
    gamma_stops: float = 0.35
    contrast: tuple[float, float] = (0.75, 1.2)
    lift: tuple[float, float] = (0.0, 0.08)
    blur_p: float = 0.35
    blur_sigma: tuple[float, float] = (0.3, 1.5)
    grain_p: float = 0.5
    grain_std: tuple[float, float] = (0.005, 0.05)
    grain_size: tuple[float, float] = (0.0, 1.0)
    jpeg_p: float = 0.35
    jpeg_quality: tuple[int, int] = (25, 90)
    photo_weight_ref: float = 50.0
    photo_weight_floor: float = 0.05
    chroma_ref: float = 20.0
    chroma_floor: float = 0.1

    def __post_init__(self) -> None:
        problems = []
        if self.crop < 16 or self.crop % 16:
            problems.append(f"crop {self.crop} must be a positive multiple of 16")
        if self.batch < 1:
            problems.append(f"batch {self.batch} must be positive")
        for name in ("short_side", "contrast", "lift", "blur_sigma", "grain_std", "grain_size", "jpeg_quality"):
            low, high = getattr(self, name)
            if not 0 <= low <= high:
                problems.append(f"{name} ({low}, {high}) must be 0 <= low <= high")
        if self.short_side[0] < 1.0:
            problems.append(f"short_side {self.short_side} must start at 1 or more (the crop must fit)")
        if self.cache_short_side < self.crop:
            problems.append(f"cache_short_side {self.cache_short_side} is below the crop {self.crop}")
        for name in ("rotation_p", "blur_p", "grain_p", "jpeg_p", "photo_weight_floor", "chroma_floor"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                problems.append(f"{name} must be in [0, 1]")
        if problems:
            raise ParameterError(
                "Invalid data settings in the training config",
                expected="consistent values",
                found="; ".join(problems),
                repair="fix the 'data' section of the config",
            )

    @classmethod
    def from_dict(cls, values: Mapping[str, object]) -> DataConfig:
        """Build from a JSON mapping; lists become tuples. Unknown keys are refused."""
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - fields)
        if unknown:
            raise ParameterError(
                "Unknown data settings in the training config",
                expected=", ".join(sorted(fields)),
                found=", ".join(unknown),
                repair="remove or rename them",
            )
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})  # type: ignore[arg-type]


@dataclass(frozen=True)
class CachedPhoto:
    """A decoded training photo: (H, W, 3) float16 CIELab and its colourfulness (of the cached size)."""

    name: str
    lab: np.ndarray
    colourfulness: float


@dataclass(frozen=True)
class Batch:
    """Network input (B, 1, c, c) float32 in [0, 1]; target (B, 2, c/4, c/4) float32 (a*, b*);
    weight (B,) float32 in (0, 1]."""

    luminance: np.ndarray
    ab: np.ndarray
    weight: np.ndarray


def colourfulness(display: np.ndarray) -> float:
    """Hasler and Suesstrunk's colourfulness of an (..., 3) sRGB-encoded image in [0, 1].

    ``sqrt(sd(rg)^2 + sd(yb)^2) + 0.3 sqrt(mean(rg)^2 + mean(yb)^2)`` with ``rg = R - G`` and
    ``yb = (R + G) / 2 - B`` on the 0-255 scale: about 0 for grey, 15-35 for muted photos, 60-110
    for colourful ones (Hasler and Suesstrunk 2003).
    """
    rgb = np.asarray(display, np.float64).reshape(-1, 3) * 255.0
    rg = rgb[:, 0] - rgb[:, 1]
    yb = 0.5 * (rgb[:, 0] + rgb[:, 1]) - rgb[:, 2]
    return float(math.hypot(rg.std(), yb.std()) + 0.3 * math.hypot(rg.mean(), yb.mean()))


def lab_to_display(lab: np.ndarray) -> np.ndarray:
    """(..., 3) CIELab -> (..., 3) float32 sRGB-encoded Rec.709 clamped to [0, 1]."""
    return srgb_encode(lab_to_linear(lab))


def load_photos(
    data_dir: Path, names: Sequence[str], short_side: int, cache_dir: Path | None = None
) -> list[CachedPhoto]:
    """Decode ``names`` (relative to ``data_dir``) to CIELab at ``short_side`` (never enlarged).

    With ``cache_dir``, each decoded photo is kept there as ``.npy`` (float16) and reused when the
    source file's size and modification time have not changed.

    Raises:
        ImageFileError: a photo is missing or cannot be decoded.
    """
    photos = []
    for name in names:
        path = Path(data_dir) / name
        if not path.is_file():
            raise ImageFileError(
                "Training photo not found",
                expected=f"the photo {name} in {data_dir}",
                found="no such file",
                repair="check --data, or re-create the shared data (../shared/data/README.md)",
                file=path,
            )
        lab = _cached(path, name, short_side, cache_dir)
        photos.append(CachedPhoto(name, lab, colourfulness(lab_to_display(lab.astype(np.float32)))))
    return photos


def _cached(path: Path, name: str, short_side: int, cache_dir: Path | None) -> np.ndarray:
    stat = path.stat()
    key = f"{name.replace('/', '__')}-{short_side}-{stat.st_size}-{stat.st_mtime_ns}.npy"
    if cache_dir is not None and (Path(cache_dir) / key).is_file():
        return np.load(Path(cache_dir) / key, allow_pickle=False)
    linear = load_photo(path)
    factor = short_side / min(linear.shape[:2])
    if factor < 1.0:
        size = (max(1, round(linear.shape[1] * factor)), max(1, round(linear.shape[0] * factor)))
        linear = cv2.resize(linear, size, interpolation=cv2.INTER_AREA)
    lab = linear_to_lab(linear).astype(np.float16)
    if cache_dir is not None:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        temporary = Path(cache_dir) / f".{key}.tmp.npy"
        np.save(temporary, lab, allow_pickle=False)
        temporary.replace(Path(cache_dir) / key)
    return lab


def photo_weights(photos: Sequence[CachedPhoto], config: DataConfig) -> np.ndarray:
    """(N,) float64 sampling probabilities of the photos, from their colourfulness (sum 1)."""
    raw = np.array([p.colourfulness / config.photo_weight_ref for p in photos], np.float64)
    weights = np.clip(raw, config.photo_weight_floor, 1.0)
    return weights / weights.sum()


def sample_batch(rng: np.random.Generator, photos: Sequence[CachedPhoto], config: DataConfig) -> Batch:
    """``config.batch`` random samples (see the module docstring)."""
    probabilities = photo_weights(photos, config)
    inputs, targets, weights = [], [], []
    for _ in range(config.batch):
        photo = photos[int(rng.choice(len(photos), p=probabilities))]
        lab = random_view(rng, photo.lab, config)
        small = cv2.resize(
            lab[..., 1:], None, fx=1.0 / PREDICTION_STRIDE, fy=1.0 / PREDICTION_STRIDE, interpolation=cv2.INTER_AREA
        )
        chroma = float(np.mean(np.hypot(lab[..., 1], lab[..., 2])))
        inputs.append(degrade(rng, lab[..., 0], config))
        targets.append(small.transpose(2, 0, 1))
        weights.append(np.clip(chroma / config.chroma_ref, config.chroma_floor, 1.0))
    return Batch(
        np.stack(inputs)[:, None].astype(np.float32),
        np.stack(targets).astype(np.float32),
        np.array(weights, np.float32),
    )


def random_view(rng: np.random.Generator, lab: np.ndarray, config: DataConfig) -> np.ndarray:
    """A random ``crop`` x ``crop`` x 3 float32 CIELab view of a cached photo: scale, turn, mirror."""
    crop = config.crop
    target_short = crop * rng.uniform(*config.short_side)
    factor = min(1.0, target_short / min(lab.shape[:2]))
    size = (max(crop, round(lab.shape[1] * factor)), max(crop, round(lab.shape[0] * factor)))
    image = cv2.resize(lab.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    height, width = image.shape[:2]
    angle = rng.uniform(-config.rotation_deg, config.rotation_deg) if rng.random() < config.rotation_p else 0.0
    theta = math.radians(angle)
    # Half-extent of the turned window: it must stay inside the image.
    reach = 0.5 * crop * (abs(math.cos(theta)) + abs(math.sin(theta)))
    if 2.0 * reach > min(height, width):
        theta, reach = 0.0, 0.5 * crop
    cx = rng.uniform(reach, width - reach)
    cy = rng.uniform(reach, height - reach)
    cos, sin = math.cos(theta), math.sin(theta)
    # Output pixel (u, v) reads source (cx, cy) + R(theta) (u - c/2, v - c/2), pixel centres at +0.5.
    half = 0.5 * crop - 0.5
    matrix = np.array(
        [[cos, -sin, cx - 0.5 - cos * half + sin * half], [sin, cos, cy - 0.5 - sin * half - cos * half]], np.float64
    )
    view = cv2.warpAffine(
        image, matrix, (crop, crop), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT_101
    )
    if rng.random() < 0.5:
        view = view[:, ::-1]
    return np.ascontiguousarray(view, dtype=np.float32)


def degrade(rng: np.random.Generator, lightness: np.ndarray, config: DataConfig) -> np.ndarray:
    """(H, W) CIE L* -> (H, W) float32 archival-looking sRGB-encoded luminance in [0, 1].

    Exposure (linear gain), sRGB encoding, tone (gamma, contrast about mid-grey, lifted blacks),
    Gaussian blur, grain (Gaussian, optionally clumped, strongest in the mid-tones), JPEG.
    """
    y = lab_to_linear(np.stack([lightness, np.zeros_like(lightness), np.zeros_like(lightness)], axis=-1))[..., 1]
    y = y * 2.0 ** rng.uniform(-config.exposure_stops, config.exposure_stops)
    x: np.ndarray = srgb_encode(y).astype(np.float64)
    x = x ** (2.0 ** rng.uniform(-config.gamma_stops, config.gamma_stops))
    x = 0.5 + (x - 0.5) * rng.uniform(*config.contrast)
    lift = rng.uniform(*config.lift)
    x = lift + (1.0 - lift) * np.clip(x, 0.0, 1.0)
    x = x.astype(np.float32)
    if rng.random() < config.blur_p:
        x = cv2.GaussianBlur(x, (0, 0), rng.uniform(*config.blur_sigma), borderType=cv2.BORDER_REFLECT_101)
    if rng.random() < config.grain_p:
        grain: np.ndarray = rng.standard_normal(x.shape).astype(np.float32)
        size = rng.uniform(*config.grain_size)
        if size > 0.2:
            grain = cv2.GaussianBlur(grain, (0, 0), size, borderType=cv2.BORDER_REFLECT_101)
            grain = grain / max(float(grain.std()), 1e-6)
        midtones = 2.0 * np.sqrt(np.clip(x * (1.0 - x), 0.0, 0.25))
        x = x + rng.uniform(*config.grain_std) * midtones * grain
    x = np.clip(x, 0.0, 1.0)
    if rng.random() < config.jpeg_p:
        quality = int(rng.integers(config.jpeg_quality[0], config.jpeg_quality[1] + 1))
        ok, encoded = cv2.imencode(".jpg", np.rint(x * 255.0).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, quality])
        decoded = cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE) if ok else None
        if decoded is None:
            raise RuntimeError("OpenCV failed to round-trip a training sample through JPEG")
        x = decoded.astype(np.float32) / 255.0
    return x.astype(np.float32)


def mean_chroma_ratio(photos: Sequence[CachedPhoto]) -> np.ndarray:
    """(3,) float32 mean linear-Rec.709 chroma ratio ``RGB / Y`` of the photos' pixels.

    Each photo counts equally; pixels darker than L* 5 (whose ratio is noise) are left out. The
    global mean-chroma baseline of the benchmark applies this one ratio everywhere.
    """
    means = []
    for photo in photos:
        lab = photo.lab.astype(np.float32).reshape(-1, 3)
        lab = lab[lab[:, 0] > 5.0]
        if lab.size == 0:
            continue
        rgb = np.maximum(lab_to_linear(lab), 0.0)
        y = rgb @ REC709_Y.astype(np.float32)
        means.append(np.mean(rgb / np.maximum(y, 1e-6)[:, None], axis=0))
    return np.mean(means, axis=0).astype(np.float32)
