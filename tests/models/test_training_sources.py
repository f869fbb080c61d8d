"""The Debian packages the colouriser trains on (no network), and ``packages.fetch`` with a faked download."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from tinct.models.training import packages, split
from tinct.models.training.packages import FetchError, Package, Photo
from tinct.models.training.sources import TRAINING_PACKAGES, main

SHARED = (
    "plasma-workspace-wallpapers",
    "mate-backgrounds",
    "lomiri-wallpapers-16.04",
    "lomiri-wallpapers-20.04",
    "opencv-doc",
)
RESERVED = ("scikit-image", "skimage", "matplotlib", "libjxl", "jxl", "palapeli")
SHARED_PHOTOS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "photos"


def all_names() -> list[str]:
    return [name for package in TRAINING_PACKAGES for name in package.names()]


def held_out_names() -> set[str]:
    return set(split.HELD_OUT_VIDEO) | set(split.HELD_OUT_STILL) | set(split.EXCLUDED)


def test_every_package_is_a_debian_package_with_photos() -> None:
    assert len({p.name for p in TRAINING_PACKAGES}) == len(TRAINING_PACKAGES)
    for package in TRAINING_PACKAGES:
        assert package.registry == "debian"
        assert package.version and package.photos, package.name


def test_names_are_unique() -> None:
    names = all_names()
    assert len(set(names)) == len(names)
    for package in TRAINING_PACKAGES:
        members = [photo.member for photo in package.photos]
        assert len(set(members)) == len(members), package.name


def test_photo_records_are_well_formed() -> None:
    for package in TRAINING_PACKAGES:
        for photo in package.photos:
            assert re.fullmatch(r"[0-9a-f]{64}", photo.sha256), photo.member
            assert photo.licence.strip(), photo.member
            assert not photo.member.startswith("/") and ".." not in Path(photo.member).parts, photo.member
            assert "/" not in photo.file_name and Path(photo.file_name).suffix.lower() in {".jpg", ".jpeg", ".png"}


def test_no_reserved_evaluation_source() -> None:
    for package in TRAINING_PACKAGES:
        for photo in package.photos:
            text = f"{package.name}/{photo.member}/{photo.file_name}".lower()
            assert not any(word in text for word in RESERVED), text


def test_held_out_photos_only_in_the_shared_packages() -> None:
    shared = {name for package in TRAINING_PACKAGES if package.name in SHARED for name in package.names()}
    assert held_out_names() <= shared
    assert set(split.TRAIN) <= shared
    others = set(all_names()) - shared
    assert not others & held_out_names()


def test_shared_packages_list_exactly_the_shared_folder() -> None:
    if not SHARED_PHOTOS.is_dir():
        pytest.skip(f"no shared photos at {SHARED_PHOTOS}")
    for package in TRAINING_PACKAGES:
        if package.name in SHARED:
            on_disk = {p.name for p in (SHARED_PHOTOS / package.name).iterdir() if p.is_file()}
            assert {photo.file_name for photo in package.photos} == on_disk, package.name


# packages.fetch, with only the download faked


def fake_package(content: bytes, sha256: str | None = None) -> Package:
    digest = sha256 or hashlib.sha256(content).hexdigest()
    return Package(
        "debian", "fake-photos", "1.0-1", (Photo("usr/share/fake/pic.jpg", digest, "CC0-1.0", name="renamed.jpg"),)
    )


@pytest.fixture
def unpack_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def unpack(package: Package, work: Path) -> Path:
        calls.append(package.name)
        tree = work / "tree"
        (tree / "usr/share/fake").mkdir(parents=True)
        (tree / "usr/share/fake/pic.jpg").write_bytes(b"not really a jpeg")
        return tree

    monkeypatch.setattr(packages, "_unpack", unpack)
    return calls


def test_fetch_copies_the_photo_under_its_name(tmp_path: Path, unpack_calls: list[str]) -> None:
    package = fake_package(b"not really a jpeg")
    assert packages.fetch([package], tmp_path) == ["fake-photos/renamed.jpg"]
    assert (tmp_path / "fake-photos" / "renamed.jpg").read_bytes() == b"not really a jpeg"
    assert unpack_calls == ["fake-photos"]
    assert not list((tmp_path / "fake-photos").glob(".*"))  # no partial file left


def test_fetch_rejects_a_wrong_sha256(tmp_path: Path, unpack_calls: list[str]) -> None:
    package = fake_package(b"", sha256="0" * 64)
    with pytest.raises(FetchError):
        packages.fetch([package], tmp_path)
    assert not (tmp_path / "fake-photos" / "renamed.jpg").exists()


def test_fetch_reports_a_missing_member(tmp_path: Path, unpack_calls: list[str]) -> None:
    package = Package("debian", "fake-photos", "1.0-1", (Photo("usr/share/fake/absent.jpg", "0" * 64, "CC0-1.0"),))
    with pytest.raises(FetchError):
        packages.fetch([package], tmp_path)


def test_fetch_does_not_download_again(tmp_path: Path, unpack_calls: list[str]) -> None:
    package = fake_package(b"not really a jpeg")
    packages.fetch([package], tmp_path)
    packages.fetch([package], tmp_path)
    assert unpack_calls == ["fake-photos"]


def test_main_prints_the_count_per_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[Path] = []

    def fetch(selected: tuple[Package, ...], dest: Path) -> list[str]:
        seen.append(dest)
        return [name for package in selected for name in package.names()]

    monkeypatch.setattr("tinct.models.training.sources.fetch", fetch)
    assert main(["--dest", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert seen == [tmp_path]
    assert f"{len(all_names()):4d}  photos in {tmp_path}" in out
    assert "  11  plasma-workspace-wallpapers 4:5.27.5-2" in out
