"""The Resolve scripts' settings: a JSON file per user, the dialog's memory and the no-UI path.

Free Resolve (19.1 on) has no UIManager dialogs: there the scripts run with this file's settings,
writing a file of defaults on first use for the artist to edit. Where the dialog exists, what the
artist chose is saved back here. Node parameters are stored with their node's version so that a
newer Tinct upgrades them (NodeDefinition.resolve).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from tinct.core.errors import ParameterError
from tinct.nodes.definition import DEVICES, NodeDefinition, Value

ENV_SETTINGS = "TINCT_RESOLVE_SETTINGS"
# Resolve's marker colours (timeline, clip and media pool markers).
MARKER_COLORS = (
    "Blue",
    "Cyan",
    "Green",
    "Yellow",
    "Red",
    "Pink",
    "Purple",
    "Fuchsia",
    "Rose",
    "Lavender",
    "Sky",
    "Mint",
    "Lemon",
    "Sand",
    "Cocoa",
    "Cream",
)
SCOPES = ("playhead", "track")


@dataclass(frozen=True)
class Settings:
    """``marker_color``: markers of this colour are keyframes. ``scope``: the clip under the playhead,
    or every clip of its track (with keyframe markers, for keyframe nodes). ``output_folder``: ''
    writes beside each source (``<source folder>/tinct/<command>/``). ``keyframes_colorspace``: the
    OCIO name of what Resolve renders (the timeline's output colour space; Resolve's default is
    Rec.709 gamma 2.4). ``source_colorspace``: '' lets Tinct read it from the files. ``device``: where
    networks and the per-pixel work run (auto, cpu, cuda)."""

    marker_color: str = "Green"
    scope: str = "playhead"
    output_folder: str = ""
    keyframes_colorspace: str = "Gamma 2.4 Encoded Rec.709"
    source_colorspace: str = ""
    device: str = "auto"
    nodes: Mapping[str, Mapping[str, object]] = field(default_factory=dict)

    def values_for(self, definition: NodeDefinition) -> dict[str, Value]:
        """The saved parameter values of ``definition``, upgraded and checked."""
        saved = self.nodes.get(definition.name, {})
        values = saved.get("values", {})
        version = saved.get("version", definition.version)
        if not isinstance(values, dict) or not isinstance(version, int):
            raise ParameterError(
                f"Saved {definition.name} settings are malformed",
                expected="{version, values}",
                found=repr(saved),
                repair="delete that node's entry from the settings file",
            )
        return definition.resolve(values, version)

    def with_values(self, definition: NodeDefinition, values: Mapping[str, Value]) -> Settings:
        nodes = {**self.nodes, definition.name: {"version": definition.version, "values": dict(values)}}
        return replace(self, nodes=nodes)

    def checked(self) -> Settings:
        if self.marker_color not in MARKER_COLORS:
            raise ParameterError(
                "Unknown marker colour",
                expected=", ".join(MARKER_COLORS),
                found=self.marker_color,
                repair="use one of Resolve's marker colours",
            )
        if self.scope not in SCOPES:
            raise ParameterError(
                "Unknown clip scope",
                expected=" or ".join(SCOPES),
                found=self.scope,
                repair="playhead: the clip under the playhead; track: every clip on its track",
            )
        if self.device not in DEVICES:
            raise ParameterError(
                "Unknown device",
                expected=", ".join(DEVICES),
                found=self.device,
                repair="auto: a CUDA GPU when there is one; cpu; cuda",
            )
        if not isinstance(self.nodes, Mapping) or not all(isinstance(v, Mapping) for v in self.nodes.values()):
            raise ParameterError(
                "Saved node settings are malformed",
                expected="{node: {version, values}}",
                found=repr(self.nodes)[:200],
                repair="delete the 'nodes' entry of the settings file",
            )
        return self


def settings_path(
    platform: str = sys.platform, home: Path | None = None, environ: Mapping[str, str] = os.environ
) -> Path:
    """$TINCT_RESOLVE_SETTINGS, else the per-user config folder of the OS."""
    if environ.get(ENV_SETTINGS):
        return Path(environ[ENV_SETTINGS])
    home = home or Path.home()
    if platform == "win32":
        base = Path(environ.get("APPDATA") or home / "AppData" / "Roaming")
    elif platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(environ.get("XDG_CONFIG_HOME") or home / ".config")
    return base / "Tinct" / "resolve.json" if platform in ("win32", "darwin") else base / "tinct" / "resolve.json"


def load(path: Path) -> Settings:
    """The settings in ``path`` (defaults when it does not exist)."""
    if not path.is_file():
        return Settings()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        known = {name: data[name] for name in Settings.__dataclass_fields__ if name in data}
        settings = Settings(**known)
    except (ValueError, TypeError) as error:
        raise ParameterError(
            "The Tinct settings file cannot be read",
            expected="the JSON Tinct writes",
            found=str(error),
            repair="fix it, or delete it to start from the defaults",
            file=path,
        ) from None
    try:
        return settings.checked()
    except ParameterError as error:
        error.file = path
        raise


def save(path: Path, settings: Settings) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(asdict(settings), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temporary, path)
