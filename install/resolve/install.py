"""Install Tinct's scripts into DaVinci Resolve's Workspace > Scripts menu, or remove them. Run it
with the Tinct environment's python: the scripts record that python and run the engine with it.

    .venv/bin/python install/resolve/install.py                # for this user
    .venv/bin/python install/resolve/install.py --all-users    # for everyone on this machine (admin rights)
    .venv/bin/python install/resolve/install.py --uninstall [--all-users]

One script per Tinct node ("Tinct Colorize from Markers", "Tinct Restore", ...) goes into the
Scripts/<category> folder (Utility by default: every page shows those). Running it again updates
them and removes scripts of nodes that no longer exist; --uninstall removes them. A file of the
same name that Tinct did not write is never replaced.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path

from tinct.core.errors import TinctError
from tinct.nodes.registry import NODES
from tinct.plugin.host.installing import InstallError, fill_template, host_settings
from tinct.plugin.resolve import script_label

CATEGORIES = ("Utility", "Edit", "Color", "Deliver")
MARKER = "written by install/resolve/install.py"


def scripts_root(
    all_users: bool, platform: str = sys.platform, home: Path | None = None, environ: Mapping[str, str] = os.environ
) -> Path:
    """Resolve's Fusion/Scripts folder, per user or for all users, on this OS."""
    home = home or Path.home()
    if platform == "win32":
        key, fallback = (
            ("PROGRAMDATA", r"C:\ProgramData") if all_users else ("APPDATA", str(home / "AppData" / "Roaming"))
        )
        base = Path(environ.get(key) or fallback) / "Blackmagic Design" / "DaVinci Resolve"
        return base / "Fusion" / "Scripts" if all_users else base / "Support" / "Fusion" / "Scripts"
    if platform == "darwin":
        library = Path("/Library") if all_users else home / "Library"
        return library / "Application Support" / "Blackmagic Design" / "DaVinci Resolve" / "Fusion" / "Scripts"
    return (
        Path("/opt/resolve/Fusion/Scripts")
        if all_users
        else home / ".local" / "share" / "DaVinciResolve" / "Fusion" / "Scripts"
    )


def launchers(python: str) -> dict[str, str]:
    """File name -> text of the script of every node that runs on its own."""
    template = (files("tinct.plugin.resolve") / "scripts" / "launcher.py").read_text(encoding="utf-8")
    settings = host_settings(python)
    return {
        f"{script_label(d)}.py": fill_template(template, {"TINCT_HOST": settings, "TINCT_NODE": d.name})
        for d in NODES
        if d.command
    }


def _ours(path: Path) -> bool:
    return path.is_file() and MARKER in path.read_text(encoding="utf-8", errors="replace")


def install(folder: Path, python: str) -> list[str]:
    wanted = launchers(python)
    foreign = [name for name in wanted if (folder / name).exists() and not _ours(folder / name)]
    if foreign:
        raise InstallError(
            f"{folder} already holds scripts named like Tinct's",
            expected="no file of these names, or Tinct's own",
            found=", ".join(foreign),
            repair="rename or move those scripts, then install again",
        )
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in wanted.items():
        (folder / name).write_text(text, encoding="utf-8")
    stale = [p for p in folder.glob("Tinct *.py") if p.name not in wanted and _ours(p)]
    for path in stale:
        path.unlink()
    return [f"installed {folder / name}" for name in wanted] + [f"removed the old script {p}" for p in stale]


def uninstall(folder: Path) -> list[str]:
    removed = [p for p in folder.glob("Tinct *.py") if _ours(p)] if folder.is_dir() else []
    for path in removed:
        path.unlink()
    return [f"removed {p}" for p in removed] or [f"no Tinct scripts in {folder}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="install/resolve/install.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--all-users", action="store_true", help="install for every user of this machine")
    parser.add_argument("--category", choices=CATEGORIES, default="Utility", help="Scripts submenu (default: Utility)")
    parser.add_argument("--scripts-dir", type=Path, help="Resolve's Fusion/Scripts folder, if not the standard one")
    parser.add_argument("--home", type=Path, default=Path.home(), help="home folder (default: yours)")
    parser.add_argument("--python", default=sys.executable, help="the Tinct environment's python (default: this one)")
    parser.add_argument("--uninstall", action="store_true", help="remove Tinct's scripts")
    args = parser.parse_args(argv)
    folder = (args.scripts_dir or scripts_root(args.all_users, home=args.home)) / args.category
    try:
        messages = uninstall(folder) if args.uninstall else install(folder, args.python)
    except TinctError as error:
        print(f"tinct: {error}", file=sys.stderr)
        return 2
    except PermissionError as error:
        refused = InstallError(
            "No permission to write Resolve's Scripts folder",
            found=str(error),
            repair="run as an administrator for --all-users, or install for this user only",
        )
        print(f"tinct: {refused}", file=sys.stderr)
        return 2
    for message in messages:
        print(f"tinct: {message}")
    if not args.uninstall:
        print("tinct: in Resolve: Workspace > Scripts > " + args.category)
    return 0


if __name__ == "__main__":
    sys.exit(main())
