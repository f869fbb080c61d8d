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
- Colourisers (task ``colorization``, or 1 channel in and 2 or 3 out) get the luminance as an
  encoded grey image (repeated to the network's input channels) and answer RGB in their encoding,
  or chroma plus a ``to_rgb(grey, chroma)`` method on the network that turns it into RGB. Only the
  chroma ratio of that RGB (:mod:`tinct.core.chroma`) is kept and applied to the input luminance,
  so the output's luminance equals the input's to float precision; knob ``strength`` scales the
  chroma (0 grey, 1 the model's full colour; it starts at 1 / the model's ``gain``, the plain
  decoding). Scale must be 1.
- Padding: to the model's size multiple, bottom and right, reflected (edge-repeated when the pad is
  as wide as the image), cropped after, as :mod:`tinct.models.tiling` does.

Nuke 14 runs torch 1.12. The network is traced (Tinct's and spandrel's networks are not
scriptable) and the wrapper scripted. Checked at export, refusing what would not load there:
``F.pad`` is recorded as the per-mode operators torch 1.12 has (``aten::pad`` is newer), no
operator from a list of those added after 1.12 appears in the graph, the file's format version
is one torch 1.12 reads (at most 10), and the traced network gives the eager network's answer at
a second image size. A trace that pins tensors to the CPU is recorded as CPU-only in cat.json.

The work is split by job: reading the colour conversions from OCIO (export_colour), the TorchScript
maths (export_ops), the exported modules (export_modules), building and tracing (here), and the
Cattery folder (cattery).
"""

from __future__ import annotations

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

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from tinct.core.colour import ColourManager
from tinct.core.errors import ColourError
from tinct.models.cattery import Knob, cat_json, readme
from tinct.models.export_colour import Conversion, colour_conversions
from tinct.models.export_modules import (
    ChromaToRgb,
    ColourInference,
    GreyInference,
    RgbInference,
)

from .errors import ModelError
from .registry import LoadedModel, ModelDescriptor
from .weights import write_atomic

# TorchScript file format versions torch 1.12 reads (caffe2/serialize/versions.h: kMaxSupportedFileFormatVersion).
TORCH_1_12_MAX_FILE_FORMAT = 10
# Operators a traced or scripted graph may hold that torch 1.12 (Nuke 14) does not know.
NEWER_THAN_TORCH_1_12 = frozenset(
    {
        "aten::pad",
        "aten::lift",
        "aten::lift_fresh",
        "aten::lift_fresh_copy",
        "aten::sym_size",
        "aten::sym_numel",
        "aten::sym_stride",
        "aten::sym_storage_offset",
        "aten::scaled_dot_product_attention",
        "aten::_scaled_dot_product_attention_math",
        "aten::_scaled_dot_product_flash_attention",
        "aten::_scaled_dot_product_efficient_attention",
        "aten::unflatten",
        "aten::rms_norm",
        "aten::_safe_softmax",
        "aten::_pad_circular",
        "aten::_pad_enum",
        "aten::_upsample_nearest_exact2d_aa",
    }
)


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
            raise ModelError(
                f"Model {descriptor.name!r} colourises and resizes",
                expected="scale 1 for a colouriser",
                found=f"scale {descriptor.scale}",
                repair="fix the descriptor",
            )
        return "colour"
    if channels == (3, 3):
        return "rgb"
    if channels == (1, 1):
        return "grey"
    raise ModelError(
        f"Model {descriptor.name!r} cannot be exported for Nuke",
        expected="RGB in and out, grey in and out, or a colouriser (grey in, colour out)",
        found=f"{channels[0]} in, {channels[1]} out",
        repair="export another model",
    )


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
        raise ModelError(
            "Export needs the model in float32 on the CPU",
            expected="float32 on cpu",
            found=f"{model.dtype} on {model.device}",
            repair="load it with the defaults",
        )
    kind = inference_kind(d)
    conversions, curve = colour_conversions(colour, d.colour_encoding, working_spaces or default_working_spaces(colour))
    network: nn.Module = model.network
    if kind == "colour" and d.out_channels == 2:
        if not callable(getattr(network, "to_rgb", None)):
            raise ModelError(
                f"Colouriser {d.name!r} answers chroma but cannot turn it into RGB",
                expected="a network method to_rgb(grey, chroma) -> RGB in its colour encoding",
                found=f"{type(network).__name__} without to_rgb",
                repair="add to_rgb to the architecture",
            )
        network = ChromaToRgb(network)
    traced = trace_network(network, d)
    gpu = not _pins_device(traced)
    space_names = tuple(c.space for c in conversions)
    knobs = [
        Knob("working_space", "Enumeration_Knob", 0, "the scene-linear working space of the input pixels", space_names)
    ]
    if kind == "colour":
        wrapper: nn.Module = ColourInference(traced, d, conversions, curve, d.in_channels)
        # A model whose full colour is its decoding times a gain starts at the plain decoding, as
        # AutoColorize's default vibrance does.
        wrapper.strength = 1.0 / float(getattr(model.network, "gain", 1.0))
        knobs.append(Knob("strength", "Double_Knob", wrapper.strength, "0: grey, 1: the model's full colour"))
    else:
        wrapper = (RgbInference if kind == "rgb" else GreyInference)(traced, d, conversions, curve)
        knobs.append(
            Knob(
                "keep_highlights",
                "Boolean_Knob",
                1,
                "add back what the model cannot represent (above display white, out of gamut)",
            )
        )
    scripted = torch.jit.script(wrapper.eval())
    newer = sorted(_ops(scripted) & NEWER_THAN_TORCH_1_12)
    if newer:
        raise ModelError(
            f"Model {d.name!r} would not load in Nuke 14 (torch 1.12)",
            expected="operators torch 1.12 has",
            found="newer operators: " + ", ".join(newer),
            repair="export another model",
        )
    return scripted, tuple(knobs), conversions, gpu


def trace_network(network: nn.Module, d: ModelDescriptor) -> torch.jit.ScriptModule:
    """``network`` traced on a small input, with ``F.pad`` recorded as torch 1.12's operators, and
    checked against the eager network at a second size.

    Raises:
        ModelError: the traced graph gives another answer at the second size.
    """
    minimum = int(d.arch_params.get("minimum_size", 0))
    multiple = d.size_multiple
    sizes = [
        (_round_up(max(minimum, a), multiple), _round_up(max(minimum, b), multiple)) for a, b in ((24, 32), (40, 28))
    ]
    generator = torch.Generator().manual_seed(0)
    low, high = d.value_range
    first, second = (low + (high - low) * torch.rand(1, d.in_channels, h, w, generator=generator) for h, w in sizes)
    network = network.eval()
    with torch.no_grad(), _OldPadOperators(), warnings.catch_warnings():
        # Shape checks become constants in a trace; the comparison at a second size below is the check.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        traced = torch.jit.trace(network, first, check_trace=False)
    python_ops = sorted(
        {
            node.pyname()
            for node in _nodes(traced.inlined_graph)  # type: ignore[attr-defined]
            if node.kind() == "prim::PythonOp"
        }
    )
    if python_ops:
        raise ModelError(
            f"Model {d.name!r} cannot be saved as TorchScript",
            expected="a network of torch operators",
            found="Python autograd functions: " + ", ".join(python_ops),
            repair="export another model",
        )
    with torch.no_grad():
        expected, found = network(second), traced(second)
    if expected.shape != found.shape or not torch.allclose(found, expected, rtol=1e-4, atol=1e-4):
        raise ModelError(
            f"Model {d.name!r} does not trace to a graph for every image size",
            expected=f"the same answer as the eager network at {sizes[1]}",
            found=f"a difference of {(found - expected).abs().max().item() if expected.shape == found.shape else found.shape}",
            repair="export another model",
        )
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
        raise ModelError(
            "The TorchScript file is too new for Nuke 14",
            expected=f"file format <= {TORCH_1_12_MAX_FILE_FORMAT}",
            found=str(version),
            repair="export with an older torch",
        )
    node = node_name(d.name)
    folder = out.parent / "Cattery" / node
    write_atomic(out, data)
    kind = inference_kind(d)
    ops = tuple(sorted(_ops(scripted)))
    meta = cat_json(d, out, data, node, kind, knobs, conversions, version, gpu, ops)
    write_atomic(folder / "cat.json", (json.dumps(meta, indent=2) + "\n").encode())
    write_atomic(folder / "README.md", readme(d, out, node, kind, knobs, conversions, gpu).encode())
    return Exported(
        out,
        folder,
        folder / "cat.json",
        folder / "README.md",
        node,
        kind,
        knobs,
        tuple(c.space for c in conversions),
        version,
        gpu,
        ops,
    )


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

    def __torch_function__(
        self, func: Callable[..., Any], types: Any, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None
    ) -> Any:
        kwargs = kwargs or {}
        if func is F.pad or func is torch._C._nn.pad:
            return _pad_with_old_operators(*args, **kwargs)
        return func(*args, **kwargs)


def _pad_with_old_operators(
    x: torch.Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None
) -> torch.Tensor:
    if mode == "constant":
        return torch.constant_pad_nd(x, list(pad), 0.0 if value is None else value)
    dims = len(pad) // 2
    operators = {
        "reflect": ("reflection_pad1d", "reflection_pad2d", "reflection_pad3d"),
        "replicate": ("replication_pad1d", "replication_pad2d", "replication_pad3d"),
    }
    if mode not in operators or not 1 <= dims <= 3:
        raise ModelError(
            "The network pads in a way torch 1.12 cannot record",
            expected="constant, reflect or replicate",
            found=f"mode {mode!r} over {dims} dimensions",
            repair="export another model",
        )
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
    return any(
        node.kind() == "prim::Constant" and str(node.output().type()) == "Device"
        for node in _nodes(traced.inlined_graph)
    )


def _round_up(value: int, multiple: int) -> int:
    return int(math.ceil(value / multiple) * multiple)
