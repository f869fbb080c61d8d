"""Importing user-supplied weights into the models folder: checked, copied, indexed, then listed, verified
and loaded by the default registry like the models Tinct ships."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import safetensors.torch
import torch

from tinct.models.architectures import SRVGGNetCompact
from tinct.models.catalog import clarity_descriptors, colorize_descriptors, default_registry
from tinct.models.errors import ModelError, WeightsError
from tinct.models.imported import DESCRIPTOR_KEY, INDEX, import_weights, imported_descriptors
from tinct.models.registry import SPANDREL, SRGB_ENCODING, Registry

pytestmark = pytest.mark.skipif(importlib.util.find_spec("spandrel") is None, reason="spandrel is not installed")
ARCH = {"num_feat": 8, "num_conv": 2, "upscale": 2, "act_type": "prelu"}


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "models"
    monkeypatch.setenv("TINCT_MODELS", str(folder))
    return folder


def network(seed: int = 0, upscale: int = 2) -> SRVGGNetCompact:
    torch.manual_seed(seed)
    return SRVGGNetCompact(**(ARCH | {"upscale": upscale})).eval()


def save(net: torch.nn.Module, path: Path, metadata: dict[str, str] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    safetensors.torch.save_file(net.state_dict(), str(path), metadata=metadata)
    return path


def test_an_imported_model_is_listed_verified_and_loaded(tmp_path: Path, models: Path) -> None:
    net = network()
    source = save(net, tmp_path / "downloads" / "My Upscaler x2.safetensors")
    result = import_weights(source)
    d = result.descriptor
    assert result.created and not result.converted and d.name == "My-Upscaler-x2"
    assert (models / "My-Upscaler-x2.safetensors").read_bytes() == source.read_bytes()  # copied as it is
    assert d.architecture == SPANDREL and d.arch_params["spandrel_architecture"] == "Compact"
    registry = default_registry()
    builtin = [*clarity_descriptors(), *colorize_descriptors()]
    assert registry.names() == sorted([*(c.name for c in builtin), "My-Upscaler-x2"])
    assert registry.verify(d.name) == models / "My-Upscaler-x2.safetensors"
    loaded = registry.load(d.name)
    x = torch.rand(1, 3, 7, 9)
    with torch.no_grad():
        torch.testing.assert_close(loaded.network(x), net(x).clamp(0, 1))
    index = json.loads((models / INDEX).read_text())
    assert index["format"] == "tinct-imported-models" and index["models"][0]["sha256"] == d.sha256
    assert imported_descriptors(models) == (d,)


def test_a_damaged_import_fails_its_checksum(tmp_path: Path, models: Path) -> None:
    d = import_weights(save(network(), tmp_path / "x2.safetensors")).descriptor
    path = models / d.weights
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="fail their checksum") as caught:
        default_registry().verify(d.name)
    assert "tinct models import" in str(caught.value)


def test_names_and_files_are_never_silently_replaced(tmp_path: Path, models: Path) -> None:
    first = save(network(0), tmp_path / "a" / "up.safetensors")
    other = save(network(1), tmp_path / "b" / "up.safetensors")
    assert import_weights(first).created
    again = import_weights(first)
    assert not again.created and again.descriptor.name == "up"
    with pytest.raises(ModelError, match="taken by another imported model"):
        import_weights(other)
    assert import_weights(other, name="up-b").created
    (models / "stray.safetensors").write_bytes(b"not these weights")
    with pytest.raises(ModelError, match="A different weights file already has this name") as caught:
        import_weights(other, name="stray")
    assert (models / "stray.safetensors").read_bytes() == b"not these weights" and "--name" in str(caught.value)
    with pytest.raises(ModelError, match="taken by a model Tinct ships"):
        import_weights(first, name="realesrgan-x4plus", reserved=default_registry().names())
    with pytest.raises(ModelError, match="Invalid model name"):
        import_weights(first, name="../escape")
    assert [d.name for d in imported_descriptors()] == ["up", "up-b"]


def test_pickles_need_consent_and_are_stored_as_safetensors(tmp_path: Path, models: Path) -> None:
    net = network(2)
    source = tmp_path / "RealESRGAN_x2.pth"
    torch.save({"params_ema": net.state_dict()}, source)
    with pytest.raises(WeightsError, match="Refusing to unpickle") as caught:
        import_weights(source)
    assert "--allow-pickle" in str(caught.value) and not models.exists()
    result = import_weights(source, allow_pickle=True, licence="BSD-3-Clause")
    assert result.converted and result.descriptor.licence == "BSD-3-Clause"
    assert result.path.suffix == ".safetensors" and not result.path.read_bytes().startswith(b"PK")
    loaded = default_registry().load(result.descriptor.name)  # no allow_pickle: it is safetensors now
    x = torch.rand(1, 3, 5, 6)
    with torch.no_grad():
        torch.testing.assert_close(loaded.network(x), net(x).clamp(0, 1))


def test_a_tinct_file_carrying_its_descriptor_keeps_its_architecture(tmp_path: Path, models: Path) -> None:
    net = network(3)
    record = {
        "name": "trained",
        "architecture": "SRVGGNetCompact",
        "arch_params": ARCH,
        "task": "super-resolution",
        "scale": 2,
        "in_channels": 3,
        "out_channels": 3,
        "size_multiple": 1,
        "dtypes": ["float32", "float16"],
        "colour_encoding": SRGB_ENCODING,
        "value_range": [0.0, 1.0],
        "licence": "MIT",
        "weights": "trained.safetensors",
        "sha256": "0" * 64,
        "source": "training",
        "future_field": 1,
    }
    source = save(net, tmp_path / "trained.safetensors", {DESCRIPTOR_KEY: json.dumps(record)})
    d = import_weights(source, name="finetuned").descriptor
    assert (d.name, d.architecture, d.licence, d.weights) == (
        "finetuned",
        "SRVGGNetCompact",
        "MIT",
        "finetuned.safetensors",
    )
    loaded = Registry(imported_descriptors()).load("finetuned")
    x = torch.rand(1, 3, 4, 5)
    with torch.no_grad():
        torch.testing.assert_close(loaded.network(x), net(x))  # Tinct's own network: not clamped
    bad = save(network(4, upscale=4), tmp_path / "bad.safetensors", {DESCRIPTOR_KEY: json.dumps(record)})
    with pytest.raises(WeightsError, match="do not fit its architecture"):
        import_weights(bad)


def test_unrecognised_files_leave_nothing_behind(tmp_path: Path, models: Path) -> None:
    source = tmp_path / "mystery.safetensors"
    safetensors.torch.save_file({"w": torch.zeros(3)}, str(source))
    with pytest.raises(WeightsError, match="Weights not recognised"):
        import_weights(source)
    assert not models.exists()
    with pytest.raises(WeightsError, match="Cannot read the weights file"):
        import_weights(tmp_path / "missing.safetensors")


def test_a_broken_index_names_its_file(models: Path) -> None:
    models.mkdir(parents=True)
    (models / INDEX).write_text("{not json")
    with pytest.raises(ModelError, match="unreadable") as caught:
        default_registry()
    assert str(models / INDEX) in str(caught.value)
    (models / INDEX).write_text(
        json.dumps({"format": "tinct-imported-models", "version": 1, "models": [{"name": "x"}]})
    )
    with pytest.raises(ModelError, match="A model record is incomplete"):
        imported_descriptors()
