"""Reading ncnn models: the text graph (.param) and the raw weights (.bin), without the ncnn runtime.

.param (text)::

    7767517                                   magic
    <layer count> <blob count>
    <type> <name> <n in> <n out> <in blobs...> <out blobs...> <id>=<value> ...

A value is a float when it contains ``.``, ``e`` or ``E``, else an int; an id of ``-23300 - k``
holds array parameter ``k`` as ``<n>,<v1>,...,<vn>``.

.bin: the weights of the layers, in graph order, back to back. A layer's main weight blob starts
with a 4-byte little-endian tag (ncnn ``ModelBin::load(size, 0)``): ``0x00000000`` float32,
``0x01306B47`` float16 (data padded to 4 bytes); other tags (int8, codebook-quantised) are refused.
Biases and PReLU slopes are untagged float32 (``load(size, 1)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import NcnnFormatError

MAGIC = 7767517
TAG_FLOAT32 = 0x00000000
TAG_FLOAT16 = 0x01306B47
TAG_INT8 = 0x000D4B38
_ARRAY_BASE = -23300

# Layers whose load_model reads "weight" (tagged, param 6 values) then "bias" (param 0 values when
# param 5 is set); int8 variants (param 8) carry extra scales this reader refuses.
_WEIGHTED = frozenset({"Convolution", "ConvolutionDepthWise", "Deconvolution", "InnerProduct"})
_NO_WEIGHTS = frozenset(
    {
        "Input",
        "Split",
        "Concat",
        "Eltwise",
        "BinaryOp",
        "UnaryOp",
        "Interp",
        "PixelShuffle",
        "ReLU",
        "Sigmoid",
        "TanH",
        "Clip",
        "Crop",
        "Padding",
        "Pooling",
        "Reshape",
        "Permute",
        "Flatten",
        "Softmax",
        "Dropout",
        "Noop",
    }
)

ParamValue = int | float | tuple[int | float, ...]


@dataclass(frozen=True)
class NcnnLayer:
    """One line of a .param: ``params`` maps parameter ids to ints, floats or tuples (arrays)."""

    type: str
    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    params: Mapping[int, ParamValue] = field(default_factory=dict)
    line: int = 0

    def param(self, key: int, default: ParamValue) -> ParamValue:
        return self.params.get(key, default)

    def float_param(self, key: int, default: float) -> float:
        value = self.params.get(key, default)
        if isinstance(value, tuple):
            raise self._wrong_kind(key, "a number", value)
        return float(value)

    def array_param(self, key: int) -> tuple[float, ...]:
        value = self.params.get(key, ())
        if not isinstance(value, tuple):
            raise self._wrong_kind(key, "an array", value)
        return tuple(float(v) for v in value)

    def int_param(self, key: int, default: int) -> int:
        value = self.params.get(key, default)
        if not isinstance(value, int):
            raise self._wrong_kind(key, "an integer", value)
        return value

    def _wrong_kind(self, key: int, expected: str, value: ParamValue) -> NcnnFormatError:
        return NcnnFormatError(
            f"ncnn layer {self.name!r} ({self.type}) has an unexpected parameter {key}",
            expected=expected,
            found=repr(value),
            repair=f"check the .param file (line {self.line})",
        )


@dataclass(frozen=True)
class NcnnGraph:
    """A parsed .param: its layers in file (execution) order and the number of blobs declared."""

    layers: tuple[NcnnLayer, ...]
    blob_count: int

    def of_type(self, layer_type: str) -> list[NcnnLayer]:
        return [layer for layer in self.layers if layer.type == layer_type]


@dataclass(frozen=True)
class NcnnBlob:
    """One weight blob: ``data`` 1-D in the dtype stored (float16 or float32), copied out of the file."""

    data: np.ndarray
    tagged_dtype: str | None  # "float16"/"float32" for tagged blobs, None for untagged float32


def read_param(source: str | Path, *, text: str | None = None) -> NcnnGraph:
    """Parse a .param file (or ``text`` of one, ``source`` then only names it in errors).

    Raises:
        NcnnFormatError: wrong magic, counts that do not add up, a malformed token, a blob used
            before it is made.
    """
    name = str(source)
    if text is None:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise _error(name, "Cannot read the ncnn .param file", "a readable text file", str(exc)) from exc
    lines = [(number, line.split()) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines or lines[0][1] != [str(MAGIC)]:
        found = " ".join(lines[0][1]) if lines else "an empty file"
        raise _error(name, "Not an ncnn text .param file", f"magic {MAGIC} on the first line", found)
    if len(lines) < 2 or len(lines[1][1]) != 2 or not all(t.isdigit() for t in lines[1][1]):
        raise _error(
            name,
            "Malformed ncnn .param header",
            "'<layer count> <blob count>' on line 2",
            " ".join(lines[1][1]) if len(lines) > 1 else "nothing",
        )
    layer_count, blob_count = (int(t) for t in lines[1][1])
    body = lines[2:]
    if len(body) != layer_count:
        raise _error(name, "ncnn .param layer count does not match", f"{layer_count} layer lines", f"{len(body)}")
    layers = tuple(_parse_layer(name, number, tokens) for number, tokens in body)
    _check_blobs(name, layers, blob_count)
    return NcnnGraph(layers, blob_count)


def read_weights(graph: NcnnGraph, source: str | Path, *, data: bytes | None = None) -> dict[str, dict[str, NcnnBlob]]:
    """Read the .bin of ``graph``: layer name -> {"weight"/"bias"/"slope": blob}, layers without weights left out.

    Raises:
        NcnnFormatError: an unsupported layer type or weight encoding, a file shorter or longer
            than the graph needs.
    """
    name = str(source)
    if data is None:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise _error(name, "Cannot read the ncnn .bin file", "a readable file", str(exc)) from exc
    reader = _BinReader(name, data)
    weights: dict[str, dict[str, NcnnBlob]] = {}
    for layer in graph.layers:
        if layer.type in _NO_WEIGHTS:
            continue
        if layer.type in _WEIGHTED:
            if layer.int_param(8, 0):
                raise _error(
                    name,
                    f"ncnn layer {layer.name!r} holds int8-quantised weights",
                    "float32 or float16 weights",
                    "int8_scale_term set (parameter 8)",
                )
            blobs = {"weight": reader.tagged(layer.int_param(6, 0), layer)}
            if layer.int_param(5, 0):
                blobs["bias"] = reader.raw(layer.int_param(0, 0), layer)
        elif layer.type == "PReLU":
            blobs = {"slope": reader.raw(layer.int_param(0, 0), layer)}
        else:
            raise _error(
                name,
                f"ncnn layer type {layer.type!r} is not supported by Tinct's reader",
                "layer types " + ", ".join(sorted(_WEIGHTED | _NO_WEIGHTS | {"PReLU"})),
                f"{layer.type} (layer {layer.name!r}, .param line {layer.line})",
            )
        weights[layer.name] = blobs
    if reader.offset != len(data):
        raise _error(
            name,
            "The ncnn .bin file is longer than its graph needs",
            f"{reader.offset} bytes for the graph's layers",
            f"{len(data)} bytes",
        )
    return weights


def conv_weight_shape(layer: NcnnLayer) -> tuple[int, int, int, int]:
    """(out, in, kh, kw) of a Convolution layer's weight, ncnn's (and PyTorch's) OIHW layout."""
    if layer.type != "Convolution" or layer.int_param(7, 1) != 1:
        raise NcnnFormatError(
            f"ncnn layer {layer.name!r} is not an ungrouped Convolution",
            expected="type Convolution with group 1",
            found=f"{layer.type}, group {layer.param(7, 1)}",
            repair="this converter maps plain convolutions only",
        )
    out, kw = layer.int_param(0, 0), layer.int_param(1, 0)
    kh = layer.int_param(11, kw)
    size = layer.int_param(6, 0)
    if out <= 0 or kw <= 0 or kh <= 0 or size % (out * kw * kh):
        raise NcnnFormatError(
            f"ncnn Convolution {layer.name!r} has inconsistent sizes",
            expected="weight_data_size (6) divisible by num_output (0) x kernel_h (11) x kernel_w (1)",
            found=f"6={size}, 0={out}, 11={kh}, 1={kw}",
            repair="check the .param file",
        )
    return out, size // (out * kw * kh), kh, kw


class _BinReader:
    def __init__(self, name: str, data: bytes) -> None:
        self.name = name
        self.data = data
        self.offset = 0

    def _take(self, count: int, layer: NcnnLayer) -> bytes:
        end = self.offset + count
        if end > len(self.data):
            raise _error(
                self.name,
                "The ncnn .bin file is shorter than its graph needs",
                f"at least {end} bytes (reading layer {layer.name!r})",
                f"{len(self.data)} bytes",
            )
        chunk = self.data[self.offset : end]
        self.offset = end
        return chunk

    def raw(self, count: int, layer: NcnnLayer) -> NcnnBlob:
        return NcnnBlob(np.frombuffer(self._take(4 * count, layer), dtype="<f4").copy(), None)

    def tagged(self, count: int, layer: NcnnLayer) -> NcnnBlob:
        tag = int.from_bytes(self._take(4, layer), "little")
        if tag == TAG_FLOAT32:
            return NcnnBlob(np.frombuffer(self._take(4 * count, layer), dtype="<f4").copy(), "float32")
        if tag == TAG_FLOAT16:
            padded = (2 * count + 3) // 4 * 4
            values = np.frombuffer(self._take(padded, layer)[: 2 * count], dtype="<f2").copy()
            return NcnnBlob(values, "float16")
        kind = "int8-quantised" if tag == TAG_INT8 else "codebook-quantised or unknown"
        raise _error(
            self.name,
            f"ncnn layer {layer.name!r} stores {kind} weights",
            f"tag 0x{TAG_FLOAT32:08X} (float32) or 0x{TAG_FLOAT16:08X} (float16)",
            f"tag 0x{tag:08X} at byte {self.offset - 4}",
        )


def _parse_layer(name: str, number: int, tokens: list[str]) -> NcnnLayer:
    if len(tokens) < 4 or not tokens[2].isdigit() or not tokens[3].isdigit():
        raise _error(
            name,
            f"Malformed ncnn layer on .param line {number}",
            "<type> <name> <n in> <n out> <blobs...> <id>=<value>...",
            " ".join(tokens),
        )
    n_in, n_out = int(tokens[2]), int(tokens[3])
    blobs = tokens[4 : 4 + n_in + n_out]
    if len(blobs) != n_in + n_out or any("=" in b for b in blobs):
        raise _error(
            name,
            f"ncnn layer on .param line {number} lists too few blobs",
            f"{n_in} input and {n_out} output blob names",
            " ".join(tokens[4:]),
        )
    params: dict[int, ParamValue] = {}
    for token in tokens[4 + n_in + n_out :]:
        key_text, sep, value_text = token.partition("=")
        try:
            key = int(key_text)
            if not sep:
                raise ValueError("no '='")
            if key <= _ARRAY_BASE:
                count_text, *items = value_text.split(",")
                values = tuple(_number(v) for v in items)
                if int(count_text) != len(values):
                    raise ValueError(f"array declares {count_text} values, holds {len(values)}")
                params[_ARRAY_BASE - key] = values
            else:
                params[key] = _number(value_text)
        except ValueError as exc:
            raise _error(
                name,
                f"Malformed ncnn parameter on .param line {number}",
                "<id>=<value> or <-23300-id>=<n>,<v1>,...",
                f"{token!r} ({exc})",
            ) from exc
    return NcnnLayer(tokens[0], tokens[1], tuple(blobs[:n_in]), tuple(blobs[n_in:]), params, number)


def _number(text: str) -> int | float:
    return float(text) if any(c in text for c in ".eE") else int(text)


def _check_blobs(name: str, layers: tuple[NcnnLayer, ...], blob_count: int) -> None:
    made: set[str] = set()
    for layer in layers:
        missing = [b for b in layer.inputs if b not in made]
        if missing:
            raise _error(
                name,
                f"ncnn layer {layer.name!r} reads a blob no earlier layer makes",
                "layers in execution order",
                f"{', '.join(missing)} on line {layer.line}",
            )
        made.update(layer.outputs)
    if len(made) != blob_count:
        raise _error(
            name,
            "ncnn .param blob count does not match",
            f"{blob_count} blobs (header)",
            f"{len(made)} distinct blob names",
        )


def _error(name: str, title: str, expected: str, found: str) -> NcnnFormatError:
    return NcnnFormatError(
        title,
        expected=expected,
        found=found,
        repair="use the .param/.bin pair exactly as the model package ships it",
        file=name,
    )
