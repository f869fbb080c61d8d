"""Automatic colourisation of a grey picture: a chroma ratio predicted from luminance alone.

The colouriser (by default ``tinct-autocolor-v2``, a :class:`~tinct.models.architectures.colornet.TinctColorNet`
trained in this repository) works on the picture reduced to ``working_size`` pixels on its long
side; colour is smooth, so only the chroma is brought back to full size, by a fast guided filter
(He and Sun 2015) steered by the full-resolution luminance, which puts colour edges on luminance
edges. The result is a chroma ratio for :func:`tinct.core.chroma.apply_chroma`::

    Y (working space, scene-linear)                           the caller's luminance
      -> sRGB-encoded Y clamped to [0, 1], area-reduced       the network's input
      -> CIELab (a*, b*) at working size -> guided upsample   the network's colour, times ``vibrance``
      -> Lab with L* of min(Y, 1) -> linear Rec.709           the colour (pulled towards neutral,
                                                              at constant Y, until no channel is negative)
      -> sRGB-encoded (display) -> working space (OCIO)       via ColourManager.from_model
      -> chroma ratio RGB / Y                                 tinct.core.chroma.chroma_ratio

``apply_chroma(Y, ratio, w)`` then gives back exactly ``Y``, also above 1.0 (a highlight takes the
colour predicted for display white's luminance), and dark or non-positive pixels go neutral.
:meth:`AutoColorizer.colour` also gives a confidence in [0, 1] per pixel: how sure the network is of
the hue (:meth:`~tinct.models.architectures.colornet.TinctColorNet.certainty`; 1 for imported models,
which give no distribution). Deterministic for a given device and precision.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from tinct.core.chroma import chroma_ratio
from tinct.core.colour import ColourManager
from tinct.core.flow import srgb_decode
from tinct.core.flow import srgb_encode as encode_transfer

from .architectures.colornet import (
    SIZE_MULTIPLE,
    TinctColorNet,
    lab_to_linear,
    lightness,
    linear_to_lab,
    srgb_encode,
)
from .catalog import default_registry
from .device import choose_device, choose_dtype
from .errors import ModelError
from .registry import SPANDREL, Registry

DEFAULT_MODEL = "tinct-autocolor-v2"
# One spelling; models imported by Tinct 0.2 were registered as "colourisation".
COLORIZATION_TASKS = ("colorization", "colourisation")
DEFAULT_WORKING_SIZE = 320
# The share of the model's full colour (its decoding times its gain) given by default; for
# tinct-autocolor-v2 (gain 2.5) it is the plain decoding, best in PSNR on the validation photos.
DEFAULT_VIBRANCE = 0.4
# Guided upsampling: window radius in working-size pixels, and regularisation in (encoded luminance)^2:
# a luminance step of more than about sqrt(eps) = 0.03 keeps its own colour on each side.
GUIDE_RADIUS = 2
GUIDE_EPS = 1e-3


class AutoColorizer:
    """A loaded automatic colouriser.

    Args:
        name: a registered model whose task is ``colorization``.
        device: ``auto``, ``cpu``, ``cuda`` or ``cuda:N``, or a :class:`torch.device`.
        precision: ``auto`` (float16 on CUDA where the model allows, else float32), ``float32`` or ``float16``.
        registry: where ``name`` is looked up (default: :func:`tinct.models.catalog.default_registry`).
        working_size: the long side, in pixels, the network runs at (pictures are never enlarged).
        temperature: annealed-mean temperature, overriding the model's own (lower: more saturated).
        mix: share of the regression head's answer, overriding the model's own (needs such a head).
        vibrance: 0 grey, 1 the model's full colour (a factor on its CIELab chroma).
        weights_folder: read the weights file from this folder instead of the registry's default.

    Raises:
        ModelError: unknown model, not a colouriser, or an unusable device or precision.
        WeightsError: the weights are missing or fail their checksum.
    """

    def __init__(
        self,
        name: str = DEFAULT_MODEL,
        device: str | torch.device = "auto",
        precision: str = "auto",
        *,
        registry: Registry | None = None,
        working_size: int = DEFAULT_WORKING_SIZE,
        temperature: float | None = None,
        mix: float | None = None,
        vibrance: float = DEFAULT_VIBRANCE,
        weights_folder: Path | None = None,
    ) -> None:
        registry = default_registry() if registry is None else registry
        descriptor = registry.get(name)
        own = descriptor.architecture == "TinctColorNet"
        # Third-party colourisers (e.g. DDColor through spandrel) take grey and answer sRGB-encoded RGB.
        imported = descriptor.architecture == SPANDREL and (descriptor.in_channels, descriptor.out_channels) == (1, 3)
        if descriptor.task not in COLORIZATION_TASKS or not (own or imported):
            raise ModelError(
                f"Model {name!r} is not an automatic colouriser",
                expected="a colourisation model: "
                "TinctColorNet, or one imported with `tinct models import` (1 channel in, RGB out)",
                found=f"{descriptor.architecture} ({descriptor.task})",
                repair="choose a colourisation model (`tinct models list`)",
            )
        if (
            working_size < SIZE_MULTIPLE
            or (temperature is not None and not 0.0 < temperature <= 1.0)
            or (mix is not None and not 0.0 <= mix <= 1.0)
            or not 0.0 <= vibrance <= 1.0
        ):
            raise ModelError(
                "Invalid colouriser settings",
                expected=f"working_size >= {SIZE_MULTIPLE}, temperature in (0, 1], mix and vibrance in [0, 1]",
                found=f"working_size={working_size}, temperature={temperature}, mix={mix}, vibrance={vibrance}",
                repair="pass values in range",
            )
        target = device if isinstance(device, torch.device) else choose_device(device)
        dtype = choose_dtype(target, descriptor.dtypes, precision)
        self.model = registry.load(name, target, dtype, folder=weights_folder)
        self.network = self.model.network
        self.working_size = working_size
        own_net = self.network if isinstance(self.network, TinctColorNet) else None
        self.temperature = (own_net.temperature if own_net else 1.0) if temperature is None else temperature
        self.mix = (own_net.mix if own_net else 0.0) if mix is None else mix
        if self.mix and not (own_net and own_net.regression):
            raise ModelError(
                f"Model {name!r} has no regression head to mix",
                expected="mix 0 for this model",
                found=f"mix={mix}",
                repair="leave mix unset",
            )
        self.vibrance = float(vibrance)

    @property
    def name(self) -> str:
        """The model's registered name."""
        return self.model.descriptor.name

    @property
    def sha256(self) -> str:
        """The sha256 of the model's (verified) weights file: what the model is, for provenance."""
        return self.model.descriptor.sha256

    def chroma(self, luminance: np.ndarray, cm: ColourManager) -> np.ndarray:
        """(H, W) scene-linear working-space luminance -> (H, W, 3) float32 working-space chroma ratio.

        Raises:
            ModelError: not a 2-D array of at least 1 x 1 pixels, or values that are not finite.
        """
        return self.colour(luminance, cm)[0]

    def colour(self, luminance: np.ndarray, cm: ColourManager) -> tuple[np.ndarray, np.ndarray]:
        """(H, W) working-space luminance -> (chroma ratio (H, W, 3), confidence (H, W)), float32.

        Raises:
            ModelError: not a 2-D array of at least 1 x 1 pixels, or values that are not finite.
        """
        y = np.asarray(luminance, dtype=np.float32)
        if y.ndim != 2 or y.size == 0:
            raise ModelError(
                "The colouriser needs a luminance image",
                expected="an (H, W) array",
                found=f"shape {y.shape}",
                repair="pass the working-space luminance of one frame",
            )
        if not np.isfinite(y).all():
            raise ModelError(
                "The luminance holds NaN or infinite values",
                expected="finite values",
                found=f"{int(np.size(y) - np.isfinite(y).sum())} non-finite pixels",
                repair="repair or clamp the source frame first",
            )
        shown = np.clip(y, 0.0, 1.0)
        guide = srgb_encode(shown)
        small = _reduce(shown, self.working_size)
        small_guide = srgb_encode(small)
        ab_small, certainty_small = self._predict(small_guide)
        ab = fast_guided_upsample(small_guide, ab_small * self.vibrance, guide, GUIDE_RADIUS, GUIDE_EPS)
        lab = np.concatenate([lightness(shown)[..., None], ab], axis=-1)
        rgb = _to_gamut(lab_to_linear(lab), shown)
        # Values above 1 keep the same power law (highlights), negatives are out of gamut: 0.
        working = cm.from_model(encode_transfer(np.maximum(np.asarray(rgb, np.float64), 0.0)))
        size = (y.shape[1], y.shape[0])
        confidence = cv2.resize(certainty_small, size, interpolation=cv2.INTER_LINEAR)
        return chroma_ratio(working, cm.luminance_weights()), np.clip(confidence, 0.0, 1.0).astype(np.float32)

    def _predict(self, encoded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(h, w) sRGB-encoded luminance in [0, 1] -> (h, w, 2) float32 (a*, b*) and (h, w) hue certainty."""
        height, width = encoded.shape
        x = torch.from_numpy(np.ascontiguousarray(encoded))[None, None]
        pad_h, pad_w = -height % SIZE_MULTIPLE, -width % SIZE_MULTIPLE
        # Reflection needs the pad to be smaller than the side; tiny pictures repeat their edge instead.
        mode = "reflect" if pad_h < height and pad_w < width else "replicate"
        x = F.pad(x, (0, pad_w, 0, pad_h), mode=mode)
        with torch.inference_mode():
            x = x.to(self.model.device, self.model.dtype)
            if not isinstance(self.network, TinctColorNet):
                rgb = self.network(x).float()[0, :, :height, :width].permute(1, 2, 0).cpu().numpy()
                imported_ab = linear_to_lab(srgb_decode(np.clip(rgb, 0.0, 1.0).astype(np.float64)))[..., 1:]
                return imported_ab, np.ones((height, width), np.float32)
            logits, regressed = self.network.heads(x)
            ab = self.network.decode(logits, self.temperature, regressed, self.mix).float()
            both = torch.cat([ab, self.network.certainty(logits)[:, None]], dim=1)
            both = F.interpolate(both, size=x.shape[-2:], mode="bilinear", align_corners=False)
        answer = both[0, :, :height, :width].permute(1, 2, 0).cpu().numpy().astype(np.float32)
        return answer[..., :2], np.ascontiguousarray(answer[..., 2])


def fast_guided_upsample(
    small_guide: np.ndarray, small_values: np.ndarray, guide: np.ndarray, radius: int, eps: float
) -> np.ndarray:
    """Bring (h, w, C) values to the size of ``guide`` (H, W), with edges where the guide has them.

    He and Sun's fast guided filter: in each window of the reduced images fit
    ``value ~ a * small_guide + b``, average the window fits, upsample ``a`` and ``b`` bilinearly
    and apply them to the full-size guide. Guides are float32 in [0, 1].
    """
    size = (guide.shape[1], guide.shape[0])
    window = (2 * radius + 1, 2 * radius + 1)

    def box(image: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(image, -1, window, normalize=True, borderType=cv2.BORDER_REFLECT)

    g = small_guide.astype(np.float32)
    g_mean = box(g)
    g_var = box(g * g) - g_mean * g_mean
    out = np.empty(guide.shape + (small_values.shape[-1],), np.float32)
    for c in range(small_values.shape[-1]):
        v = np.ascontiguousarray(small_values[..., c], dtype=np.float32)
        v_mean = box(v)
        a = (box(g * v) - g_mean * v_mean) / (np.maximum(g_var, 0.0) + eps)
        b = v_mean - a * g_mean
        a_up = cv2.resize(box(a), size, interpolation=cv2.INTER_LINEAR)
        b_up = cv2.resize(box(b), size, interpolation=cv2.INTER_LINEAR)
        out[..., c] = a_up * guide + b_up
    return out


def _reduce(image: np.ndarray, long_side: int) -> np.ndarray:
    """Area-reduce (H, W) so its long side is at most ``long_side`` (never enlarged)."""
    height, width = image.shape
    factor = long_side / max(height, width)
    if factor >= 1.0:
        return image
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _to_gamut(rgb: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pull (..., 3) linear colours towards the neutral of luminance ``y`` until no channel is negative.

    ``y + t (rgb - y)`` keeps the luminance for any ``t``; the largest ``t`` in [0, 1] is taken.
    """
    neutral = y[..., None].astype(np.float32)
    excursion = rgb - neutral
    with np.errstate(divide="ignore", invalid="ignore"):
        limits = np.where(rgb < 0.0, neutral / np.maximum(neutral - rgb, 1e-12), 1.0)
    t = np.clip(limits.min(axis=-1, keepdims=True), 0.0, 1.0)
    return (neutral + t * excursion).astype(np.float32)
