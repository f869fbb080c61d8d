"""The ncnn reader, the reference evaluator and the converter, on tiny ncnn files written here."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from tinct.models.architectures import SRVGGNetCompact
from tinct.models.convert_ncnn import check_reproduces, convert_ncnn, map_weights
from tinct.models.errors import ModelError, NcnnFormatError
from tinct.models.ncnn import TAG_FLOAT16, TAG_FLOAT32, TAG_INT8, read_param, read_weights
from tinct.models.ncnn_eval import run_graph
from tinct.models.registry import SRGB_ENCODING, ModelDescriptor

# Input (2 channels) -> 1x1 Convolution to 3 channels -> PReLU -> 3x3 Convolution to 1 with leaky ReLU 0.1.
TINY_PARAM = """7767517
4 4
Input            in0   0 1 data 0=5 1=4 2=2
Convolution      conv0 1 1 data a 0=3 1=1 5=1 6=6
PReLU            act0  1 1 a b 0=3
Convolution      conv1 1 1 b output 0=1 1=3 4=1 5=0 6=27 9=2 -23310=1,1.000000e-01
"""


def tiny_bin(tag0: int = TAG_FLOAT16) -> tuple[bytes, dict[str, np.ndarray]]:
    """The .bin of TINY_PARAM: conv0 weight (6 values) tagged ``tag0``, conv1 weight float32."""
    rng = np.random.default_rng(3)
    values = {
        "w0": rng.normal(size=6).astype(np.float16 if tag0 == TAG_FLOAT16 else np.float32),
        "b0": rng.normal(size=3).astype(np.float32),
        "s0": np.array([0.25, -0.5, 0.1], np.float32),
        "w1": rng.normal(size=27).astype(np.float32),
    }
    blob = struct.pack("<I", tag0) + values["w0"].tobytes()
    blob += b"\0" * (-len(blob) % 4)  # 6 float16 = 12 bytes: aligned already; float32: 24
    blob += values["b0"].tobytes() + values["s0"].tobytes()
    blob += struct.pack("<I", TAG_FLOAT32) + values["w1"].tobytes()
    return blob, values


def test_reads_layers_params_and_arrays() -> None:
    graph = read_param("tiny.param", text=TINY_PARAM)
    assert [layer.type for layer in graph.layers] == ["Input", "Convolution", "PReLU", "Convolution"]
    conv1 = graph.layers[3]
    assert conv1.inputs == ("b",) and conv1.outputs == ("output",)
    assert conv1.params[0] == 1 and conv1.params[9] == 2 and conv1.params[10] == (0.1,)
    assert isinstance(conv1.params[10][0], float) and isinstance(conv1.params[6], int)


def test_reads_float16_and_float32_weights_exactly() -> None:
    data, values = tiny_bin()
    weights = read_weights(read_param("tiny.param", text=TINY_PARAM), "tiny.bin", data=data)
    assert weights["conv0"]["weight"].tagged_dtype == "float16"
    assert weights["conv0"]["weight"].data.dtype == np.float16
    np.testing.assert_array_equal(weights["conv0"]["weight"].data, values["w0"])
    np.testing.assert_array_equal(weights["conv0"]["bias"].data, values["b0"])
    np.testing.assert_array_equal(weights["act0"]["slope"].data, values["s0"])
    assert weights["conv1"]["weight"].tagged_dtype == "float32"
    np.testing.assert_array_equal(weights["conv1"]["weight"].data, values["w1"])
    assert "bias" not in weights["conv1"]


def test_float16_blobs_are_padded_to_four_bytes() -> None:
    text = TINY_PARAM.replace("0=3 1=1 5=1 6=6", "0=3 1=1 5=1 6=3")  # 3 float16 = 6 bytes, then 2 padding
    w0 = np.array([0.5, -1.25, 3.0], np.float16)
    tail = np.arange(3 + 3 + 27, dtype=np.float32)  # conv0 bias, slopes, conv1 weight
    data = (
        struct.pack("<I", TAG_FLOAT16)
        + w0.tobytes()
        + b"\xff\xff"
        + tail[:6].tobytes()
        + struct.pack("<I", TAG_FLOAT32)
        + tail[6:].tobytes()
    )
    weights = read_weights(read_param("t.param", text=text), "t.bin", data=data)
    np.testing.assert_array_equal(weights["conv0"]["weight"].data, w0)
    np.testing.assert_array_equal(weights["conv0"]["bias"].data, tail[:3])
    np.testing.assert_array_equal(weights["act0"]["slope"].data, tail[3:6])
    np.testing.assert_array_equal(weights["conv1"]["weight"].data, tail[6:])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("7767518\n0 0\n", "Not an ncnn text .param"),
        ("7767517\n2 2\nInput in 0 1 data\n", "layer count does not match"),
        ("7767517\n1 2\nInput in 0 1 data\n", "blob count does not match"),
        ("7767517\n1 1\nReLU r 1 1 nowhere out\n", "reads a blob no earlier layer makes"),
        ("7767517\n1 1\nInput in 0 1 data 0=x\n", "Malformed ncnn parameter"),
        ("7767517\n1 1\nInput in 0 1 data -23310=2,1.0\n", "Malformed ncnn parameter"),
    ],
)
def test_malformed_param_files_are_refused(text: str, message: str) -> None:
    with pytest.raises(NcnnFormatError, match=message) as caught:
        read_param("bad.param", text=text)
    assert "bad.param" in str(caught.value)


def test_bin_size_must_match_the_graph() -> None:
    graph = read_param("tiny.param", text=TINY_PARAM)
    data, _ = tiny_bin()
    with pytest.raises(NcnnFormatError, match="shorter"):
        read_weights(graph, "tiny.bin", data=data[:-4])
    with pytest.raises(NcnnFormatError, match="longer"):
        read_weights(graph, "tiny.bin", data=data + b"\0\0\0\0")


def test_quantised_weights_and_unknown_layers_are_refused() -> None:
    graph = read_param("tiny.param", text=TINY_PARAM)
    data, _ = tiny_bin(tag0=TAG_INT8)
    with pytest.raises(NcnnFormatError, match="int8-quantised"):
        read_weights(graph, "tiny.bin", data=data)
    odd = read_param("odd.param", text="7767517\n2 2\nInput in 0 1 data\nLSTM l 1 1 data out 0=4\n")
    with pytest.raises(NcnnFormatError, match="'LSTM' is not supported"):
        read_weights(odd, "odd.bin", data=b"")


def test_reference_evaluator_follows_ncnn_semantics() -> None:
    graph = read_param("tiny.param", text=TINY_PARAM)
    data, v = tiny_bin()
    x = torch.rand(1, 2, 4, 5, generator=torch.Generator().manual_seed(1))
    out = run_graph(graph, read_weights(graph, "tiny.bin", data=data), {"data": x}, "output")
    w0 = torch.from_numpy(v["w0"].astype(np.float32)).reshape(3, 2, 1, 1)
    a = torch.nn.functional.conv2d(x, w0, torch.from_numpy(v["b0"]))
    b = torch.where(a >= 0, a, a * torch.from_numpy(v["s0"])[None, :, None, None])
    c = torch.nn.functional.conv2d(b, torch.from_numpy(v["w1"]).reshape(1, 3, 3, 3), padding=1)
    torch.testing.assert_close(out, torch.where(c >= 0, c, 0.1 * c), rtol=0, atol=1e-6)


# --- A tiny SRVGGNetCompact exported as ncnn, laid out like realesr-animevideov3's graph ---------


def export_srvgg(net: SRVGGNetCompact, folder: Path, interp: int = 1) -> tuple[Path, Path]:
    """Write ``net`` as srvgg.param/.bin (float16 conv weights); ``interp`` is the skip's resize type."""
    convs = [m for m in net.body if isinstance(m, torch.nn.Conv2d)]
    lines, blob = ["Input in 0 1 data", "Split split 1 2 data x0 x1"], b""
    current = "x1"
    for i, conv in enumerate(convs):
        out, cin = conv.weight.shape[:2]
        lines.append(f"Convolution conv{i} 1 1 {current} c{i} 0={out} 1=3 4=1 5=1 6={out * cin * 9}")
        blob += struct.pack("<I", TAG_FLOAT16) + conv.weight.detach().numpy().astype(np.float16).tobytes()
        bias = conv.state_dict()["bias"]
        blob += b"\0" * (-len(blob) % 4) + bias.numpy().astype(np.float32).tobytes()
        current = f"c{i}"
        if i < len(convs) - 1:
            lines.append(f"PReLU act{i} 1 1 {current} p{i} 0={out}")
            blob += net.body[2 * i + 1].weight.detach().numpy().astype(np.float32).tobytes()
            current = f"p{i}"
    s = net.upscale
    lines += [
        f"PixelShuffle shuffle 1 1 {current} shuffled 0={s}",
        f"Interp skip 1 1 x0 base 0={interp} 1={s}.0 2={s}.0",
        "BinaryOp add 2 1 shuffled base output 0=0",
    ]
    blobs = {name for line in lines for name in line.split()[4:] if "=" not in name}
    (folder / "srvgg.param").write_text(f"7767517\n{len(lines)} {len(blobs)}\n" + "\n".join(lines) + "\n")
    (folder / "srvgg.bin").write_bytes(blob)
    return folder / "srvgg.param", folder / "srvgg.bin"


def tiny_descriptor(**params: int) -> ModelDescriptor:
    arch: dict[str, int | str] = {"num_feat": 8, "num_conv": 2, "upscale": 2, "act_type": "prelu"}
    arch.update(params)
    return ModelDescriptor(
        name="tiny-srvgg",
        architecture="SRVGGNetCompact",
        arch_params=arch,
        task="super-resolution",
        scale=2,
        in_channels=3,
        out_channels=3,
        size_multiple=1,
        dtypes=("float32",),
        colour_encoding=SRGB_ENCODING,
        value_range=(0.0, 1.0),
        licence="BSD-3-Clause",
        weights="tiny.safetensors",
        sha256="0" * 64,
        source="made by the test",
    )


@pytest.fixture
def tiny_srvgg() -> SRVGGNetCompact:
    torch.manual_seed(0)
    net = SRVGGNetCompact(num_feat=8, num_conv=2, upscale=2).eval()
    for prelu in net.body[1::2]:
        torch.nn.init.uniform_(prelu.weight, -0.5, 0.5)
    return net


def test_conversion_round_trips_a_network(tmp_path: Path, tiny_srvgg: SRVGGNetCompact) -> None:
    param, bin_ = export_srvgg(tiny_srvgg, tmp_path)
    graph = read_param(param)
    weights = read_weights(graph, bin_)
    state = map_weights(graph, weights, SRVGGNetCompact(num_feat=8, num_conv=2, upscale=2), "tiny")
    assert state.keys() == tiny_srvgg.state_dict().keys()
    assert state["body.0.weight"].dtype == np.float16 and state["body.0.bias"].dtype == np.float32
    for key, value in tiny_srvgg.state_dict().items():
        expected = value.numpy().astype(state[key].dtype)
        np.testing.assert_array_equal(state[key], expected)
    data = convert_ncnn(param, bin_, tiny_descriptor(), "test export")
    assert data == convert_ncnn(param, bin_, tiny_descriptor(), "test export"), "conversion must be deterministic"


def test_conversion_checks_the_graph_not_only_shapes(tmp_path: Path, tiny_srvgg: SRVGGNetCompact) -> None:
    # Same tensors and shapes, but the skip connection resizes bilinearly: the structure differs.
    param, bin_ = export_srvgg(tiny_srvgg, tmp_path, interp=2)
    with pytest.raises(ModelError, match="does not match the architecture") as caught:
        convert_ncnn(param, bin_, tiny_descriptor(), "test export")
    assert "max abs difference" in str(caught.value)


def test_conversion_refuses_a_different_architecture(tmp_path: Path, tiny_srvgg: SRVGGNetCompact) -> None:
    param, bin_ = export_srvgg(tiny_srvgg, tmp_path)
    with pytest.raises(ModelError, match="weighted layers"):
        convert_ncnn(param, bin_, tiny_descriptor(num_conv=3), "test export")
    with pytest.raises(ModelError, match="weight"):
        convert_ncnn(param, bin_, tiny_descriptor(num_feat=16), "test export")


def test_graph_check_measures_the_difference(tmp_path: Path, tiny_srvgg: SRVGGNetCompact) -> None:
    param, bin_ = export_srvgg(tiny_srvgg, tmp_path)
    graph = read_param(param)
    weights = read_weights(graph, bin_)
    rounded = SRVGGNetCompact(num_feat=8, num_conv=2, upscale=2).eval()
    state = map_weights(graph, weights, rounded, "tiny")
    rounded.load_state_dict({k: torch.from_numpy(v.astype(np.float32)) for k, v in state.items()})
    assert check_reproduces(rounded, graph, weights, "tiny") < 1e-5
    broken = SRVGGNetCompact(num_feat=8, num_conv=2, upscale=2).eval()  # other random weights
    with pytest.raises(ModelError, match="max abs difference"):
        check_reproduces(broken, graph, weights, "tiny")
