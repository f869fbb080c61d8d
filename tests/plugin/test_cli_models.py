"""`tinct models import | list | info | verify | export` on a temporary models folder."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import safetensors.torch
import torch

from tinct.models.architectures import SRVGGNetCompact
from tinct.plugin.cli.main import main

pytestmark = pytest.mark.skipif(importlib.util.find_spec("spandrel") is None, reason="spandrel is not installed")


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "models"
    monkeypatch.setenv("TINCT_MODELS", str(folder))
    return folder


@pytest.fixture
def weights(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    path = tmp_path / "downloads" / "compact-x2.safetensors"
    path.parent.mkdir()
    safetensors.torch.save_file(SRVGGNetCompact(num_feat=8, num_conv=2, upscale=2).state_dict(), str(path))
    return path


def test_import_list_info_verify_export(
    models: Path, weights: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "import", str(weights), "--name", "studio-x2", "--licence", "BSD-3-Clause"]) == 0
    out = capsys.readouterr().out
    assert "imported 'studio-x2': Compact, super-resolution, x2" in out and str(models / "studio-x2.safetensors") in out
    assert main(["models", "list"]) == 0
    assert "studio-x2" in capsys.readouterr().out
    assert main(["models", "info", "studio-x2"]) == 0
    info = capsys.readouterr().out
    assert "spandrel_architecture" in info and "BSD-3-Clause" in info
    assert main(["models", "verify"]) == 0
    assert "studio-x2                    ok" in capsys.readouterr().out
    out_pt = tmp_path / "nuke" / "studio.pt"
    assert main(["models", "export", "studio-x2", "--torchscript", str(out_pt), "--working-space", "ACEScg"]) == 0
    printed = capsys.readouterr().out
    assert "rgb model" in printed and "working spaces: ACEScg" in printed
    meta = json.loads((tmp_path / "nuke" / "Cattery" / "TinctStudioX2" / "cat.json").read_text())
    assert meta["tinct"]["colour"]["working_spaces"] == ["ACEScg"] and meta["tinct"]["licence"] == "BSD-3-Clause"
    module = torch.jit.load(str(out_pt))
    assert module(torch.rand(1, 3, 6, 8) * 4).shape == (1, 3, 12, 16)
    data = bytearray((models / "studio-x2.safetensors").read_bytes())
    data[-1] ^= 0x01
    (models / "studio-x2.safetensors").write_bytes(bytes(data))
    assert main(["models", "verify"]) == 2
    assert "studio-x2                    FAILED" in capsys.readouterr().out


def test_user_errors_exit_2_with_one_message(
    models: Path, weights: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoint = tmp_path / "model.pth"
    torch.save(safetensors.torch.load_file(str(weights)), checkpoint)
    assert main(["models", "import", str(checkpoint)]) == 2
    err = capsys.readouterr().err
    assert "--allow-pickle" in err and "Traceback" not in err
    assert main(["models", "import", str(checkpoint), "--allow-pickle"]) == 0
    assert "converted from a pickle-based checkpoint" in capsys.readouterr().out
    mystery = tmp_path / "mystery.safetensors"
    safetensors.torch.save_file({"w": torch.zeros(2)}, str(mystery))
    assert main(["models", "import", str(mystery)]) == 2
    assert "Weights not recognised" in capsys.readouterr().err
    assert main(["models", "import", str(weights), "--name", "realesrgan-x4plus"]) == 2
    assert "taken by a model Tinct ships" in capsys.readouterr().err
    assert main(["models", "export", "nope", "--torchscript", str(tmp_path / "x.pt")]) == 2
    assert "Unknown model 'nope'" in capsys.readouterr().err
