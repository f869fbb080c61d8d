"""Run an ncnn graph with plain torch operations: the reference that conversions are checked against.

Each supported layer follows ncnn's own definition of its parameters, independently of the PyTorch
architectures in :mod:`tinct.models.architectures`; a converted network that reproduces this on a
small input therefore has the graph's structure, not just tensors of the right shapes. Blobs are
(1, C, H, W) float tensors. Slow and unoptimised: meant for inputs of a few dozen pixels.

Supported: Input, Split, Convolution (group 1, fused none/ReLU/leaky ReLU activation), PReLU,
Concat (channels), Eltwise (product, weighted sum, max), BinaryOp (add, sub, mul, div; with a
scalar or a same-shape blob), PixelShuffle (PyTorch order), Interp (nearest, bilinear, bicubic).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch
import torch.nn.functional as F

from .errors import NcnnFormatError
from .ncnn import NcnnBlob, NcnnGraph, NcnnLayer, conv_weight_shape

_Op = Callable[[NcnnLayer, list[torch.Tensor], Mapping[str, torch.Tensor]], list[torch.Tensor]]


def run_graph(
    graph: NcnnGraph,
    weights: Mapping[str, Mapping[str, NcnnBlob]],
    inputs: Mapping[str, torch.Tensor],
    output: str,
) -> torch.Tensor:
    """Evaluate ``graph`` on ``inputs`` (blob name -> (1, C, H, W) tensor) and return blob ``output``.

    Weights are used in the dtype of the inputs.

    Raises:
        NcnnFormatError: a layer type or parameter this evaluator does not implement, or a blob
            that is never made.
    """
    blobs: dict[str, torch.Tensor] = {}
    dtype = next(iter(inputs.values())).dtype
    for layer in graph.layers:
        if layer.type == "Input":
            if layer.outputs[0] not in inputs:
                raise _unsupported(layer, f"a value for input blob {layer.outputs[0]!r}")
            blobs[layer.outputs[0]] = inputs[layer.outputs[0]]
            continue
        op = _OPS.get(layer.type)
        if op is None:
            raise _unsupported(layer, "layer types " + ", ".join(sorted(_OPS)))
        typed = {
            k: torch.from_numpy(v.data.astype("float32")).to(dtype) for k, v in weights.get(layer.name, {}).items()
        }
        results = op(layer, [blobs[name] for name in layer.inputs], typed)
        blobs.update(zip(layer.outputs, results, strict=True))
    if output not in blobs:
        raise NcnnFormatError(
            "The ncnn graph makes no such blob",
            expected="an output blob name",
            found=repr(output),
            repair="name a blob the .param produces",
        )
    return blobs[output]


def _convolution(layer: NcnnLayer, x: list[torch.Tensor], w: Mapping[str, torch.Tensor]) -> list[torch.Tensor]:
    shape = conv_weight_shape(layer)
    left = layer.int_param(4, 0)
    top, right = layer.int_param(14, left), layer.int_param(15, left)
    bottom = layer.int_param(16, top)
    if min(left, top, right, bottom) < 0:
        raise _unsupported(layer, "explicit non-negative padding")
    if layer.float_param(18, 0.0) != 0.0:
        raise _unsupported(layer, "zero padding (parameter 18 = 0)")
    stride = (layer.int_param(13, layer.int_param(3, 1)), layer.int_param(3, 1))
    dilation = (layer.int_param(12, layer.int_param(2, 1)), layer.int_param(2, 1))
    bias = w.get("bias")
    out = F.conv2d(
        F.pad(x[0], (left, right, top, bottom)), w["weight"].reshape(shape), bias, stride=stride, dilation=dilation
    )
    activation = layer.int_param(9, 0)
    arguments = layer.array_param(10)
    if activation == 0:
        return [out]
    if activation == 1:
        return [F.relu(out)]
    if activation == 2 and len(arguments) == 1:
        return [F.leaky_relu(out, arguments[0])]
    raise _unsupported(layer, "fused activation none (0), ReLU (1) or leaky ReLU (2)")


def _prelu(layer: NcnnLayer, x: list[torch.Tensor], w: Mapping[str, torch.Tensor]) -> list[torch.Tensor]:
    return [F.prelu(x[0], w["slope"])]


def _split(layer: NcnnLayer, x: list[torch.Tensor], w: Mapping[str, torch.Tensor]) -> list[torch.Tensor]:
    return [x[0]] * len(layer.outputs)


def _concat(layer: NcnnLayer, x: list[torch.Tensor], w: Mapping[str, torch.Tensor]) -> list[torch.Tensor]:
    if layer.int_param(0, 0) != 0:
        raise _unsupported(layer, "concatenation along channels (axis 0)")
    return [torch.cat(x, dim=1)]


def _eltwise(layer: NcnnLayer, x: list[torch.Tensor], w: Mapping[str, torch.Tensor]) -> list[torch.Tensor]:
    op = layer.int_param(0, 0)
    if op == 0:
        out = x[0]
        for other in x[1:]:
            out = out * other
        return [out]
    if op == 1:
        coeffs = layer.array_param(1) or (1.0,) * len(x)
        out = coeffs[0] * x[0]
        for c, other in zip(coeffs[1:], x[1:], strict=True):
            out = out + c * other
        return [out]
    if op == 2:
        return [torch.stack(x).amax(dim=0)]
    raise _unsupported(layer, "Eltwise product (0), sum (1) or max (2)")


_BINARY: dict[int, Callable[..., torch.Tensor]] = {0: torch.add, 1: torch.sub, 2: torch.mul, 3: torch.div}


def _binary(layer: NcnnLayer, x: list[torch.Tensor], w: Mapping[str, torch.Tensor]) -> list[torch.Tensor]:
    op = _BINARY.get(layer.int_param(0, 0))
    if op is None:
        raise _unsupported(layer, "BinaryOp add (0), sub (1), mul (2) or div (3)")
    if layer.int_param(1, 0):
        return [op(x[0], layer.float_param(2, 0.0))]
    if x[0].shape != x[1].shape:
        raise _unsupported(layer, f"operands of one shape, not {tuple(x[0].shape)} and {tuple(x[1].shape)}")
    return [op(x[0], x[1])]


def _pixel_shuffle(layer: NcnnLayer, x: list[torch.Tensor], w: Mapping[str, torch.Tensor]) -> list[torch.Tensor]:
    if layer.int_param(1, 0) != 0:
        raise _unsupported(layer, "PixelShuffle mode 0 (PyTorch channel order)")
    return [F.pixel_shuffle(x[0], layer.int_param(0, 1))]


_INTERP = {1: "nearest", 2: "bilinear", 3: "bicubic"}


def _interp(layer: NcnnLayer, x: list[torch.Tensor], w: Mapping[str, torch.Tensor]) -> list[torch.Tensor]:
    mode = _INTERP.get(layer.int_param(0, 0))
    if mode is None or len(x) != 1:
        raise _unsupported(layer, "Interp nearest (1), bilinear (2) or bicubic (3) of one blob")
    height, width = x[0].shape[-2:]
    out_h = layer.int_param(3, 0) or int(height * layer.float_param(1, 1.0))
    out_w = layer.int_param(4, 0) or int(width * layer.float_param(2, 1.0))
    corners = bool(layer.int_param(6, 0)) if mode != "nearest" else None
    return [F.interpolate(x[0], size=(out_h, out_w), mode=mode, align_corners=corners)]


_OPS: dict[str, _Op] = {
    "Split": _split,
    "Convolution": _convolution,
    "PReLU": _prelu,
    "Concat": _concat,
    "Eltwise": _eltwise,
    "BinaryOp": _binary,
    "PixelShuffle": _pixel_shuffle,
    "Interp": _interp,
}


def _unsupported(layer: NcnnLayer, expected: str) -> NcnnFormatError:
    found = f"{layer.type} {layer.name!r} with parameters {dict(layer.params)} (.param line {layer.line})"
    return NcnnFormatError(
        "Tinct cannot evaluate this ncnn layer",
        expected=expected,
        found=found,
        repair="convert this model with a tool that supports it",
    )
