"""Fast checks of the evaluation photo list (no network): well-formed, and apart from every training source."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.benchmarks.eval_photos import EVALUATION_PACKAGES, evaluation_names
from tests.benchmarks.shots import DATA_DIR
from tinct.models.training import sources, split

TRAINING_PACKAGES = {package.name for package in sources.TRAINING_PACKAGES}


def test_evaluation_photos_are_well_formed() -> None:
    names = evaluation_names()
    assert 15 <= len(names) <= 30
    assert len(set(names)) == len(names)
    photos = [photo for package in EVALUATION_PACKAGES for photo in package.photos]
    assert len({photo.sha256 for photo in photos}) == len(photos)
    for package in EVALUATION_PACKAGES:
        assert package.registry in {"debian", "pypi"} and package.version
        for photo in package.photos:
            assert re.fullmatch(r"[0-9a-f]{64}", photo.sha256), photo.member
            assert photo.licence.strip(), photo.member


def test_no_evaluation_photo_comes_from_a_training_source() -> None:
    assert len({package.name for package in EVALUATION_PACKAGES}) == len(EVALUATION_PACKAGES)
    assert not {package.name for package in EVALUATION_PACKAGES} & TRAINING_PACKAGES
    shared = set(split.TRAIN) | set(split.held_out()) | set(split.EXCLUDED)
    assert not set(evaluation_names()) & shared
    assert not {name.split("/")[0] for name in shared} - TRAINING_PACKAGES  # the shared set is a training source
    training = {photo.sha256 for package in sources.TRAINING_PACKAGES for photo in package.photos}
    assert not {photo.sha256 for package in EVALUATION_PACKAGES for photo in package.photos} & training


def test_no_evaluation_photo_is_a_file_of_the_shared_set() -> None:
    folder = DATA_DIR / "photos"
    if not folder.is_dir():
        pytest.skip(f"no shared photos at {folder}")
    shared = {hashlib.sha256(path.read_bytes()).hexdigest() for path in folder.rglob("*") if path.is_file()}
    assert shared
    assert not {photo.sha256 for package in EVALUATION_PACKAGES for photo in package.photos} & shared
