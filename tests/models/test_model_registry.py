"""Model descriptors, the registry, weight files (safetensors, checksums, pickles) and devices."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open

from tinct.models.architectures import SRVGGNetCompact
from tinct.models.catalog import clarity_descriptors, default_registry
from tinct.models.device import choose_device, choose_dtype
from tinct.models.errors import ModelError, WeightsError
from tinct.models.registry import SRGB_ENCODING, ModelDescriptor, Registry
from tinct.models.weights import models_dir, serialize_safetensors, write_atomic

ARCH = {"num_feat": 8, "num_conv": 2, "upscale": 2, "act_type": "prelu"}


def descriptor(
    name: str = "tiny", weights: str = "tiny.safetensors", sha256: str = "0" * 64, **changes: object
) -> ModelDescriptor:
    fields: dict[str, object] = {
        "name": name,
        "architecture": "SRVGGNetCompact",
        "arch_params": ARCH,
        "task": "super-resolution",
        "scale": 2,
        "in_channels": 3,
        "out_channels": 3,
        "size_multiple": 1,
        "dtypes": ("float32",),
        "colour_encoding": SRGB_ENCODING,
        "value_range": (0.0, 1.0),
        "licence": "BSD-3-Clause",
        "weights": weights,
        "sha256": sha256,
        "source": "run the test's fixture",
    }
    return ModelDescriptor(**(fields | changes))  # type: ignore[arg-type]


@pytest.fixture
def network() -> SRVGGNetCompact:
    torch.manual_seed(0)
    return SRVGGNetCompact(**ARCH).eval()


def save_safetensors(net: torch.nn.Module, path: Path) -> str:
    data = serialize_safetensors({k: v.numpy() for k, v in net.state_dict().items()}, {"architecture": "x"})
    write_atomic(path, data)
    return hashlib.sha256(data).hexdigest()


def test_duplicate_registration_is_refused() -> None:
    registry = Registry([descriptor("a")])
    with pytest.raises(ModelError, match="'a' is registered twice"):
        registry.register(descriptor("a"))
    registry.register(descriptor("b"))
    assert registry.names() == ["a", "b"] and len(registry) == 2 and "b" in registry


def test_unknown_name_lists_the_known_ones_closest_first() -> None:
    registry = Registry([descriptor("realesrgan-x4plus"), descriptor("realesr-animevideov3-x4"), descriptor("zz")])
    with pytest.raises(ModelError, match="Unknown model 'realesrgan-x4'") as caught:
        registry.get("realesrgan-x4")
    assert "one of: realesrgan-x4plus, realesr-animevideov3-x4" in str(caught.value)
    assert "zz" in str(caught.value)


def test_invalid_descriptors_are_refused() -> None:
    with pytest.raises(ModelError, match="architecture 'UNet'"):
        descriptor(architecture="UNet")
    with pytest.raises(ModelError, match="sha256 must be 64"):
        descriptor(sha256="abc")
    with pytest.raises(ModelError, match="bare file name"):
        descriptor(weights="../elsewhere.safetensors")
    with pytest.raises(ModelError, match="dtypes"):
        descriptor(dtypes=("float8",))


def test_safetensors_round_trip_through_the_registry(tmp_path: Path, network: SRVGGNetCompact) -> None:
    digest = save_safetensors(network, tmp_path / "tiny.safetensors")
    registry = Registry([descriptor(sha256=digest)])
    loaded = registry.load("tiny", folder=tmp_path)
    assert not loaded.network.training and not any(p.requires_grad for p in loaded.network.parameters())
    x = torch.rand(1, 3, 9, 11)
    torch.testing.assert_close(loaded.network(x), network(x), rtol=0, atol=0)
    with safe_open(str(tmp_path / "tiny.safetensors"), framework="pt") as reader:  # the library reads ours
        assert reader.metadata() == {"architecture": "x"}


def test_serialisation_is_deterministic() -> None:
    tensors = {"b": np.ones(3, np.float32), "a": np.arange(5, dtype=np.float16)}
    first = serialize_safetensors(tensors, {"z": "1", "a": "2", "m": "3"})
    assert first == serialize_safetensors(dict(reversed(tensors.items())), {"m": "3", "a": "2", "z": "1"})
    size = int.from_bytes(first[:8], "little")
    header = json.loads(first[8 : 8 + size])
    assert list(header) == ["__metadata__", "a", "b"] and size % 8 == 0
    assert header["a"] == {"dtype": "F16", "shape": [5], "data_offsets": [0, 10]}


def test_checksum_mismatch_is_refused(tmp_path: Path, network: SRVGGNetCompact) -> None:
    path = tmp_path / "tiny.safetensors"
    digest = save_safetensors(network, path)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))
    registry = Registry([descriptor(sha256=digest)])
    with pytest.raises(WeightsError, match="fail their checksum") as caught:
        registry.load("tiny", folder=tmp_path)
    assert digest in str(caught.value) and "delete it" in str(caught.value)


def test_missing_weights_say_how_to_get_them(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="not found") as caught:
        Registry([descriptor()]).verify("tiny", folder=tmp_path)
    assert "run the test's fixture" in str(caught.value)


def test_pickles_are_refused_unless_a_safe_load_is_chosen(tmp_path: Path, network: SRVGGNetCompact) -> None:
    path = tmp_path / "tiny.pth"
    torch.save({"params_ema": network.state_dict()}, path)  # Real-ESRGAN's checkpoint layout
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    registry = Registry([descriptor(weights="tiny.pth", sha256=digest)])
    with pytest.raises(WeightsError, match="Refusing to unpickle"):
        registry.load("tiny", folder=tmp_path)
    loaded = registry.load("tiny", folder=tmp_path, allow_pickle=True)
    x = torch.rand(1, 3, 6, 6)
    torch.testing.assert_close(loaded.network(x), network(x), rtol=0, atol=0)


def test_a_pickle_named_safetensors_is_still_refused(tmp_path: Path, network: SRVGGNetCompact) -> None:
    path = tmp_path / "tiny.safetensors"
    torch.save(network.state_dict(), path)
    registry = Registry([descriptor(sha256=hashlib.sha256(path.read_bytes()).hexdigest())])
    with pytest.raises(WeightsError, match="Refusing to unpickle"):
        registry.load("tiny", folder=tmp_path)


class Payload:
    """Not a tensor: torch.load(weights_only=True) must refuse to rebuild it."""


def test_safe_load_refuses_arbitrary_objects(tmp_path: Path) -> None:
    path = tmp_path / "evil.pt"
    torch.save({"weight": Payload()}, path)
    registry = Registry([descriptor(weights="evil.pt", sha256=hashlib.sha256(path.read_bytes()).hexdigest())])
    with pytest.raises(WeightsError, match="weights_only=True"):
        registry.load("tiny", folder=tmp_path, allow_pickle=True)


def test_weights_that_do_not_fit_are_refused(tmp_path: Path, network: SRVGGNetCompact) -> None:
    digest = save_safetensors(network, tmp_path / "tiny.safetensors")
    registry = Registry([descriptor(sha256=digest, arch_params=ARCH | {"num_feat": 16})])
    with pytest.raises(WeightsError, match="do not fit its architecture"):
        registry.load("tiny", folder=tmp_path)


def test_unsupported_dtype_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not run in float16"):
        Registry([descriptor()]).load("tiny", dtype=torch.float16, folder=tmp_path)


def test_models_folder_resolution(tmp_path: Path) -> None:
    assert models_dir({"TINCT_MODELS": str(tmp_path)}) == tmp_path
    assert models_dir({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "tinct" / "models"
    assert models_dir({}) == Path.home() / ".local" / "share" / "tinct" / "models"


def test_default_registry_describes_the_clarity_and_colorize_models() -> None:
    registry = default_registry()
    assert registry.names() == [
        "realesr-animevideov3-x2",
        "realesr-animevideov3-x4",
        "realesrgan-x4plus",
        "tinct-autocolor-v1",
        "tinct-autocolor-v2",
    ]
    for model in clarity_descriptors():
        assert model.colour_encoding == SRGB_ENCODING and model.value_range == (0.0, 1.0)
        assert model.licence == "BSD-3-Clause" and "float16" in model.dtypes
    assert registry.get("realesr-animevideov3-x2").scale == 2
    assert default_registry() is not registry  # an instance per call: callers may extend theirs


def test_device_choice() -> None:
    assert choose_device("cpu") == torch.device("cpu")
    assert choose_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ModelError, match="Unknown device"):
        choose_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ModelError, match="CUDA device 0 is not available"):
            choose_device("cuda")


def test_precision_choice() -> None:
    cuda, cpu = torch.device("cuda"), torch.device("cpu")
    assert choose_dtype(cuda, ("float32", "float16")) == torch.float16
    assert choose_dtype(cuda, ("float32",)) == torch.float32
    assert choose_dtype(cpu, ("float32", "float16")) == torch.float32
    with pytest.raises(ModelError, match="CUDA only"):
        choose_dtype(cpu, ("float32", "float16"), "float16")
    with pytest.raises(ModelError, match="Unsupported precision"):
        choose_dtype(cuda, ("float32",), "float16")
