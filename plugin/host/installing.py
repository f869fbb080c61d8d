"""What the host installers (install/nuke, install/resolve) share: the host settings written into
start-up files, template filling, marked blocks in files the artist owns, and install manifests.

Start-up files run in the host's own Python, before ``tinct`` can be imported there, so they carry
their settings as a literal (``TINCT_HOST = {...}``) instead of reading them from Tinct.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Mapping
from pathlib import Path

from tinct.core.errors import TinctError
from tinct.core.version import __version__

SUBPACKAGES = ("core", "models", "nodes", "plugin")
BLOCK_BEGIN = "# >>> tinct >>>"
BLOCK_END = "# <<< tinct <<<"
MANIFEST = "tinct-install.json"


class InstallError(TinctError):
    """An installer cannot proceed without overwriting or guessing."""


def package_roots() -> list[str]:
    """Folders that, as ``tinct.__path__``, make every ``tinct.<subpackage>`` importable.

    Each subpackage folder must carry the subpackage's own name (``core`` for ``tinct.core``), as in
    the repository and in an installed wheel.
    """
    roots: list[str] = []
    for name in SUBPACKAGES:
        spec = importlib.util.find_spec(f"tinct.{name}")
        if spec is None or not spec.submodule_search_locations:
            raise InstallError(
                f"tinct.{name} cannot be found",
                expected="an installed Tinct",
                found=f"no tinct.{name}",
                repair="run the installer with the Tinct environment's python",
            )
        folder = Path(next(iter(spec.submodule_search_locations))).resolve()
        if folder.name != name:
            raise InstallError(
                f"tinct.{name} lives in a folder of another name",
                expected=f"a folder named {name}",
                found=str(folder),
                repair="install Tinct from its repository or wheel unchanged",
            )
        if str(folder.parent) not in roots:
            roots.append(str(folder.parent))
    return roots


def host_settings(python: str) -> dict[str, object]:
    """The literal a host start-up file needs: the Tinct python and where Tinct's code lives."""
    return {"python": python, "package_roots": package_roots(), "tinct_version": __version__}


def fill_template(text: str, values: Mapping[str, object]) -> str:
    """Replace each placeholder line ``NAME: type = ...`` (or ``NAME = ...``) of ``text`` by the
    same assignment of ``repr(values[NAME])``; every name must occur exactly once."""
    for name, value in values.items():
        pattern = re.compile(rf"^{re.escape(name)}(?P<annotation>: [^=\n]+)? = [^\n]*$", re.MULTILINE)
        found = list(pattern.finditer(text))
        if len(found) != 1:
            raise ValueError(f"template must assign {name} exactly once, found {len(found)}")
        match = found[0]
        text = text[: match.start()] + f"{name}{match['annotation'] or ''} = {value!r}" + text[match.end() :]
    return text


def with_block(text: str, body: str) -> str:
    """``text`` with Tinct's marked block holding ``body``: replaced in place if present, else appended."""
    block = f"{BLOCK_BEGIN}\n{body.rstrip()}\n{BLOCK_END}\n"
    start, end = _block_span(text)
    if start is not None:
        return text[:start] + block + text[end:]
    separator = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
    return text + separator + block


def without_block(text: str) -> str:
    """``text`` with Tinct's marked block (and the blank line before it) removed."""
    start, end = _block_span(text)
    if start is None:
        return text
    head = text[:start]
    if head.endswith("\n\n"):
        head = head[:-1]
    return head + text[end:]


def _block_span(text: str) -> tuple[int | None, int]:
    begin = text.find(BLOCK_BEGIN + "\n")
    if begin < 0:
        return None, 0
    close = text.find(BLOCK_END, begin)
    if close < 0:
        raise InstallError(
            "A Tinct block is not closed",
            expected=f"a line {BLOCK_END!r} after {BLOCK_BEGIN!r}",
            found="the start marker alone",
            repair="remove the Tinct lines by hand, then install again",
        )
    end = close + len(BLOCK_END)
    return begin, end + 1 if text[end : end + 1] == "\n" else end


def read_manifest(folder: Path) -> dict[str, object] | None:
    path = folder / MANIFEST
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def write_manifest(folder: Path, files: list[str], **details: object) -> None:
    """Record the files an installer wrote into ``folder`` (relative names), for a clean uninstall."""
    manifest = {"tinct_version": __version__, "files": sorted(files), **details}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
