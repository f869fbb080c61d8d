"""Export a registry model as TorchScript for Nuke's Inference node (CatFileCreator), with a Cattery folder.

The contract (../shared/docs/HOSTS.md): ``forward(x)`` takes one tensor 1 x C x H x W of raw
scene-linear pixels (any values, above 1.0 and negative included) and returns 1 x 3 x sH x sW
scene-linear pixels; all colour conversion, clamping and padding happen inside ``forward``;
tensors are made on ``x.device``; knobs are plain attributes set in ``__init__`` (ints for
booleans). The exported module does what Tinct's own engine does, so Nuke's result equals
``tinct``'s:

- Colour: working space -> the model's encoding as an affine matrix and OCIO's
  ExponentWithLinear curve (the sRGB curve, negatives continuing its linear segment), both read
  from OCIO at export time (:func:`colour_conversions`) and checked against OCIO on probe values.
  The ``working_space`` knob picks one of the exported working spaces (e.g. ACEScg, Linear Rec.709).
  The colour maths runs in float32 whatever the input's precision; the network runs in the
  input's dtype (Nuke's "Optimise for speed" makes both half).
- RGB models (super-resolution, restoration: 3 channels in and out) are applied as
  :mod:`tinct.models.upscale` does: the network sees the clamped encoding, its clamped answer goes
  back to scene-linear, and what lay outside the model's range (highlights above white, negative
  out-of-gamut values) is added back, resized bilinearly (knob ``keep_highlights``).
- Grey models (1 channel in and out) work on luminance ``Y = w . RGB`` (the working space's
  weights); the change of luminance is added to all three channels, so a model that changes
  nothing leaves the frame untouched.
- Colourisers (task ``colourisation``, or 1 channel in and 2 or 3 out) get the luminance as an
  encoded grey image (repeated to the network's input channels) and answer RGB in their encoding,
  or chroma plus a ``to_rgb(grey, chroma)`` method on the network that turns it into RGB. Only the
  chroma ratio of that RGB (:mod:`tinct.core.chroma`) is kept and applied to the input luminance,
  so the output's luminance equals the input's to float precision; knob ``strength`` scales the
  chroma (0 grey, 1 as predicted). Scale must be 1.
- Padding: to the model's size multiple, bottom and right, reflected (edge-repeated when the pad is
  as wide as the image), cropped after, as :mod:`tinct.models.tiling` does.

Nuke 14 runs torch 1.12. The network is traced (Tinct's and spandrel's networks are not
scriptable) and the wrapper scripted. Checked at export, refusing what would not load there:
``F.pad`` is recorded as the per-mode operators torch 1.12 has (``aten::pad`` is newer), no
operator from a list of those added after 1.12 appears in the graph, the file's format version
is one torch 1.12 reads (at most 10), and the traced network gives the eager network's answer at
a second image size. A trace that pins tensors to the CPU is recorded as CPU-only in cat.json.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import PyOpenColorIO as ocio
import torch
import torch.nn.functional as F
from tinct.core.colour import ColourManager
from tinct.core.errors import ColourError
from tinct.core.version import __version__
from torch import nn
from torch.overrides import TorchFunctionMode

from .errors import ModelError
from .registry import LoadedModel, ModelDescriptor
from .weights import write_atomic

# TorchScript file format versions torch 1.12 reads (caffe2/serialize/versions.h: kMaxSupportedFileFormatVersion).
TORCH_1_12_MAX_FILE_FORMAT = 10
# Operators a traced or scripted graph may hold that torch 1.12 (Nuke 14) does not know.
NEWER_THAN_TORCH_1_12 = frozenset({
    "aten::pad", "aten::lift", "aten::lift_fresh", "aten::lift_fresh_copy", "aten::sym_size", "aten::sym_numel",
    "aten::sym_stride", "aten::sym_storage_offset", "aten::scaled_dot_product_attention",
    "aten::_scaled_dot_product_attention_math", "aten::_scaled_dot_product_flash_attention",
    "aten::_scaled_dot_product_efficient_attention", "aten::unflatten", "aten::rms_norm", "aten::_safe_softmax",
    "aten::_pad_circular", "aten::_pad_enum", "aten::_upsample_nearest_exact2d_aa",
})
CHANNELS = ("rgba.red", "rgba.green", "rgba.blue")
NUKE_VERSION = 14.0
# Below this linear luminance a pixel's chroma ratio is noise; as tinct.core.chroma.DARK_OFFSET.
_DARK_OFFSET = 1e-3
_PROBES = np.array([-0.5, -0.01, -1e-4, 0.0, 1e-4, 0.002, 0.0031, 0.01, 0.18, 0.5, 1.0, 4.0, 50.0], np.float32)


# -- colour conversions read from OCIO --------------------------------------------------------------

@dataclass(frozen=True)
class Curve:
    """OCIO's ExponentWithLinear ("moncurve") per channel: ``linear = ((e + o) / (1 + o)) ** g`` above
    the break, a line through 0 below it (or mirrored for negatives).

    ``params`` is the flat list the TorchScript functions take: gamma (3), offset (3), linear-side
    break (3), slope encoded/linear (3), then 1.0 for mirrored negatives else 0.0.
    """

    gamma: tuple[float, float, float]
    offset: tuple[float, float, float]
    mirror: bool

    @property
    def params(self) -> list[float]:
        breaks, slopes = [], []
        for g, o in zip(self.gamma, self.offset):
            encoded_break = o / (g - 1.0)
            linear_break = ((encoded_break + o) / (1.0 + o)) ** g
            breaks.append(linear_break)
            slopes.append(encoded_break / linear_break)
        return [*self.gamma, *self.offset, *breaks, *slopes, 1.0 if self.mirror else 0.0]


# A linear encoding: no transfer function. Not an empty list: TorchScript types attributes by their values.
IDENTITY_CURVE = [0.0]


@dataclass(frozen=True)
class Conversion:
    """Working space <-> model encoding as ``encode(x) = curve^-1(M x + m)``, ``decode(e) = N curve(e) + n``.

    ``to_model`` and ``from_model`` are flat lists of 12 floats: a 3 x 3 row-major matrix, then the
    offset. ``luminance`` is the working space's Y weights (:meth:`ColourManager.luminance_weights`).
    """

    space: str
    to_model: tuple[float, ...]
    from_model: tuple[float, ...]
    luminance: tuple[float, float, float]


def colour_conversions(
    colour: ColourManager, encoding: str, spaces: Sequence[str]
) -> tuple[list[Conversion], list[float]]:
    """The conversions between each working space and ``encoding``, and the encoding's curve params
    (:attr:`Curve.params`, or :data:`IDENTITY_CURVE` for a linear encoding), checked against OCIO.

    Raises:
        ModelError: a conversion uses a transform the export cannot express (only matrices and one
            ExponentWithLinear curve), the spaces' curves differ, or the result disagrees with OCIO.
        ColourError: a space is unknown.
    """
    encoding = colour.resolve(encoding)
    conversions: list[Conversion] = []
    curves: set[Curve | None] = set()
    for name in dict.fromkeys(colour.resolve(s) for s in spaces):
        to_model, curve_in = _parse(colour, name, encoding, curve_last=True)
        from_model, curve_out = _parse(colour, encoding, name, curve_last=False)
        curves |= {curve_in, curve_out}
        weights = tuple(float(w) for w in colour.luminance_weights(name))
        conversions.append(Conversion(name, to_model, from_model, weights))  # type: ignore[arg-type]
    if len(curves) != 1:
        raise ModelError("The working spaces reach the model's encoding through different curves",
                         expected=f"one transfer function for {encoding!r}", found=str(curves),
                         repair="export with working spaces that share it")
    curve = next(iter(curves))
    params = IDENTITY_CURVE if curve is None else curve.params
    for conversion in conversions:
        _check_against_ocio(colour, conversion, encoding, params)
    return conversions, params


def _parse(colour: ColourManager, src: str, dst: str, *, curve_last: bool) -> tuple[tuple[float, ...], Curve | None]:
    """(affine 12 floats, curve or None) of OCIO's src -> dst: matrices then a curve (``curve_last``),
    or a curve then matrices."""
    affine = np.eye(4)
    curve: Curve | None = None
    for transform in _flatten(colour.config.getProcessor(src, dst).createGroupTransform()):
        if isinstance(transform, ocio.MatrixTransform):
            if curve is not None and curve_last:
                raise _unsupported(src, dst, "a matrix after the transfer function")
            matrix: np.ndarray = np.array(transform.getMatrix(), np.float64).reshape(4, 4)
            matrix[:3, 3] = transform.getOffset()[:3]
            if transform.getDirection() == ocio.TRANSFORM_DIR_INVERSE:
                matrix = np.linalg.inv(matrix)
            affine = matrix @ affine
        elif isinstance(transform, ocio.ExponentWithLinearTransform):
            forward = transform.getDirection() == ocio.TRANSFORM_DIR_FORWARD
            if curve is not None or forward == curve_last or (not curve_last and not np.allclose(affine, np.eye(4))):
                raise _unsupported(src, dst, "a transfer function where a single encoding curve was expected")
            gamma, offset = transform.getGamma()[:3], transform.getOffset()[:3]
            curve = Curve(tuple(float(g) for g in gamma), tuple(float(o) for o in offset),  # type: ignore[arg-type]
                          transform.getNegativeStyle() == ocio.NEGATIVE_MIRROR)
        else:
            raise _unsupported(src, dst, type(transform).__name__)
    return tuple(float(v) for v in (*affine[:3, :3].reshape(-1), *affine[:3, 3])), curve


def _flatten(group: ocio.GroupTransform) -> list[Any]:
    out: list[Any] = []
    for transform in group:
        out.extend(_flatten(transform) if isinstance(transform, ocio.GroupTransform) else [transform])
    return out


def _unsupported(src: str, dst: str, what: str) -> ModelError:
    return ModelError("The colour conversion cannot be exported", expected="matrices and one ExponentWithLinear "
                      "curve (e.g. a linear space to sRGB-encoded Rec.709)", found=f"{src!r} -> {dst!r} uses {what}",
                      repair="export with another working space (--working-space)")


def _check_against_ocio(colour: ColourManager, conversion: Conversion, encoding: str, curve: list[float]) -> None:
    grid = np.stack(np.meshgrid(_PROBES, _PROBES, _PROBES, indexing="ij"), -1).reshape(-1, 3)
    for src, dst, function, matrix in (
        (conversion.space, encoding, encode, conversion.to_model),
        (encoding, conversion.space, decode, conversion.from_model),
    ):
        expected = colour.convert(grid, src, dst)
        image = torch.from_numpy(grid.T.copy()).reshape(1, 3, -1, 1)
        found = function(image, list(matrix), curve).reshape(3, -1).T.numpy()
        error = np.abs(found - expected) / np.maximum(1.0, np.abs(expected))
        if not np.all(error <= 2e-5):
            worst = int(np.argmax(error.max(1)))
            raise ModelError("The exported colour conversion disagrees with OCIO",
                             expected=f"{src!r} -> {dst!r}: {expected[worst]} for {grid[worst]}",
                             found=str(found[worst]), repair="export with another working space (--working-space)")


# -- TorchScript functions (compiled into the module; written for torch 1.12's TorchScript) ----------

def affine(x: torch.Tensor, m: list[float]) -> torch.Tensor:
    """(B, 3, H, W) -> M x + m with 12 floats (3 x 3 row-major, offset); exact float maths, no TF32."""
    r, g, b = x[:, 0:1], x[:, 1:2], x[:, 2:3]
    return torch.cat([m[0] * r + m[1] * g + m[2] * b + m[9],
                      m[3] * r + m[4] * g + m[5] * b + m[10],
                      m[6] * r + m[7] * g + m[8] * b + m[11]], 1)


def _channel(values: list[float], x: torch.Tensor) -> torch.Tensor:
    return torch.tensor(values, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)


def curve_to_encoded(x: torch.Tensor, c: list[float]) -> torch.Tensor:
    """Linear (B, 3, H, W) -> encoded with the :attr:`Curve.params` ``c`` (:data:`IDENTITY_CURVE`: unchanged)."""
    if len(c) < 13:
        return x
    gamma, offset, linear_break, slope = _channel(c[0:3], x), _channel(c[3:6], x), _channel(c[6:9], x), _channel(c[9:12], x)
    v = torch.abs(x) if c[12] > 0.5 else x
    power = (1.0 + offset) * torch.pow(torch.max(v, linear_break), 1.0 / gamma) - offset
    out = torch.where(v > linear_break, power, v * slope)
    return out * torch.where(x < 0, -torch.ones_like(x), torch.ones_like(x)) if c[12] > 0.5 else out


def curve_to_linear(x: torch.Tensor, c: list[float]) -> torch.Tensor:
    """Encoded (B, 3, H, W) -> linear with the :attr:`Curve.params` ``c`` (:data:`IDENTITY_CURVE`: unchanged)."""
    if len(c) < 13:
        return x
    gamma, offset, linear_break, slope = _channel(c[0:3], x), _channel(c[3:6], x), _channel(c[6:9], x), _channel(c[9:12], x)
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
        rows = x[:, :, height - 1 - pad_h:height - 1].flip([2]) if reflect else x[:, :, height - 1:].expand(-1, -1, pad_h, -1)
        x = torch.cat([x, rows], 2)
    if pad_w > 0:
        cols = x[:, :, :, width - 1 - pad_w:width - 1].flip([3]) if reflect else x[:, :, :, width - 1:].expand(-1, -1, -1, pad_w)
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
        raise ValueError("expected a 1 x 3 x H x W scene-linear RGB image (Channels In: rgba.red, rgba.green, rgba.blue)")


def choice(index: int, count: int) -> int:
    return max(0, min(index, count - 1))


# -- the exported modules (one class per kind, no inheritance: TorchScript and torch 1.12) -------------

class RgbInference(nn.Module):
    """Super-resolution / restoration of RGB: the network's answer in range, the rest kept (see module doc)."""

    def __init__(self, network: nn.Module, d: ModelDescriptor, conversions: list[Conversion], curve: list[float]) -> None:
        super().__init__()
        self.network = network
        self.scale, self.multiple = d.scale, d.size_multiple
        self.low, self.high = float(d.value_range[0]), float(d.value_range[1])
        self.to_model = [[float(v) for v in c.to_model] for c in conversions]
        self.from_model = [[float(v) for v in c.from_model] for c in conversions]
        self.curve = curve
        self.working_space = 0  # knob: index into the exported working spaces
        self.keep_highlights = 1  # knob (bool): add back what lies outside the model's range

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x)
        i = choice(self.working_space, len(self.to_model))
        height, width = x.shape[2], x.shape[3]
        linear = x[:, 0:3].to(torch.float32)
        encoded = encode(linear, self.to_model[i], self.curve)
        clamped = torch.clamp(encoded, self.low, self.high)
        answer = self.network(pad_to_multiple(clamped, self.multiple).to(x.dtype)).to(torch.float32)
        answer = torch.clamp(answer[:, :, :height * self.scale, :width * self.scale], self.low, self.high)
        result = decode(answer, self.from_model[i], self.curve)
        if self.keep_highlights != 0:
            inside = ((encoded >= self.low) & (encoded <= self.high)).all(1, keepdim=True)
            excess = linear - decode(clamped, self.from_model[i], self.curve)
            result = result + resize_bilinear(torch.where(inside, torch.zeros_like(excess), excess), self.scale)
        return result.to(x.dtype)


class GreyInference(nn.Module):
    """A grey (1 channel) model on the luminance; its change of luminance is added to R, G and B."""

    def __init__(self, network: nn.Module, d: ModelDescriptor, conversions: list[Conversion], curve: list[float]) -> None:
        super().__init__()
        self.network = network
        self.scale, self.multiple = d.scale, d.size_multiple
        self.low, self.high = float(d.value_range[0]), float(d.value_range[1])
        self.to_model = [[float(v) for v in c.to_model] for c in conversions]
        self.from_model = [[float(v) for v in c.from_model] for c in conversions]
        self.weights = [[float(v) for v in c.luminance] for c in conversions]
        self.curve = curve
        self.working_space = 0  # knob
        self.keep_highlights = 1  # knob (bool)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x)
        i = choice(self.working_space, len(self.to_model))
        height, width = x.shape[2], x.shape[3]
        linear = x[:, 0:3].to(torch.float32)
        y = luminance(linear, self.weights[i])
        grey = encode(y.expand(-1, 3, -1, -1), self.to_model[i], self.curve).mean(1, keepdim=True)
        clamped = torch.clamp(grey, self.low, self.high)
        answer = self.network(pad_to_multiple(clamped, self.multiple).to(x.dtype)).to(torch.float32)
        answer = torch.clamp(answer[:, :, :height * self.scale, :width * self.scale], self.low, self.high)
        new_y = luminance(decode(answer.expand(-1, 3, -1, -1), self.from_model[i], self.curve), self.weights[i])
        if self.keep_highlights != 0:
            base = luminance(decode(clamped.expand(-1, 3, -1, -1), self.from_model[i], self.curve), self.weights[i])
            inside = (grey >= self.low) & (grey <= self.high)
            new_y = new_y + resize_bilinear(torch.where(inside, torch.zeros_like(y), y - base), self.scale)
        result = resize_bilinear(linear, self.scale) + (new_y - resize_bilinear(y, self.scale))
        return result.to(x.dtype)


class ColourInference(nn.Module):
    """A colouriser: encoded luminance in, RGB in its encoding out; its chroma on the input's luminance."""

    def __init__(self, network: nn.Module, d: ModelDescriptor, conversions: list[Conversion], curve: list[float],
                 network_channels: int) -> None:
        super().__init__()
        self.network = network
        self.multiple = d.size_multiple
        self.network_channels = network_channels
        self.low, self.high = float(d.value_range[0]), float(d.value_range[1])
        self.to_model = [[float(v) for v in c.to_model] for c in conversions]
        self.from_model = [[float(v) for v in c.from_model] for c in conversions]
        self.weights = [[float(v) for v in c.luminance] for c in conversions]
        self.curve = curve
        self.dark_offset = _DARK_OFFSET
        self.working_space = 0  # knob
        self.strength = 1.0  # knob: 0 grey, 1 the model's chroma

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x)
        i = choice(self.working_space, len(self.to_model))
        height, width = x.shape[2], x.shape[3]
        y = luminance(x[:, 0:3].to(torch.float32), self.weights[i])
        grey = encode(y.expand(-1, 3, -1, -1), self.to_model[i], self.curve).mean(1, keepdim=True)
        grey = torch.clamp(grey, self.low, self.high).expand(-1, self.network_channels, -1, -1)
        answer = self.network(pad_to_multiple(grey, self.multiple).to(x.dtype)).to(torch.float32)
        answer = torch.clamp(answer[:, :, :height, :width], self.low, self.high)
        ratio = chroma_ratio(decode(answer, self.from_model[i], self.curve), self.weights[i], self.dark_offset)
        ratio = 1.0 + self.strength * (ratio - 1.0)
        norm = luminance(ratio, self.weights[i])
        ratio = torch.where(norm > 1e-6, ratio / torch.clamp(norm, min=1e-6), torch.ones_like(ratio))
        return (y * ratio).to(x.dtype)


class ChromaToRgb(nn.Module):
    """A colouriser whose network answers chroma: RGB in its encoding via ``network.to_rgb(grey, chroma)``."""

    def __init__(self, network: nn.Module) -> None:
        super().__init__()
        self.network = network

    def forward(self, grey: torch.Tensor) -> torch.Tensor:
        return self.network.to_rgb(grey, self.network(grey))  # type: ignore[operator]


# -- building, checking and writing ----------------------------------------------------------------

@dataclass(frozen=True)
class Knob:
    """A module attribute the Inference node sets from a custom knob of the same name."""

    name: str
    kind: str
    default: int | float
    help: str
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Exported:
    """What :func:`export_torchscript` wrote and found."""

    torchscript: Path
    folder: Path
    cat_json: Path
    readme: Path
    node_name: str
    kind: str
    knobs: tuple[Knob, ...]
    working_spaces: tuple[str, ...]
    file_format_version: int
    gpu: bool
    ops: tuple[str, ...]


def inference_kind(descriptor: ModelDescriptor) -> str:
    """``rgb``, ``grey`` or ``colour``: how :func:`inference_module` wraps the model.

    Raises:
        ModelError: channels the export cannot wrap, or a colouriser that changes the size.
    """
    channels = (descriptor.in_channels, descriptor.out_channels)
    colouriser = descriptor.task.lower().startswith(("colour", "color")) or channels in ((1, 2), (1, 3))
    if colouriser and descriptor.in_channels in (1, 3) and descriptor.out_channels in (2, 3):
        if descriptor.scale != 1:
            raise ModelError(f"Model {descriptor.name!r} colourises and resizes", expected="scale 1 for a colouriser",
                             found=f"scale {descriptor.scale}", repair="fix the descriptor")
        return "colour"
    if channels == (3, 3):
        return "rgb"
    if channels == (1, 1):
        return "grey"
    raise ModelError(f"Model {descriptor.name!r} cannot be exported for Nuke", expected="RGB in and out, grey in "
                     "and out, or a colouriser (grey in, colour out)", found=f"{channels[0]} in, {channels[1]} out",
                     repair="export another model")


def default_working_spaces(colour: ColourManager) -> list[str]:
    """The config's working space, then Linear Rec.709 (Nuke's default ``linear``) when the config has it."""
    spaces = [colour.working_space]
    try:
        spaces.append(colour.resolve("lin_rec709_scene"))
    except ColourError:  # a config without it: the working space alone
        pass
    return list(dict.fromkeys(spaces))


def inference_module(
    model: LoadedModel, colour: ColourManager, working_spaces: Sequence[str] | None = None
) -> tuple[torch.jit.ScriptModule, tuple[Knob, ...], list[Conversion], bool]:
    """The scripted Inference-node module of a float32 CPU model, its knobs, conversions, and whether
    it may run on a GPU (False when the traced network pins tensors to the CPU).

    Raises:
        ModelError: see :func:`inference_kind`, :func:`colour_conversions`, or a network that does
            not trace to a size-independent graph or uses operators torch 1.12 lacks.
    """
    d = model.descriptor
    if model.dtype != torch.float32 or model.device.type != "cpu":
        raise ModelError("Export needs the model in float32 on the CPU", expected="float32 on cpu",
                         found=f"{model.dtype} on {model.device}", repair="load it with the defaults")
    kind = inference_kind(d)
    conversions, curve = colour_conversions(colour, d.colour_encoding, working_spaces or default_working_spaces(colour))
    network: nn.Module = model.network
    if kind == "colour" and d.out_channels == 2:
        if not callable(getattr(network, "to_rgb", None)):
            raise ModelError(f"Colouriser {d.name!r} answers chroma but cannot turn it into RGB",
                             expected="a network method to_rgb(grey, chroma) -> RGB in its colour encoding",
                             found=f"{type(network).__name__} without to_rgb", repair="add to_rgb to the architecture")
        network = ChromaToRgb(network)
    traced = trace_network(network, d)
    gpu = not _pins_device(traced)
    space_names = tuple(c.space for c in conversions)
    knobs = [Knob("working_space", "Enumeration_Knob", 0, "the scene-linear working space of the input pixels",
                  space_names)]
    if kind == "colour":
        wrapper: nn.Module = ColourInference(traced, d, conversions, curve, d.in_channels)
        knobs.append(Knob("strength", "Double_Knob", 1.0, "0: grey, 1: the model's colour"))
    else:
        wrapper = (RgbInference if kind == "rgb" else GreyInference)(traced, d, conversions, curve)
        knobs.append(Knob("keep_highlights", "Boolean_Knob", 1,
                          "add back what the model cannot represent (above display white, out of gamut)"))
    scripted = torch.jit.script(wrapper.eval())
    newer = sorted(_ops(scripted) & NEWER_THAN_TORCH_1_12)
    if newer:
        raise ModelError(f"Model {d.name!r} would not load in Nuke 14 (torch 1.12)", expected="operators torch 1.12 has",
                         found="newer operators: " + ", ".join(newer), repair="export another model")
    return scripted, tuple(knobs), conversions, gpu


def trace_network(network: nn.Module, d: ModelDescriptor) -> torch.jit.ScriptModule:
    """``network`` traced on a small input, with ``F.pad`` recorded as torch 1.12's operators, and
    checked against the eager network at a second size.

    Raises:
        ModelError: the traced graph gives another answer at the second size.
    """
    minimum = int(d.arch_params.get("minimum_size", 0))
    multiple = d.size_multiple
    sizes = [(_round_up(max(minimum, a), multiple), _round_up(max(minimum, b), multiple)) for a, b in ((24, 32), (40, 28))]
    generator = torch.Generator().manual_seed(0)
    low, high = d.value_range
    first, second = (low + (high - low) * torch.rand(1, d.in_channels, h, w, generator=generator) for h, w in sizes)
    network = network.eval()
    with torch.no_grad(), _OldPadOperators(), warnings.catch_warnings():
        # Shape checks become constants in a trace; the comparison at a second size below is the check.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        traced = torch.jit.trace(network, first, check_trace=False)
    python_ops = sorted({node.pyname() for node in _nodes(traced.inlined_graph)  # type: ignore[attr-defined]
                         if node.kind() == "prim::PythonOp"})
    if python_ops:
        raise ModelError(f"Model {d.name!r} cannot be saved as TorchScript",
                         expected="a network of torch operators",
                         found="Python autograd functions: " + ", ".join(python_ops), repair="export another model")
    with torch.no_grad():
        expected, found = network(second), traced(second)
    if expected.shape != found.shape or not torch.allclose(found, expected, rtol=1e-4, atol=1e-4):
        raise ModelError(f"Model {d.name!r} does not trace to a graph for every image size",
                         expected=f"the same answer as the eager network at {sizes[1]}",
                         found=f"a difference of {(found - expected).abs().max().item() if expected.shape == found.shape else found.shape}",
                         repair="export another model")
    return traced


def export_torchscript(
    model: LoadedModel, out: Path, colour: ColourManager, working_spaces: Sequence[str] | None = None
) -> Exported:
    """Write ``out`` (TorchScript) and ``out.parent/Cattery/<node>/`` (cat.json, README.md).

    Raises:
        ModelError: see :func:`inference_module`; the saved file's format is too new for Nuke 14.
    """
    d = model.descriptor
    scripted, knobs, conversions, gpu = inference_module(model, colour, working_spaces)
    buffer = io.BytesIO()
    torch.jit.save(scripted, buffer)
    data = buffer.getvalue()
    version = file_format_version(data)
    if version > TORCH_1_12_MAX_FILE_FORMAT:
        raise ModelError("The TorchScript file is too new for Nuke 14", expected=f"file format <= {TORCH_1_12_MAX_FILE_FORMAT}",
                         found=str(version), repair="export with an older torch")
    node = node_name(d.name)
    folder = out.parent / "Cattery" / node
    write_atomic(out, data)
    kind = inference_kind(d)
    ops = tuple(sorted(_ops(scripted)))
    meta = _cat_json(d, out, data, node, kind, knobs, conversions, version, gpu, ops)
    write_atomic(folder / "cat.json", (json.dumps(meta, indent=2) + "\n").encode())
    write_atomic(folder / "README.md", _readme(d, out, node, kind, knobs, conversions, gpu).encode())
    return Exported(out, folder, folder / "cat.json", folder / "README.md", node, kind, knobs,
                    tuple(c.space for c in conversions), version, gpu, ops)


def file_format_version(data: bytes) -> int:
    """The ``version`` record of a TorchScript zip archive (the file format version it needs)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        name = next(n for n in archive.namelist() if n.endswith("/version") or n == "version")
        return int(archive.read(name).decode().strip())


def node_name(model_name: str) -> str:
    """A Nuke node name for a model: ``realesr-animevideov3-x2`` -> ``TinctRealesrAnimevideov3X2``."""
    words = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", model_name) if part)
    return words if words.startswith("Tinct") else "Tinct" + words


class _OldPadOperators(TorchFunctionMode):
    """While tracing, ``F.pad`` runs as the per-mode operators torch 1.12 has (``aten::pad`` is 1.13)."""

    def __torch_function__(self, func: Callable[..., Any], types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        if func is F.pad or func is torch._C._nn.pad:
            return _pad_with_old_operators(*args, **kwargs)
        return func(*args, **kwargs)


def _pad_with_old_operators(x: torch.Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> torch.Tensor:
    if mode == "constant":
        return torch.constant_pad_nd(x, list(pad), 0.0 if value is None else value)
    dims = len(pad) // 2
    operators = {"reflect": ("reflection_pad1d", "reflection_pad2d", "reflection_pad3d"),
                 "replicate": ("replication_pad1d", "replication_pad2d", "replication_pad3d")}
    if mode not in operators or not 1 <= dims <= 3:
        raise ModelError("The network pads in a way torch 1.12 cannot record", expected="constant, reflect or replicate",
                         found=f"mode {mode!r} over {dims} dimensions", repair="export another model")
    return getattr(torch._C._nn, operators[mode][dims - 1])(x, list(pad))


def _nodes(graph: torch._C.Graph | torch._C.Block) -> list[torch._C.Node]:
    """Every node of a graph, those inside if/loop blocks included."""
    found = []
    for node in graph.nodes():
        found.append(node)
        for block in node.blocks():
            found.extend(_nodes(block))
    return found


def _ops(module: torch.jit.ScriptModule) -> set[str]:
    return {node.kind() for node in _nodes(module.inlined_graph) if node.kind().startswith("aten::")}


def _pins_device(traced: torch.jit.ScriptModule) -> bool:
    return any(node.kind() == "prim::Constant" and str(node.output().type()) == "Device"
               for node in _nodes(traced.inlined_graph))


def _round_up(value: int, multiple: int) -> int:
    return int(math.ceil(value / multiple) * multiple)


def _cat_json(d: ModelDescriptor, out: Path, data: bytes, node: str, kind: str, knobs: tuple[Knob, ...],
              conversions: list[Conversion], version: int, gpu: bool, ops: tuple[str, ...]) -> dict[str, Any]:
    description = d.description or f"{d.task} model {d.name}"
    return {
        "minimum_nuke_version_required": NUKE_VERSION,
        "version": 1,
        "category": "Tinct",
        "description": f"{node}: {description} (exported by Tinct {__version__})",
        "cats": [{"filepath": f"{node}.cat", "name": node}],
        "tinct": {
            "name": d.name,
            "tinct_version": __version__,
            "task": d.task,
            "kind": kind,
            "licence": d.licence,
            "description": description,
            "inputs": {"channels": list(CHANNELS), "pixels": "scene-linear, any values (knob working_space)"},
            "outputs": {"channels": list(CHANNELS), "pixels": "scene-linear, the input's working space"},
            "scale": d.scale,
            "knobs": [{"name": k.name, "type": k.kind, "default": k.default, "help": k.help,
                       **({"values": list(k.values)} if k.values else {})} for k in knobs],
            "catfilecreator": {"torchscript_file": out.name, "cat_file": f"{node}.cat", "model_id": node,
                               "channels_in": ", ".join(CHANNELS), "channels_out": ", ".join(CHANNELS),
                               "output_scale": d.scale},
            "colour": {"working_spaces": [c.space for c in conversions], "model_encoding": d.colour_encoding,
                       "value_range": list(d.value_range)},
            "precision": {"float32": True, "float16": "float16" in d.dtypes},
            "gpu": gpu,
            "torchscript": {"sha256": hashlib.sha256(data).hexdigest(), "exported_with_torch": torch.__version__,
                            "file_format_version": version, "operators": list(ops)},
            "weights": {"file": d.weights, "sha256": d.sha256, "architecture": d.architecture},
        },
    }


def _readme(d: ModelDescriptor, out: Path, node: str, kind: str, knobs: tuple[Knob, ...],
            conversions: list[Conversion], gpu: bool) -> str:
    knob_lines = []
    for k in knobs:
        values = f"; values in this order: {', '.join(k.values)}" if k.values else ""
        knob_lines.append(f"  - `{k.name}`: {k.kind} (or Int_Knob), default {k.default}: {k.help}{values}")
    half = "float16" in d.dtypes
    notes = [] if gpu else ["- This network's graph creates tensors on the CPU: leave **Use GPU if available** off."]
    if not half:
        notes.append("- The model does not run in half precision: leave **Optimise for speed and memory** off.")
    return "\n".join([
        f"# {node}",
        "",
        f"Tinct model `{d.name}` ({d.task}, x{d.scale}, licence {d.licence}) for Nuke's Inference node.",
        "",
        "In Nuke 14 or later, create a **CatFileCreator** node and set:",
        "",
        f"- Torchscript File: `{out.name}` (next to the folder `Cattery/`)",
        f"- Cat File: `Cattery/{node}/{node}.cat`",
        f"- Channels In: `{', '.join(CHANNELS)}`",
        f"- Channels Out: `{', '.join(CHANNELS)}`",
        f"- Model Id: `{node}`",
        f"- Output Scale: `{d.scale}`",
        "- Custom knobs (drag them onto the CatFileCreator's User tab, names exactly as here):",
        *knob_lines,
        "",
        "Click **Create .cat file and Inference**. Feed the Inference node scene-linear RGB in one of the",
        f"working spaces above ({', '.join(c.space for c in conversions)}); it returns scene-linear RGB in",
        "the same space, values above 1.0 and negative values kept"
        + (" and the luminance of the input unchanged." if kind == "colour" else "."),
        *([""] + notes if notes else []),
        "",
        "Copy this folder to `~/.nuke/Cattery/` to share it; `cat.json` describes the model.",
        "",
    ])
