"""Third-party weights through spandrel: randomly initialised networks of architectures spandrel knows,
saved to disk, recognised, described and run like registry models (no download)."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch
from torch import nn

from tinct.models.architectures import RRDBNet, SRVGGNetCompact
from tinct.models.errors import ModelError, WeightsError
from tinct.models.registry import SPANDREL, SRGB_ENCODING, Registry
from tinct.models.thirdparty import architecture_names, import_spandrel, load_weights_file, recognise

pytestmark = pytest.mark.skipif(importlib.util.find_spec("spandrel") is None, reason="spandrel is not installed")


@pytest.fixture(scope="module", autouse=True)
def spandrel() -> None:
    """spandrel's architectures are imported by the tests themselves: through Tinct's import first."""
    import_spandrel()


def scunet() -> nn.Module:
    from spandrel.architectures.SCUNet import SCUNet

    return SCUNet(in_nc=3, config=[0, 0, 0, 1, 0, 0, 0], dim=64)  # dim 64: its attention heads are 32 wide


def nafnet() -> nn.Module:
    from spandrel.architectures.NAFNet import NAFNet

    return NAFNet(img_channel=3, width=8, middle_blk_num=1, enc_blk_nums=[1, 1], dec_blk_nums=[1, 1])


# (make the network, spandrel's id, task, scale, size multiple, float16 supported)
CASES: dict[str, tuple[Callable[[], nn.Module], str, str, int, int, bool]] = {
    "srvgg": (lambda: SRVGGNetCompact(num_feat=8, num_conv=2, upscale=2), "Compact", "super-resolution", 2, 1, True),
    # spandrel reads num_grow_ch as 32 (Real-ESRGAN's), so only the other sizes are small here.
    "rrdb": (
        lambda: RRDBNet(num_feat=8, num_block=1, num_grow_ch=32, scale=2),
        "ESRGAN",
        "super-resolution",
        2,
        4,
        True,
    ),
    "scunet": (scunet, "SCUNet", "restoration", 1, 1, True),
    "nafnet": (nafnet, "NAFNet", "restoration", 1, 1, False),
}


def save(network: nn.Module, path: Path) -> nn.Module:
    safetensors.torch.save_file({k: v.contiguous() for k, v in network.state_dict().items()}, str(path))
    return network.eval()


@pytest.mark.parametrize("case", sorted(CASES))
def test_architectures_are_recognised_and_run_as_their_eager_network(tmp_path: Path, case: str) -> None:
    make, arch, task, scale, multiple, half = CASES[case]
    torch.manual_seed(0)
    network = save(make(), tmp_path / f"{case}.safetensors")
    model = load_weights_file(tmp_path / f"{case}.safetensors", name=f"my-{case}")
    d = model.descriptor
    assert (d.name, d.architecture, d.arch_params["spandrel_architecture"]) == (f"my-{case}", SPANDREL, arch)
    assert (d.task, d.scale, d.in_channels, d.out_channels, d.size_multiple) == (task, scale, 3, 3, multiple)
    assert ("float16" in d.dtypes) == half and d.dtypes[0] == "float32"
    assert d.colour_encoding == SRGB_ENCODING and d.value_range == (0.0, 1.0) and d.weights == f"{case}.safetensors"
    x = torch.rand(1, 3, 40, 44)  # SCUNet needs 40 pixels at least
    with torch.no_grad():
        expected = network(x).clamp(0, 1)
    out = model.network(x)
    assert out.shape == (1, 3, 40 * scale, 44 * scale)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


def test_the_registry_loads_a_spandrel_descriptor_and_checks_what_spandrel_finds(tmp_path: Path) -> None:
    torch.manual_seed(1)
    path = tmp_path / "x2.safetensors"
    network = save(SRVGGNetCompact(num_feat=8, num_conv=2, upscale=2), path)
    d = load_weights_file(path).descriptor
    loaded = Registry([d]).load(d.name, folder=tmp_path)
    x = torch.rand(1, 3, 6, 5)
    with torch.no_grad():
        torch.testing.assert_close(loaded.network(x), network(x).clamp(0, 1))
    save(SRVGGNetCompact(num_feat=8, num_conv=2, upscale=4), path)  # another network under the same name
    wrong = Registry(
        [
            d.__class__(
                **{
                    **d.record(),
                    "sha256": _sha256(path),
                    "dtypes": d.dtypes,  # type: ignore[arg-type]
                    "value_range": d.value_range,
                }
            )
        ]
    )
    with pytest.raises(WeightsError, match="not the network its descriptor names") as caught:
        wrong.load(d.name, folder=tmp_path)
    assert "Compact x2" in str(caught.value) and "Compact x4" in str(caught.value)


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_unrecognised_weights_give_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "mystery.safetensors"
    safetensors.torch.save_file({"encoder.weight": torch.zeros(4, 4), "decoder.bias": torch.zeros(4)}, str(path))
    with pytest.raises(WeightsError, match="Weights not recognised") as caught:
        load_weights_file(path)
    text = str(caught.value)
    assert (
        str(path) in text and "2 entries: " in text and "encoder.weight (4, 4)" in text and "decoder.bias (4,)" in text
    )
    assert "ESRGAN" in text and "SCUNet" in text and "generator" in text


def test_a_recognised_but_broken_file_names_the_architecture(tmp_path: Path) -> None:
    state = SRVGGNetCompact(num_feat=8, num_conv=2, upscale=2).state_dict()
    state["body.2.weight"] = state["body.2.weight"][:4]  # a truncated layer
    with pytest.raises(WeightsError, match="recognised RealESRGAN Compact but cannot build it") as caught:
        recognise(state, tmp_path / "broken.safetensors")
    assert "size mismatch" in str(caught.value) and len(str(caught.value)) < 800


def test_pickled_checkpoints_only_through_a_weights_only_load(tmp_path: Path) -> None:
    torch.manual_seed(2)
    network = SRVGGNetCompact(num_feat=8, num_conv=2, upscale=2).eval()
    path = tmp_path / "RealESRGAN_x2.pth"
    torch.save({"params_ema": network.state_dict()}, path)  # Real-ESRGAN's layout, unwrapped like spandrel does
    with pytest.raises(WeightsError, match="Refusing to unpickle"):
        load_weights_file(path)
    model = load_weights_file(path, allow_pickle=True)
    x = torch.rand(1, 3, 5, 7)
    with torch.no_grad():
        torch.testing.assert_close(model.network(x), network(x).clamp(0, 1))


class Payload:
    """Not a tensor: a weights-only load must refuse to rebuild it."""


def test_arbitrary_pickled_objects_are_never_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "evil.pth"
    torch.save({"params": {"weight": Payload()}}, path)
    with pytest.raises(WeightsError, match="weights_only=True"):
        load_weights_file(path, allow_pickle=True)


def test_unsupported_precision_is_refused(tmp_path: Path) -> None:
    save(nafnet(), tmp_path / "naf.safetensors")
    with pytest.raises(ModelError, match="does not run in float16"):
        load_weights_file(tmp_path / "naf.safetensors", dtype=torch.float16)


def test_architecture_list_names_the_common_families() -> None:
    names = architecture_names()
    assert {"ESRGAN", "Compact", "SCUNet", "NAFNet", "SwinIR"} <= set(names)


@pytest.mark.benchmark
@pytest.mark.skipif(
    importlib.util.find_spec("spandrel_extra_arches") is None, reason="spandrel-extra-arches is not installed"
)
def test_ddcolor_is_a_colouriser(tmp_path: Path) -> None:
    """DDColor's smallest form (ConvNeXt-T encoder, 42 M parameters; spandrel reads every decoder width
    but nf = 512) takes ~30 s to build, load and run on two busy cores: a benchmark."""
    from spandrel_extra_arches.architectures.DDColor import DDColor

    torch.manual_seed(3)
    network = DDColor(
        encoder_name="convnext-t",
        input_size=(64, 64),
        num_output_channels=2,
        last_norm="Spectral",
        num_queries=8,
        num_scales=3,
        dec_layers=1,
    )
    save(network, tmp_path / "ddcolor.safetensors")
    start = time.perf_counter()
    model = load_weights_file(tmp_path / "ddcolor.safetensors")
    d = model.descriptor
    assert (d.task, d.in_channels, d.out_channels, d.scale) == ("colorization", 1, 3, 1)
    grey = torch.rand(1, 1, 24, 32)
    out = model.network(grey)
    assert out.shape == (1, 3, 24, 32) and float(out.min()) >= 0 and float(out.max()) <= 1
    print(f"DDColor (convnext-t) load and run {time.perf_counter() - start:.1f} s")


@pytest.mark.benchmark
@pytest.mark.skipif(
    importlib.util.find_spec("spandrel_extra_arches") is None, reason="spandrel-extra-arches is not installed"
)
def test_an_imported_ddcolor_drives_autocolorize(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`tinct models import` of DDColor weights, then AutoColorize's colouriser with that model (~30 s)."""
    from spandrel_extra_arches.architectures.DDColor import DDColor

    from tinct.core.chroma import apply_chroma
    from tinct.core.colour import ColourManager
    from tinct.models.autocolor import AutoColorizer
    from tinct.models.imported import import_weights

    monkeypatch.setenv("TINCT_MODELS", str(tmp_path / "models"))
    torch.manual_seed(3)
    network = DDColor(
        encoder_name="convnext-t",
        input_size=(64, 64),
        num_output_channels=2,
        last_norm="Spectral",
        num_queries=8,
        num_scales=3,
        dec_layers=1,
    )
    save(network, tmp_path / "ddcolor.safetensors")
    import_weights(tmp_path / "ddcolor.safetensors", name="ddcolor-test")
    colorizer = AutoColorizer("ddcolor-test", device="cpu")
    cm = ColourManager()
    y = np.random.default_rng(2).uniform(0.05, 0.8, (40, 56)).astype(np.float32)
    rgb = apply_chroma(y, colorizer.chroma(y, cm), cm.luminance_weights())
    np.testing.assert_allclose(rgb @ cm.luminance_weights(), y, rtol=1e-4)
