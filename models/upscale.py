"""Super-resolution of scene-linear images with networks trained on display-encoded [0, 1] pixels.

A Real-ESRGAN network knows sRGB-encoded images clamped to [0, 1]; film scans in the working space
hold values above display white (highlights), negative out-of-gamut values and fine differences
the network would not reproduce. The image is therefore split into what the network can
represent and what it cannot::

    e      = encode(x)                        working space -> the model's encoding (unclamped)
    c      = clip(e, lo, hi)                  what the network can represent
    excess = x - decode(c)                    highlights above white, negatives; set to exactly 0
                                              at pixels whose three encoded values lie in [lo, hi]
    y      = decode(clip(net(c), lo, hi)) + bilinear(excess, scale)

- In range (the usual case), ``excess`` is 0 and the output is exactly ``decode(net(c))``: the
  network's answer, unchanged, back in scene-linear.
- A highlight of 10.0 is split into display white (which the network sharpens like any white)
  plus an excess of about 9 that is resized plainly; inside a flat highlight the output is
  ``decode(white) + 9`` = 10.0 again. Negatives survive the same way.
- The excess is resized with a bilinear (triangle) filter, not bicubic or Lanczos: it is zero next
  to any highlight, and a ringing filter would dig negative halos of a tenth of the highlight into
  the dark pixels around it. Highlights keep the sharpness of the source above white, the network's
  detail below it.
- ``encode``/``decode`` come from the caller (``ColourManager.to_model`` / ``from_model``), so the
  colour pipeline stays in :mod:`tinct.core.colour`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from .errors import ModelError
from .registry import LoadedModel
from .tiling import DEFAULT_TILING, Tiling, run_tiled

Codec = Callable[[np.ndarray], np.ndarray]


class ModelUpscaler:
    """Scene-linear (H, W, 3) float32 -> (scale*H, scale*W, 3) float32 with a loaded RGB model.

    ``encode`` maps working-space RGB to the model's colour encoding (unclamped) and ``decode``
    back; both take and return (..., 3) float32 arrays.
    """

    def __init__(self, model: LoadedModel, encode: Codec, decode: Codec, *, tiling: Tiling = DEFAULT_TILING) -> None:
        descriptor = model.descriptor
        if (descriptor.in_channels, descriptor.out_channels) != (3, 3):
            raise ModelError(
                f"Model {descriptor.name!r} is not an RGB model",
                expected="3 channels in and out",
                found=f"{descriptor.in_channels} in, {descriptor.out_channels} out",
                repair="choose an RGB super-resolution model",
            )
        self.model = model
        self.encode = encode
        self.decode = decode
        self.tiling = tiling

    @property
    def scale(self) -> int:
        return self.model.descriptor.scale

    def __call__(self, linear: np.ndarray) -> np.ndarray:
        """Upscale one scene-linear frame (any finite values).

        Raises:
            ModelError: the array is not (H, W, 3).
        """
        if linear.ndim != 3 or linear.shape[2] != 3:
            raise ModelError(
                "Clarity needs an RGB frame",
                expected="an (H, W, 3) array",
                found=f"shape {linear.shape}",
                repair="pass the frame's R, G and B channels",
            )
        low, high = self.model.descriptor.value_range
        linear = np.ascontiguousarray(linear, dtype=np.float32)
        encoded = self.encode(linear)
        clamped = np.clip(encoded, low, high)
        answer = np.clip(self.network_output(clamped), low, high)
        result = self.decode(answer)
        in_range = np.all((encoded >= low) & (encoded <= high), axis=-1)
        if not in_range.all():
            excess = linear - self.decode(clamped)
            excess[in_range] = 0.0
            result += resize_bilinear(excess, self.scale)
        return result

    def network_output(self, encoded: np.ndarray) -> np.ndarray:
        """(H, W, 3) float32 in the model's encoding and range -> (sH, sW, 3) float32, unclamped, tiled."""
        image = torch.from_numpy(np.ascontiguousarray(encoded, dtype=np.float32)).permute(2, 0, 1)[None]
        descriptor = self.model.descriptor
        out = run_tiled(
            self.model.network,
            image,
            scale=descriptor.scale,
            tiling=self.tiling,
            size_multiple=descriptor.size_multiple,
            device=self.model.device,
            dtype=self.model.dtype,
        )
        return np.ascontiguousarray(out[0].permute(1, 2, 0).numpy())


def resize_bilinear(image: np.ndarray, scale: int) -> np.ndarray:
    """(H, W, C) float32 -> (scale*H, scale*W, C) float32, bilinear with half-pixel centres (edges repeated)."""
    tensor = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)).permute(2, 0, 1)[None]
    out = F.interpolate(tensor, scale_factor=scale, mode="bilinear", align_corners=False)
    return np.ascontiguousarray(out[0].permute(1, 2, 0).numpy())
