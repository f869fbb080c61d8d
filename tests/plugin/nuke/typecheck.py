"""Type-check the host adapters against the host stubs (types-nuke):

    python -m tests.plugin.nuke.typecheck

mypy cannot follow the editable install's import hook (``tinct.core`` lives in ``core/``), so this
links the repository's folders into a ``tinct`` tree under .mypy_cache and checks the packages
there. Imported engine modules are analysed but not reported (``--follow-imports=silent``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PACKAGES = ("tinct.plugin.nuke", "tinct.plugin.host", "tinct.plugin.resolve")


def link_tree() -> Path:
    """``.mypy_cache/tinct_tree/tinct/{core,models,nodes,plugin}`` -> the repository's folders."""
    tree = REPO / ".mypy_cache" / "tinct_tree"
    package = tree / "tinct"
    package.mkdir(parents=True, exist_ok=True)
    for folder in ("core", "models", "nodes", "plugin"):
        link = package / folder
        if not link.is_symlink():
            link.symlink_to(REPO / folder, target_is_directory=True)
    return tree


def main() -> int:
    tree = link_tree()
    command = [
        sys.executable,
        "-m",
        "mypy",
        "--follow-imports=silent",
        "--namespace-packages",
        "--explicit-package-bases",
        "--warn-unused-ignores",
        "--disallow-untyped-defs",
    ]
    for package in PACKAGES:
        command += ["-p", package]
    return subprocess.call(command, env={**os.environ, "MYPYPATH": str(tree)}, cwd=tree)


if __name__ == "__main__":
    sys.exit(main())
