"""install/resolve: one script per node in Resolve's Scripts folder; reversible; never replaces others' files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.install.conftest import load_installer
from tests.plugin.nuke.scene import RESTORE_LIKE
from tinct.nodes.keyframe_colorize import KEYFRAME_COLORIZE

installer = load_installer("resolve")
PYTHON = "/studio/tinct/.venv/bin/python"


@pytest.fixture(autouse=True)
def nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(installer, "NODES", (KEYFRAME_COLORIZE, RESTORE_LIKE))


def scripts(home: Path) -> Path:
    return home / ".local" / "share" / "DaVinciResolve" / "Fusion" / "Scripts" / "Utility"


def test_install_for_this_user(tmp_path: Path) -> None:
    assert installer.main(["--home", str(tmp_path), "--python", PYTHON]) == 0
    folder = scripts(tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == ["Tinct Colorize from Markers.py", "Tinct TestRestore.py"]
    text = (folder / "Tinct Colorize from Markers.py").read_text()
    assert "TINCT_NODE = 'KeyframeColorize'" in text and repr(PYTHON) in text
    compile(text, "launcher", "exec")


def test_reinstall_updates_and_drops_scripts_of_removed_nodes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    installer.main(["--home", str(tmp_path), "--python", PYTHON])
    monkeypatch.setattr(installer, "NODES", (KEYFRAME_COLORIZE,))
    installer.main(["--home", str(tmp_path), "--python", "/new/python"])
    folder = scripts(tmp_path)
    assert [p.name for p in folder.iterdir()] == ["Tinct Colorize from Markers.py"]
    assert "/new/python" in (folder / "Tinct Colorize from Markers.py").read_text()


def test_uninstall_keeps_other_scripts(tmp_path: Path) -> None:
    folder = scripts(tmp_path)
    folder.mkdir(parents=True)
    (folder / "Tinct notes.py").write_text("print('a colourist wrote this')\n")
    installer.main(["--home", str(tmp_path), "--python", PYTHON])
    assert installer.main(["--home", str(tmp_path), "--uninstall"]) == 0
    assert [p.name for p in folder.iterdir()] == ["Tinct notes.py"]


def test_a_foreign_script_of_the_same_name_is_not_replaced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = scripts(tmp_path)
    folder.mkdir(parents=True)
    (folder / "Tinct TestRestore.py").write_text("print('mine')\n")
    assert installer.main(["--home", str(tmp_path), "--python", PYTHON]) == 2
    assert "Tinct TestRestore.py" in capsys.readouterr().err
    assert (folder / "Tinct TestRestore.py").read_text() == "print('mine')\n"
    assert not (folder / "Tinct Colorize from Markers.py").exists(), "nothing half-installed"


def test_scripts_folders_per_os(tmp_path: Path) -> None:
    root = installer.scripts_root
    support = Path("Blackmagic Design") / "DaVinci Resolve"
    assert (
        root(False, "darwin", tmp_path, {})
        == tmp_path / "Library" / "Application Support" / support / "Fusion" / "Scripts"
    )
    assert root(True, "darwin", tmp_path, {}) == Path("/Library/Application Support") / support / "Fusion" / "Scripts"
    assert (
        root(False, "win32", tmp_path, {"APPDATA": "/appdata"})
        == Path("/appdata") / support / "Support" / "Fusion" / "Scripts"
    )
    assert root(True, "win32", tmp_path, {"PROGRAMDATA": "/pd"}) == Path("/pd") / support / "Fusion" / "Scripts"
    assert root(True, "linux", tmp_path, {}) == Path("/opt/resolve/Fusion/Scripts")


def test_other_categories_and_explicit_folders(tmp_path: Path) -> None:
    installer.main(["--scripts-dir", str(tmp_path / "Scripts"), "--category", "Color", "--python", PYTHON])
    assert (tmp_path / "Scripts" / "Color" / "Tinct Colorize from Markers.py").is_file()
