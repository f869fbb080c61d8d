"""install/nuke: idempotent, reversible, never replaces files it did not write; tried in temporary homes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.install.conftest import REPO, load_installer
from tests.plugin.nuke import fake_nuke

installer = load_installer("nuke")
PYTHON = "/studio/tinct/.venv/bin/python"


def run(*args: str) -> int:
    return int(installer.main([*args, "--python", PYTHON]))


def test_install_into_a_fresh_home(tmp_path: Path) -> None:
    assert run("--home", str(tmp_path)) == 0
    folder = tmp_path / ".nuke" / "tinct_nuke"
    assert sorted(p.name for p in folder.iterdir()) == ["init.py", "menu.py", "tinct-install.json"]
    assert repr(PYTHON) in (folder / "init.py").read_text()
    init = (tmp_path / ".nuke" / "init.py").read_text()
    assert f"nuke.pluginAddPath({folder.as_posix()!r})" in init and init.count("# >>> tinct >>>") == 1


def test_the_users_init_py_is_kept_and_reinstalling_changes_nothing(tmp_path: Path) -> None:
    init = tmp_path / ".nuke" / "init.py"
    init.parent.mkdir()
    original = "import nuke\nnuke.pluginAddPath('./gizmos')\n"
    init.write_text(original)
    run("--home", str(tmp_path))
    first = {p: p.read_bytes() for p in (tmp_path / ".nuke").rglob("*") if p.is_file()}
    run("--home", str(tmp_path))
    assert {p: p.read_bytes() for p in (tmp_path / ".nuke").rglob("*") if p.is_file()} == first
    assert init.read_text().startswith(original)
    assert run("--home", str(tmp_path), "--uninstall") == 0
    assert init.read_text() == original and not (tmp_path / ".nuke" / "tinct_nuke").exists()


def test_uninstall_removes_an_init_py_it_created(tmp_path: Path) -> None:
    run("--home", str(tmp_path))
    run("--home", str(tmp_path), "--uninstall")
    assert list((tmp_path / ".nuke").iterdir()) == []


def test_a_foreign_plugin_folder_is_not_replaced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    studio = tmp_path / "studio_nuke"
    studio.mkdir()
    (studio / "menu.py").write_text("# the studio's own menu\n")
    assert run("--plugin-dir", str(studio)) == 2
    assert "did not write" in capsys.readouterr().err
    assert (studio / "menu.py").read_text() == "# the studio's own menu\n" and not (studio / "init.py").exists()


def test_a_nuke_path_folder_for_studios(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "pipeline" / "nuke" / "tinct"
    assert run("--plugin-dir", str(folder)) == 0
    assert "NUKE_PATH" in capsys.readouterr().out
    (folder / "notes.txt").write_text("not Tinct's")
    run("--plugin-dir", str(folder), "--uninstall")
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]
    assert not (tmp_path / ".nuke").exists(), "the studio mode leaves ~/.nuke alone"


def test_nuke_loads_what_was_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nuke", fake_nuke)
    monkeypatch.delenv("TINCT_PYTHON", raising=False)
    fake_nuke.reset(gui=False)
    run("--home", str(tmp_path))
    for script in (tmp_path / ".nuke" / "init.py", tmp_path / ".nuke" / "tinct_nuke" / "init.py"):
        exec(compile(script.read_text(), str(script), "exec"), {"__name__": "__main__"})
    assert fake_nuke.PLUGIN_PATHS == [(tmp_path / ".nuke" / "tinct_nuke").as_posix()]
    assert sorted(fake_nuke._CALLBACKS) == ["KnobChanged", "OnScriptLoad"]
    fake_nuke.reset()


def test_runs_as_a_script(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "install" / "nuke" / "install.py"), "--home", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert repr(sys.executable) in (tmp_path / ".nuke" / "tinct_nuke" / "init.py").read_text()
