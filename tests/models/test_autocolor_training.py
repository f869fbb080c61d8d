"""Training of the automatic colouriser: held-out split, data loader, and two steps of the script."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import safetensors.torch
from safetensors import safe_open

from tests.benchmarks.shots import QUICK, SYNTHETIC
from tinct.core.errors import ParameterError
from tinct.models.architectures.colornet import TinctColorNet, linear_to_lab
from tinct.models.training import split
from tinct.models.training.data import (
    CachedPhoto,
    DataConfig,
    colourfulness,
    degrade,
    load_photos,
    photo_weights,
    random_view,
    sample_batch,
)
from tinct.models.training.reduce import reduce_photo
from tinct.models.training.sources import TRAINING_PACKAGES
from tinct.models.training.train_autocolor import TrainConfig, main

REPO = Path(__file__).resolve().parents[2]
SMALL = DataConfig(crop=32, batch=3, cache_short_side=48, short_side=(1.0, 1.4))


def synthetic_photo(name: str, seed: int, size: tuple[int, int] = (48, 64), grey: bool = False) -> CachedPhoto:
    rng = np.random.default_rng(seed)
    rgb = cv2.GaussianBlur(rng.random(size + (3,)).astype(np.float32), (0, 0), 3.0)
    rgb = np.clip((rgb - rgb.mean()) * 4.0 + 0.4, 0.0, 1.0)
    if grey:
        rgb = np.repeat(rgb.mean(axis=-1, keepdims=True), 3, axis=-1)
    lab = linear_to_lab(rgb).astype(np.float16)
    return CachedPhoto(name, lab, colourfulness(rgb))


def test_held_out_split_covers_the_video_benchmark_and_never_meets_training() -> None:
    used = {r.photo for r in SYNTHETIC + QUICK if hasattr(r, "photo")}
    used |= {s for r in SYNTHETIC + QUICK if hasattr(r, "sprites") for s in r.sprites}
    assert used == set(split.HELD_OUT_VIDEO)
    held = set(split.held_out()) | set(split.EXCLUDED)
    assert not held & set(split.TRAIN)
    assert len(split.HELD_OUT_STILL) == 5 and len(set(split.held_out())) == len(split.held_out())


def test_config_file_is_valid_and_refuses_held_out_photos(tmp_path: Path) -> None:
    config, _ = TrainConfig.load(REPO / "models" / "training" / "autocolor.json")
    assert config.train_photos == split.TRAIN and config.data.crop % 16 == 0
    values = json.loads((REPO / "models" / "training" / "autocolor.json").read_text())
    values["train_photos"] = ["opencv-doc/baboon.jpg"]
    (tmp_path / "leak.json").write_text(json.dumps(values))
    with pytest.raises(ParameterError, match=r"held-out photos in train_photos: opencv-doc/baboon\.jpg"):
        TrainConfig.load(tmp_path / "leak.json")
    with pytest.raises(ParameterError, match="Unknown data settings"):
        DataConfig.from_dict({"crop": 32, "flip_p": 0.5})


def test_batches_have_the_documented_shapes_and_ranges() -> None:
    photos = [synthetic_photo("a", 1), synthetic_photo("b", 2, (64, 48)), synthetic_photo("g", 3, grey=True)]
    batch = sample_batch(np.random.default_rng(0), photos, SMALL)
    assert batch.luminance.shape == (3, 1, 32, 32) and batch.ab.shape == (3, 2, 8, 8)
    assert batch.luminance.dtype == batch.ab.dtype == batch.weight.dtype == np.float32
    assert 0.0 <= batch.luminance.min() and batch.luminance.max() <= 1.0
    assert np.abs(batch.ab).max() < 128.0 and np.all((batch.weight >= 0.1) & (batch.weight <= 1.0))
    again = sample_batch(np.random.default_rng(0), photos, SMALL)
    np.testing.assert_array_equal(batch.luminance, again.luminance)
    probabilities = photo_weights(photos, SMALL)
    assert probabilities[2] < 0.1 * probabilities[0] and abs(probabilities.sum() - 1.0) < 1e-9


def test_every_degradation_stays_in_range_and_changes_the_input() -> None:
    harsh = dataclasses.replace(SMALL, blur_p=1.0, grain_p=1.0, jpeg_p=1.0, grain_size=(0.5, 1.0))
    lightness = np.tile(np.linspace(0.0, 100.0, 32, dtype=np.float32), (32, 1))
    clean = dataclasses.replace(
        SMALL,
        exposure_stops=0.0,
        gamma_stops=0.0,
        contrast=(1.0, 1.0),
        lift=(0.0, 0.0),
        blur_p=0.0,
        grain_p=0.0,
        jpeg_p=0.0,
    )
    reference = degrade(np.random.default_rng(0), lightness, clean)
    assert reference[0, 0] == 0.0 and abs(reference[0, -1] - 1.0) < 1e-5 and np.all(np.diff(reference[0]) > 0)
    np.testing.assert_allclose(reference[0, 16], 0.4824, atol=2e-3)  # L* 51.6 is Y 0.198, sRGB-encoded
    for seed in range(5):
        out = degrade(np.random.default_rng(seed), lightness, harsh)
        assert out.dtype == np.float32 and 0.0 <= out.min() and out.max() <= 1.0
        assert np.abs(out - reference).mean() > 0.005


def test_turned_views_never_read_outside_the_picture() -> None:
    lab = np.zeros((60, 60, 3), np.float16)
    lab[..., 0], lab[..., 1] = 50.0, 20.0
    turned = dataclasses.replace(SMALL, rotation_p=1.0, rotation_deg=8.0)
    for seed in range(5):
        view = random_view(np.random.default_rng(seed), lab, turned)
        assert view.shape == (32, 32, 3)
        np.testing.assert_allclose(view[..., :2], np.broadcast_to([50.0, 20.0], (32, 32, 2)), atol=1e-3)


def test_photos_are_decoded_to_lab_and_cached(tmp_path: Path) -> None:
    photo = np.zeros((40, 60, 3), np.uint8)
    photo[:, :30] = (0, 0, 255)  # BGR red
    cv2.imwrite(str(tmp_path / "red.png"), photo)
    first = load_photos(tmp_path, ["red.png"], 20, tmp_path / "cache")
    assert first[0].lab.shape == (20, 30, 3) and len(list((tmp_path / "cache").glob("*.npy"))) == 1
    np.testing.assert_allclose(first[0].lab[5, 2].astype(np.float32), [53.24, 80.09, 67.20], atol=0.3)
    again = load_photos(tmp_path, ["red.png"], 20, tmp_path / "cache")
    np.testing.assert_array_equal(first[0].lab, again[0].lab)


def tiny_config(tmp_path: Path, names: list[str], version: str = "autocolor.json") -> Path:
    values = json.loads((REPO / "models" / "training" / version).read_text())
    values.update(steps=2, warmup=1, checkpoint_every=1, log_every=1, threads=1, train_photos=names)
    values["model"]["widths"] = "4,8,8,8"
    values["data"].update(crop=32, batch=2, cache_short_side=48)
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(values))
    return path


def write_photos(folder: Path, count: int) -> list[str]:
    rng = np.random.default_rng(5)
    for index in range(count):
        image = cv2.GaussianBlur((rng.random((48, 64, 3)) * 255).astype(np.uint8), (0, 0), 2.0)
        cv2.imwrite(str(folder / f"p{index}.png"), image)
    return [f"p{index}.png" for index in range(count)]


def test_the_v2_config_trains_on_every_source_photo_but_the_held_out() -> None:
    config, _ = TrainConfig.load(REPO / "models" / "training" / "autocolor-v2.json")
    every = {name for package in TRAINING_PACKAGES for name in package.names()}
    held = set(split.held_out()) | set(split.EXCLUDED)
    assert set(config.train_photos) == every - held and len(config.train_photos) == 97
    assert config.regression_weight > 0 and config.model["regression"] == 1


def test_batches_made_in_other_processes_train_the_same_weights(tmp_path: Path) -> None:
    config = tiny_config(tmp_path, write_photos(tmp_path, 2), "autocolor-v2.json")
    outs = [tmp_path / name / "w.safetensors" for name in ("here", "workers")]
    assert main(["--config", str(config), "--out", str(outs[0]), "--data", str(tmp_path)]) == 0
    assert main(["--config", str(config), "--out", str(outs[1]), "--data", str(tmp_path), "--loader-workers", "2"]) == 0
    states = [safetensors.torch.load(out.read_bytes()) for out in outs]
    assert "regress.weight" in states[0]
    assert all(np.array_equal(states[0][k].numpy(), states[1][k].numpy()) for k in states[0])


def test_reduced_copies_keep_names_formats_and_colours(tmp_path: Path) -> None:
    names = write_photos(tmp_path, 1)
    photo = cv2.imread(str(tmp_path / names[0]))
    cv2.imwrite(str(tmp_path / "p.jpg"), photo, [cv2.IMWRITE_JPEG_QUALITY, 100])
    # 8-bit rounding for PNG; JPEG also halves the chroma resolution (4:2:0; targets are at 1/4 anyway).
    for name, tolerance in ((names[0], 0.3), ("p.jpg", 2.5)):
        reduce_photo(tmp_path / name, tmp_path / "small" / name, 24)
        small = load_photos(tmp_path / "small", [name], 24)[0]
        full = load_photos(tmp_path, [name], 24)[0]
        assert small.lab.shape == full.lab.shape == (24, 32, 3)
        assert np.abs(small.lab.astype(np.float32) - full.lab.astype(np.float32)).mean() < tolerance
    assert cv2.imread(str(tmp_path / "small" / names[0]), cv2.IMREAD_UNCHANGED).shape == (24, 32, 3)
    assert (tmp_path / "small" / "p.jpg").read_bytes()[:2] == b"\xff\xd8"  # a JPEG stays a JPEG


def test_training_script_runs_two_steps_deterministically(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tiny_config(tmp_path, write_photos(tmp_path, 2))
    outs = [tmp_path / "a" / "w.safetensors", tmp_path / "b" / "w.safetensors"]
    for out in outs:
        assert main(["--config", str(config), "--out", str(out), "--data", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    data = [out.read_bytes() for out in outs]
    assert f"sha256 {hashlib.sha256(data[0]).hexdigest()}" in printed and "step 2/2" in printed
    states = [safetensors.torch.load(d) for d in data]
    assert states[0].keys() == states[1].keys()
    assert all(np.array_equal(states[0][k].numpy(), states[1][k].numpy()) for k in states[0])
    assert all(v.dtype.is_floating_point and v.dtype.itemsize == 2 for v in states[0].values())
    with safe_open(str(outs[0]), framework="pt") as stream:
        meta = stream.metadata()
    assert meta["architecture"] == "TinctColorNet" and meta["training_steps"] == "2"
    TinctColorNet(**json.loads(meta["arch_params"])).load_state_dict(states[0], strict=True)

    # A second run into the same place resumes from the checkpoint, already done: same weights.
    assert main(["--config", str(config), "--out", str(outs[0]), "--data", str(tmp_path)]) == 0
    assert "resumed from" in capsys.readouterr().out
    again = safetensors.torch.load(outs[0].read_bytes())
    assert all(np.array_equal(again[k].numpy(), states[0][k].numpy()) for k in again)


def test_training_script_reports_a_bad_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.json").write_text("{}")
    assert main(["--config", str(tmp_path / "bad.json"), "--out", str(tmp_path / "w.safetensors")]) == 2
    assert "other keys than expected" in capsys.readouterr().err
