"""Reaching Resolve from its Scripts menu and from an external Python; where settings live."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.plugin.resolve import fake_resolve as fr
from tinct.plugin.resolve.connect import ResolveUnavailable, connect, module_folders
from tinct.plugin.resolve.settings import settings_path


def test_inside_resolve_the_scripts_globals_are_used() -> None:
    resolve, fusion = fr.Resolve(None), fr.Fusion()
    session = connect({"resolve": resolve, "fu": fusion, "bmd": fr.Bmd()})
    assert session.resolve is resolve and session.fusion is fusion


def test_an_external_python_goes_through_the_scripting_module(monkeypatch: pytest.MonkeyPatch) -> None:
    resolve = fr.Resolve(None, fr.Fusion())
    monkeypatch.setitem(sys.modules, "DaVinciResolveScript", fr.Bmd(resolve))
    session = connect({})
    assert session.resolve is resolve and session.fusion is resolve.Fusion()
    monkeypatch.setitem(sys.modules, "DaVinciResolveScript", fr.Bmd(None))
    with pytest.raises(ResolveUnavailable, match="Cannot reach") as raised:
        connect()
    assert "External scripting" in raised.value.repair


def test_a_missing_scripting_module_names_where_it_was_looked_for(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delitem(sys.modules, "DaVinciResolveScript", raising=False)
    environ = {"RESOLVE_SCRIPT_API": str(tmp_path / "api")}
    with pytest.raises(ResolveUnavailable) as raised:
        connect({}, platform="linux", environ=environ)
    assert str(tmp_path / "api" / "Modules") in raised.value.expected and "RESOLVE_SCRIPT_LIB" in raised.value.repair


def test_module_folders_per_os() -> None:
    assert module_folders("linux", {}) == ["/opt/resolve/Developer/Scripting/Modules"]
    assert module_folders("darwin", {})[0].startswith("/Library/Application Support/Blackmagic Design/")
    assert module_folders("win32", {"PROGRAMDATA": r"D:\PD"}) == [
        r"D:\PD\Blackmagic Design\DaVinci Resolve\Support\Developer\Scripting\Modules"
    ]
    assert module_folders("linux", {"RESOLVE_SCRIPT_API": "/x"})[0] == "/x/Modules"


def test_settings_live_in_the_users_config_folder(tmp_path: Path) -> None:
    assert settings_path("linux", tmp_path, {}) == tmp_path / ".config" / "tinct" / "resolve.json"
    assert settings_path("linux", tmp_path, {"XDG_CONFIG_HOME": "/cfg"}) == Path("/cfg/tinct/resolve.json")
    assert (
        settings_path("darwin", tmp_path, {}) == tmp_path / "Library" / "Application Support" / "Tinct" / "resolve.json"
    )
    assert settings_path("win32", tmp_path, {"APPDATA": "/appdata"}) == Path("/appdata/Tinct/resolve.json")
    assert settings_path("linux", tmp_path, {"TINCT_RESOLVE_SETTINGS": "/s.json"}) == Path("/s.json")
