"""TorchScript export for Nuke's Inference node: loads with torch.jit.load, follows the CatFileCreator
contract (scene-linear in and out, values above 1 kept, input device and dtype) and equals Tinct's own
pipeline (the Clarity upscaler; the chroma-ratio colourisation of tinct.core.chroma)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch
import torch.nn.functional as F
from torch import nn

from tinct.core.chroma import apply_chroma, chroma_ratio
from tinct.core.colour import ColourManager
from tinct.models.architectures import SRVGGNetCompact
from tinct.models.errors import ModelError
from tinct.models.export import (
    NEWER_THAN_TORCH_1_12,
    TORCH_1_12_MAX_FILE_FORMAT,
    export_torchscript,
    inference_kind,
    node_name,
    trace_network,
)
from tinct.models.export_colour import colour_conversions
from tinct.models.export_ops import decode, encode
from tinct.models.registry import SRGB_ENCODING, LoadedModel, ModelDescriptor, Registry
from tinct.models.upscale import ModelUpscaler
from tinct.models.weights import serialize_safetensors, write_atomic

CM = ColourManager()
LINEAR_709 = "Linear Rec.709 (sRGB)"
ARCH = {"num_feat": 8, "num_conv": 2, "upscale": 2, "act_type": "prelu"}


def descriptor(**changes: object) -> ModelDescriptor:
    fields: dict[str, object] = {
        "name": "tiny-x2",
        "architecture": "SRVGGNetCompact",
        "arch_params": ARCH,
        "task": "super-resolution",
        "scale": 2,
        "in_channels": 3,
        "out_channels": 3,
        "size_multiple": 1,
        "dtypes": ("float32", "float16"),
        "colour_encoding": SRGB_ENCODING,
        "value_range": (0.0, 1.0),
        "licence": "BSD-3-Clause",
        "weights": "tiny-x2.safetensors",
        "sha256": "0" * 64,
        "source": "made by the test",
    }
    return ModelDescriptor(**(fields | changes))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def registry_model(tmp_path_factory: pytest.TempPathFactory) -> LoadedModel:
    """A registry model with random weights in a temporary models folder."""
    folder = tmp_path_factory.mktemp("models")
    torch.manual_seed(0)
    network = SRVGGNetCompact(**ARCH)
    data = serialize_safetensors({k: v.numpy() for k, v in network.state_dict().items()}, {})
    write_atomic(folder / "tiny-x2.safetensors", data)
    registry = Registry([descriptor(sha256=hashlib.sha256(data).hexdigest())])
    return registry.load("tiny-x2", folder=folder)


@pytest.fixture(scope="module")
def exported(
    registry_model: LoadedModel, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, torch.jit.ScriptModule]:
    out = tmp_path_factory.mktemp("export") / "tiny.pt"
    export_torchscript(registry_model, out, CM)
    return out, torch.jit.load(str(out))


def plate(height: int = 20, width: int = 28, seed: int = 0) -> np.ndarray:
    """ACEScg (H, W, 3): mid-tones, a highlight far above white and an out-of-gamut (negative) patch."""
    rng = np.random.default_rng(seed)
    image = 0.05 + 0.4 * rng.random((height, width, 1)) * (1 + 0.3 * (rng.random((height, width, 3)) - 0.5))
    image[2:8, 3:10] = [10.0, 8.0, 12.0]
    image[12:18, 15:24] = [0.1, -0.05, 0.2]
    return image.astype(np.float32)


def to_nuke(image: np.ndarray, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.from_numpy(image).permute(2, 0, 1)[None].to(dtype)


def from_nuke(tensor: torch.Tensor) -> np.ndarray:
    return tensor[0].permute(1, 2, 0).float().numpy()


def upscaler(model: LoadedModel, space: str = "ACEScg") -> ModelUpscaler:
    encoding = model.descriptor.colour_encoding
    return ModelUpscaler(model, lambda a: CM.convert(a, space, encoding), lambda a: CM.convert(a, encoding, space))


def test_export_equals_the_clarity_pipeline_in_float32(
    registry_model: LoadedModel, exported: tuple[Path, torch.jit.ScriptModule]
) -> None:
    _, module = exported
    image = plate()
    with torch.no_grad():
        out = module(to_nuke(image))
    assert out.shape == (1, 3, 40, 56) and out.dtype == torch.float32 and out.device.type == "cpu"
    expected = upscaler(registry_model)(image)
    np.testing.assert_allclose(from_nuke(out), expected, rtol=2e-5, atol=2e-5)
    # The contract: raw scene-linear values above 1 (and negatives) come back, not clamped (the random
    # network's answer for display white is not exactly white, hence the tolerance).
    np.testing.assert_allclose(from_nuke(out)[6:14, 8:18], np.broadcast_to([10.0, 8.0, 12.0], (8, 10, 3)), rtol=0.05)
    assert from_nuke(out)[26:34, 32:46, 1].max() < 0


def test_working_space_knob_and_keep_highlights(
    registry_model: LoadedModel, exported: tuple[Path, torch.jit.ScriptModule]
) -> None:
    _, module = exported
    image = CM.convert(plate(seed=1), "ACEScg", LINEAR_709)
    module.working_space = 1
    try:
        with torch.no_grad():
            out = from_nuke(module(to_nuke(image)))
        np.testing.assert_allclose(out, upscaler(registry_model, LINEAR_709)(image), rtol=2e-5, atol=2e-5)
        module.keep_highlights = 0
        with torch.no_grad():
            clipped = from_nuke(module(to_nuke(image)))
        assert clipped.max() < 1.01 < out.max()  # only what the model can represent
    finally:
        module.working_space, module.keep_highlights = 0, 1


def test_half_precision_runs_and_stays_close(
    registry_model: LoadedModel, exported: tuple[Path, torch.jit.ScriptModule]
) -> None:
    path, _ = exported
    assert "float16" in registry_model.descriptor.dtypes
    half = torch.jit.load(str(path)).half()  # what Nuke's "Optimise for speed and memory" does
    image = plate(seed=2)
    x = to_nuke(image, torch.float16)
    try:
        with torch.no_grad():
            out = half(x)
    except RuntimeError as error:  # an operator without a CPU half kernel in this torch build
        pytest.skip(f"float16 does not run on this CPU build: {error}")
    assert out.dtype == torch.float16 and out.device == x.device
    expected = upscaler(registry_model)(from_nuke(x))  # the eager pipeline on the same half-rounded pixels
    np.testing.assert_allclose(from_nuke(out), expected, rtol=1e-2, atol=1e-2)


def test_cattery_folder_and_metadata(exported: tuple[Path, torch.jit.ScriptModule]) -> None:
    path, module = exported
    folder = path.parent / "Cattery" / "TinctTinyX2"
    meta = json.loads((folder / "cat.json").read_text())
    tinct = meta["tinct"]
    assert meta["minimum_nuke_version_required"] == 14.0 and meta["cats"] == [
        {"filepath": "TinctTinyX2.cat", "name": "TinctTinyX2"}
    ]
    assert (tinct["name"], tinct["scale"], tinct["licence"], tinct["kind"]) == ("tiny-x2", 2, "BSD-3-Clause", "rgb")
    assert tinct["inputs"]["channels"] == tinct["outputs"]["channels"] == ["rgba.red", "rgba.green", "rgba.blue"]
    assert [k["name"] for k in tinct["knobs"]] == ["working_space", "keep_highlights"]
    assert tinct["knobs"][0]["values"] == ["ACEScg", LINEAR_709] and tinct["colour"]["working_spaces"][0] == "ACEScg"
    assert tinct["torchscript"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert tinct["torchscript"]["file_format_version"] <= TORCH_1_12_MAX_FILE_FORMAT
    assert not set(tinct["torchscript"]["operators"]) & NEWER_THAN_TORCH_1_12 and tinct["gpu"] is True
    assert tinct["precision"] == {"float32": True, "float16": True}
    readme = (folder / "README.md").read_text()
    assert "CatFileCreator" in readme and "Output Scale: `2`" in readme and "`keep_highlights`" in readme
    # Knobs are plain attributes (ints for booleans), as the Inference node sets them.
    assert module.working_space == 0 and module.keep_highlights == 1


def test_padding_to_the_size_multiple_matches_tiled_inference() -> None:
    torch.manual_seed(4)
    model = LoadedModel(
        descriptor(size_multiple=8, scale=2), SRVGGNetCompact(**ARCH).eval(), torch.device("cpu"), torch.float32
    )
    module = torch.jit.script(_script_only(model))
    for height, width in ((20, 28), (5, 3)):  # reflected, then edge-repeated (pads wider than the image)
        image = plate(20, 28)[:height, :width].copy()
        with torch.no_grad():
            out = from_nuke(module(to_nuke(image)))
        np.testing.assert_allclose(out, upscaler(model)(image), rtol=2e-5, atol=2e-5)


def _script_only(model: LoadedModel) -> torch.jit.ScriptModule:
    from tinct.models.export import inference_module

    return inference_module(model, CM, ["ACEScg"])[0]


class ToyColouriser(nn.Module):
    """Grey (B, 1, H, W) in [0, 1] -> RGB in [0, 1] with a spatially varying tint."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3, padding=1)

    def forward(self, grey: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.conv(grey) * 4 - 2 + grey)


class ToyChroma(nn.Module):
    """Grey -> two chroma channels, with to_rgb(grey, chroma) as a Tinct colouriser may define it."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)

    def forward(self, grey: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.conv(grey)) * 0.2

    def to_rgb(self, grey: torch.Tensor, chroma: torch.Tensor) -> torch.Tensor:
        return torch.cat([grey + chroma[:, 0:1], grey, grey + chroma[:, 1:2]], 1)


def colour_reference(network: nn.Module, image: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """Tinct's colourisation maths in numpy/OCIO: the model's chroma ratio on the source luminance."""
    weights = CM.luminance_weights().astype(np.float32)
    y = image @ weights
    grey = np.clip(CM.convert(np.repeat(y[..., None], 3, -1), "ACEScg", SRGB_ENCODING).mean(-1), 0, 1)
    with torch.no_grad():
        rgb = network(torch.from_numpy(grey)[None, None].float())
        if rgb.shape[1] == 2:
            rgb = network.to_rgb(torch.from_numpy(grey)[None, None].float(), rgb)
    encoded = np.clip(from_nuke(rgb), 0, 1)
    ratio = chroma_ratio(CM.convert(encoded, SRGB_ENCODING, "ACEScg"), weights)
    return apply_chroma(y, 1 + strength * (ratio - 1), weights)


@pytest.mark.parametrize("network_type, out_channels", [(ToyColouriser, 3), (ToyChroma, 2)])
def test_colourisers_keep_the_input_luminance(tmp_path: Path, network_type: type[nn.Module], out_channels: int) -> None:
    torch.manual_seed(5)
    network = network_type().eval()
    d = descriptor(
        name="toy-colour",
        architecture="SRVGGNetCompact",
        task="colorization",
        scale=1,
        in_channels=1,
        out_channels=out_channels,
        dtypes=("float32",),
    )
    assert inference_kind(d) == "colour"
    result = export_torchscript(LoadedModel(d, network, torch.device("cpu"), torch.float32), tmp_path / "c.pt", CM)
    assert [k.name for k in result.knobs] == ["working_space", "strength"]
    module = torch.jit.load(str(tmp_path / "c.pt"))
    image = plate(seed=6)
    for strength in (1.0, 0.5):
        module.strength = strength
        with torch.no_grad():
            out = from_nuke(module(to_nuke(image)))
        np.testing.assert_allclose(out, colour_reference(network, image, strength), rtol=1e-4, atol=1e-5)
        weights = CM.luminance_weights().astype(np.float32)
        np.testing.assert_allclose(out @ weights, image @ weights, rtol=1e-5, atol=1e-6)  # 10.0 highlights too
    assert np.abs(out[..., 0] - out[..., 2]).max() > 1e-3  # it did colour the frame


def test_grey_models_change_luminance_only(tmp_path: Path) -> None:
    torch.manual_seed(7)
    network = nn.Conv2d(1, 1, 3, padding=1).eval()
    with torch.no_grad():
        network.weight.zero_()
        network.weight[0, 0, 1, 1] = 1.0  # identity...
        network.bias.fill_(0.05)  # ...brightened
    d = descriptor(name="grey", task="restoration", scale=1, in_channels=1, out_channels=1, dtypes=("float32",))
    export_torchscript(LoadedModel(d, network, torch.device("cpu"), torch.float32), tmp_path / "g.pt", CM)
    module = torch.jit.load(str(tmp_path / "g.pt"))
    image = plate(seed=8)
    with torch.no_grad():
        out = from_nuke(module(to_nuke(image)))
    change = out - image
    np.testing.assert_allclose(change[..., 0], change[..., 1], atol=1e-5)  # the same added to R, G and B
    weights = CM.luminance_weights().astype(np.float32)
    y = image @ weights
    grey = CM.convert(np.repeat(y[..., None], 3, -1), "ACEScg", SRGB_ENCODING)[..., 0]
    inside = (grey >= 0) & (grey <= 1)
    brighter = CM.convert(np.repeat(np.clip(grey + 0.05, 0, 1)[..., None], 3, -1), SRGB_ENCODING, "ACEScg") @ weights
    np.testing.assert_allclose((out @ weights)[inside], brighter[inside], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out[4, 5], image[4, 5], rtol=1e-4)  # a highlight: the model cannot brighten it


def test_colour_conversions_agree_with_ocio() -> None:
    conversions, curve = colour_conversions(CM, SRGB_ENCODING, ["ACEScg", LINEAR_709, "lin_ap0_scene"])
    assert [c.space for c in conversions] == ["ACEScg", LINEAR_709, "ACES2065-1"]
    probes = np.array([[0.18, 0.18, 0.18], [10.0, 2.0, -0.3], [0.001, 0.0, 0.5]], np.float32)
    for conversion in conversions:
        tensor = torch.from_numpy(probes.T.copy())[None, :, :, None]
        encoded = encode(tensor, list(conversion.to_model), curve)[0, :, :, 0].T.numpy()
        np.testing.assert_allclose(encoded, CM.convert(probes, conversion.space, SRGB_ENCODING), rtol=1e-5, atol=1e-6)
        back = decode(torch.from_numpy(encoded.T.copy())[None, :, :, None], list(conversion.from_model), curve)
        np.testing.assert_allclose(back[0, :, :, 0].T.numpy(), probes, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        CM.convert(np.array([[0.18] * 3], np.float32), "ACEScg", SRGB_ENCODING), 0.4614, atol=1e-4
    )


def test_conversions_that_are_not_matrix_and_curve_are_refused() -> None:
    with pytest.raises(ModelError, match="cannot be exported") as caught:
        colour_conversions(CM, SRGB_ENCODING, ["ACEScct"])  # a log curve, not a matrix
    assert "ACEScct" in str(caught.value) and "--working-space" in str(caught.value)


class PadsThenTensor(nn.Module):
    def __init__(self, constant: bool) -> None:
        super().__init__()
        self.constant = constant

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.pad(x, (1, 1, 1, 1), mode="reflect")[:, :, 1:-1, 1:-1]
        return x * torch.tensor([1.0, 1.0, 1.0]).view(1, 3, 1, 1) if self.constant else x


def test_pad_is_recorded_with_operators_torch_1_12_has() -> None:
    traced = trace_network(PadsThenTensor(constant=False), descriptor(scale=1))
    kinds = {node.kind() for node in traced.inlined_graph.nodes()}
    assert "aten::reflection_pad2d" in kinds and "aten::pad" not in kinds


class Attention(nn.Module):
    """Pixels attending to each other with torch's fused attention (an operator of torch 2.0)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = x.flatten(2).transpose(1, 2)
        return F.scaled_dot_product_attention(tokens, tokens, tokens).transpose(1, 2).reshape(x.shape)


def test_operators_newer_than_torch_1_12_are_refused(tmp_path: Path) -> None:
    model = LoadedModel(descriptor(scale=1, dtypes=("float32",)), Attention(), torch.device("cpu"), torch.float32)
    with pytest.raises(ModelError, match="would not load in Nuke 14") as caught:
        export_torchscript(model, tmp_path / "new.pt", CM)
    assert "aten::scaled_dot_product_attention" in str(caught.value) and not (tmp_path / "new.pt").exists()


def test_a_graph_pinned_to_the_cpu_is_marked_so(tmp_path: Path) -> None:
    model = LoadedModel(
        descriptor(scale=1, dtypes=("float32",)), PadsThenTensor(constant=True), torch.device("cpu"), torch.float32
    )
    result = export_torchscript(model, tmp_path / "cpu.pt", CM)
    assert result.gpu is False and json.loads(result.cat_json.read_text())["tinct"]["gpu"] is False
    readme = result.readme.read_text()
    assert "leave **Use GPU if available** off" in readme and "Optimise for speed and memory** off" in readme


class SizeDependent(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * 0.5 if x.shape[-1] > 30 else x  # a trace keeps one branch


def test_networks_that_do_not_trace_for_every_size_are_refused() -> None:
    with pytest.raises(ModelError, match="does not trace to a graph for every image size"):
        trace_network(SizeDependent(), descriptor(scale=1))


def test_unexportable_channels_and_node_names() -> None:
    with pytest.raises(ModelError, match="4 in, 4 out"):
        inference_kind(descriptor(in_channels=4, out_channels=4))
    with pytest.raises(ModelError, match="colourises and resizes"):
        inference_kind(descriptor(task="colorization", in_channels=1, out_channels=3, scale=2))
    assert inference_kind(descriptor(task="colorization", in_channels=3, out_channels=3, scale=1)) == "colour"
    assert node_name("realesr-animevideov3-x2") == "TinctRealesrAnimevideov3X2"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_and_half_on_the_gpu(exported: tuple[Path, torch.jit.ScriptModule], registry_model: LoadedModel) -> None:
    path, _ = exported
    image = plate(seed=9)
    for dtype in (torch.float32, torch.float16):
        module = torch.jit.load(str(path), map_location="cuda").to(dtype)
        x = to_nuke(image, dtype).cuda()
        with torch.no_grad():
            out = module(x)
        assert out.device == x.device and out.dtype == dtype
        expected = upscaler(registry_model)(from_nuke(x.cpu()))
        tolerance = 2e-4 if dtype == torch.float32 else 1e-2
        np.testing.assert_allclose(from_nuke(out.cpu()), expected, rtol=tolerance, atol=tolerance)


@pytest.mark.skipif(importlib.util.find_spec("spandrel") is None, reason="spandrel is not installed")
def test_imported_spandrel_models_export_or_say_why_not(tmp_path: Path) -> None:
    """ESRGAN x2 (pixel-unshuffle: a size multiple of 4) exports; NAFNet's Python autograd function cannot."""
    from tinct.models.architectures import RRDBNet
    from tinct.models.thirdparty import import_spandrel, load_weights_file

    import_spandrel()
    from spandrel.architectures.NAFNet import NAFNet

    torch.manual_seed(10)
    network = RRDBNet(num_feat=8, num_block=1, num_grow_ch=32, scale=2)
    safetensors.torch.save_file(network.state_dict(), str(tmp_path / "esrgan.safetensors"))
    model = load_weights_file(tmp_path / "esrgan.safetensors")
    result = export_torchscript(model, tmp_path / "esrgan.pt", CM)
    tinct = json.loads(result.cat_json.read_text())["tinct"]
    assert tinct["weights"]["architecture"] == "spandrel" and tinct["scale"] == 2 and result.gpu
    module = torch.jit.load(str(tmp_path / "esrgan.pt"))
    image = plate(21, 27, seed=11)  # padded to the multiple of 4, cropped after
    with torch.no_grad():
        out = from_nuke(module(to_nuke(image)))
    np.testing.assert_allclose(out, upscaler(model)(image), rtol=5e-5, atol=5e-5)

    naf = NAFNet(img_channel=3, width=8, middle_blk_num=1, enc_blk_nums=[1], dec_blk_nums=[1])
    safetensors.torch.save_file(naf.state_dict(), str(tmp_path / "nafnet.safetensors"))
    with pytest.raises(ModelError, match="cannot be saved as TorchScript") as caught:
        export_torchscript(load_weights_file(tmp_path / "nafnet.safetensors"), tmp_path / "nafnet.pt", CM)
    assert "LayerNormFunction" in str(caught.value)


@pytest.mark.parametrize(("name", "strength"), [("tinct-autocolor-v1", 1.0), ("tinct-autocolor-v2", 0.4)])
def test_the_bundled_colourisers_export_and_run_in_float32_and_float16(
    tmp_path: Path, name: str, strength: float
) -> None:
    from tinct.models.catalog import default_registry

    model = default_registry().load(name)
    export_torchscript(model, tmp_path / "autocolor.pt", CM)
    module = torch.jit.load(str(tmp_path / "autocolor.pt"))
    assert module.strength == pytest.approx(strength)  # v2's full colour is 2.5x its plain decoding
    image = plate(seed=9)
    weights = CM.luminance_weights().astype(np.float32)
    with torch.no_grad():
        full = from_nuke(module(to_nuke(image)))
        half = module.half()(to_nuke(image).half())
    assert half.dtype == torch.float16
    np.testing.assert_allclose(full @ weights, image @ weights, rtol=1e-4, atol=1e-5)
    assert np.abs(full[..., 0] - full[..., 2]).max() > 1e-2  # it did colour the frame
    np.testing.assert_allclose(from_nuke(half.float()) @ weights, image @ weights, rtol=2e-2, atol=2e-2)
