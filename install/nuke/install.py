"""Install Tinct into Foundry Nuke, or remove it. Run it with the Tinct environment's python: the
Nuke side records that python and runs the engine with it.

    .venv/bin/python install/nuke/install.py                    # for this user, through ~/.nuke
    .venv/bin/python install/nuke/install.py --plugin-dir DIR   # a studio folder, to put on NUKE_PATH
    .venv/bin/python install/nuke/install.py --uninstall [--plugin-dir DIR]

For this user: writes the plugin folder ~/.nuke/tinct_nuke (init.py, menu.py) and adds a marked
block to ~/.nuke/init.py that loads it with nuke.pluginAddPath; the rest of that file is left
alone. With --plugin-dir: writes init.py and menu.py into DIR and nothing else. Running it again
updates what it wrote; --uninstall removes exactly that. Files it did not write are never replaced.
"""

from __future__ import annotations

import argparse
import sys
from importlib.resources import files
from pathlib import Path

from tinct.core.errors import TinctError
from tinct.plugin.host.installing import (
    MANIFEST,
    InstallError,
    fill_template,
    host_settings,
    read_manifest,
    with_block,
    without_block,
    write_manifest,
)

PLUGIN_FILES = ("init.py", "menu.py")
HOME_FOLDER = "tinct_nuke"  # not "tinct": ~/.nuke is on sys.path, and a tinct/ there would shadow the package


def plugin_file(name: str, python: str) -> str:
    text = (files("tinct.plugin.nuke") / "nuke_path" / name).read_text(encoding="utf-8")
    return fill_template(text, {"TINCT_HOST": host_settings(python)}) if name == "init.py" else text


def write_plugin_folder(folder: Path, python: str, **details: object) -> None:
    """Write Tinct's init.py and menu.py into ``folder``, refusing to replace files Tinct did not write."""
    ours = read_manifest(folder)
    foreign = [name for name in PLUGIN_FILES if (folder / name).exists()] if ours is None else []
    if foreign:
        raise InstallError(
            f"{folder} already holds a Nuke {' and '.join(foreign)} that Tinct did not write",
            expected="an empty or new folder for Tinct's plugin files",
            found=", ".join(str(folder / f) for f in foreign),
            repair="choose another --plugin-dir, or move those files away",
        )
    folder.mkdir(parents=True, exist_ok=True)
    for name in PLUGIN_FILES:
        (folder / name).write_text(plugin_file(name, python), encoding="utf-8")
    previous = {k: v for k, v in (ours or {}).items() if k not in ("files", "tinct_version")}
    write_manifest(folder, list(PLUGIN_FILES), **{**previous, "python": python, **details})


def remove_plugin_folder(folder: Path) -> bool:
    """Remove what write_plugin_folder wrote (the folder too, once empty); False if Tinct is not there."""
    manifest = read_manifest(folder)
    if manifest is None:
        return False
    for name in [*manifest.get("files", []), MANIFEST]:  # type: ignore[misc]
        (folder / str(name)).unlink(missing_ok=True)
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
    return True


def install_home(home: Path, python: str) -> list[str]:
    nuke_dir = home / ".nuke"
    folder = nuke_dir / HOME_FOLDER
    init = nuke_dir / "init.py"
    created = not init.exists()
    already = read_manifest(folder)
    write_plugin_folder(folder, python, created_init=created if already is None else already.get("created_init", False))
    text = "" if created else init.read_text(encoding="utf-8")
    block = f"import nuke\nnuke.pluginAddPath({folder.as_posix()!r})"
    init.write_text(with_block(text, block), encoding="utf-8")
    return [
        f"Tinct installed for Nuke: {folder}",
        f"loaded from {init} (a block marked '# >>> tinct >>>')",
        f"the engine runs with {python}",
        "restart Nuke: the Tinct menu and toolbar appear",
    ]


def uninstall_home(home: Path) -> list[str]:
    nuke_dir = home / ".nuke"
    folder = nuke_dir / HOME_FOLDER
    manifest = read_manifest(folder) or {}
    init = nuke_dir / "init.py"
    messages = []
    if init.exists():
        text = without_block(init.read_text(encoding="utf-8"))
        if not text.strip() and manifest.get("created_init"):
            init.unlink()
            messages.append(f"removed {init} (Tinct had created it)")
        else:
            init.write_text(text, encoding="utf-8")
            messages.append(f"removed Tinct's block from {init}")
    if remove_plugin_folder(folder):
        messages.append(f"removed {folder}")
    return messages or ["Tinct was not installed in ~/.nuke"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="install/nuke/install.py", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--plugin-dir", type=Path, help="write a plugin folder to put on NUKE_PATH instead of using ~/.nuke"
    )
    parser.add_argument("--home", type=Path, default=Path.home(), help="home folder holding .nuke (default: yours)")
    parser.add_argument("--python", default=sys.executable, help="the Tinct environment's python (default: this one)")
    parser.add_argument("--uninstall", action="store_true", help="remove what this installer added")
    args = parser.parse_args(argv)
    try:
        if args.plugin_dir and args.uninstall:
            messages = [
                f"removed Tinct from {args.plugin_dir}"
                if remove_plugin_folder(args.plugin_dir)
                else f"Tinct was not installed in {args.plugin_dir}"
            ]
        elif args.plugin_dir:
            write_plugin_folder(args.plugin_dir, args.python)
            messages = [
                f"Tinct's Nuke plugin folder: {args.plugin_dir}",
                f"add it to NUKE_PATH, e.g. NUKE_PATH={args.plugin_dir}{':' if sys.platform != 'win32' else ';'}$NUKE_PATH",
                f"the engine runs with {args.python}",
            ]
        elif args.uninstall:
            messages = uninstall_home(args.home)
        else:
            messages = install_home(args.home, args.python)
    except TinctError as error:
        print(f"tinct: {error}", file=sys.stderr)
        return 2
    for message in messages:
        print(f"tinct: {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
