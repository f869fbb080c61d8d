"""Run a node on timeline clips: the work behind every Tinct script in Resolve's Scripts menu.

For each clip: its source sequence and the frames it shows; for a keyframe node, the marked
frames rendered with their grade; the engine run on the source (a subprocess of the Tinct
environment, with progress on Resolve's console); the result imported and placed above the clip.
Everything the artist chose is checked before the first render.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from tinct.core.errors import ParameterError, TinctError
from tinct.core.sequence import parse_sequence
from tinct.nodes.api import Request
from tinct.nodes.definition import NodeDefinition
from tinct.nodes.registry import node as definition_named
from tinct.plugin.host.runner import EngineJob, EngineProgress, run_to_end, start
from tinct.plugin.resolve import dialog
from tinct.plugin.resolve.clips import ClipError, ClipJob, clips_on_track, under_playhead
from tinct.plugin.resolve.connect import Session, connect
from tinct.plugin.resolve.keyframes import marked_frames, render_keyframes
from tinct.plugin.resolve.media import import_result, place
from tinct.plugin.resolve.settings import Settings, load, save, settings_path

Log = Callable[[str], None]


@dataclass(frozen=True)
class Placed:
    clip: str
    output: str
    track: int


def _console(text: str) -> None:
    print(f"Tinct: {text}", flush=True)  # Workspace > Console inside Resolve


def output_pattern(clip: ClipJob, definition: NodeDefinition, settings: Settings, timeline: str) -> str:
    """Where a clip's result goes: ``tinct/<command>/<timeline>_<first frame>/`` beside its source, or
    under the chosen folder. One folder per clip: the same plate cut in twice, with different
    keyframes, must not share result files; a rerun on the same clip resumes in the same folder."""
    source = parse_sequence(clip.source)
    name = str(PurePath(f"{source.prefix}{'#' * (source.padding or 4)}{source.suffix}").with_suffix(".exr"))
    base = Path(settings.output_folder) / _safe(clip.name) if settings.output_folder else source.directory / "tinct"
    return str(base / definition.command / f"{_safe(timeline)}_{clip.record_start}" / name)


def _safe(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text).strip("_") or "clip"


def _resolution(clip: ClipJob) -> tuple[int, int]:
    text = str(clip.media.GetClipProperty("Resolution"))
    match = re.fullmatch(r"\s*(\d+)\s*x\s*(\d+)\s*", text)
    if match is None:
        raise ClipError(
            f"{clip.name} has no resolution",
            expected="a Resolution like 2048x1556",
            found=text,
            repair="let Resolve finish reading the clip, then run the script again",
        )
    return int(match[1]), int(match[2])


def _progress_printer(log: Log, clip: ClipJob) -> Callable[[EngineProgress], bool]:
    shown = {"percent": -10}

    def report(progress: EngineProgress) -> bool:
        if progress.percent >= shown["percent"] + 10 or progress.done == progress.total:
            shown["percent"] = progress.percent
            log(f"{clip.name}: {progress.done}/{progress.total} frames")
        return False

    return report


def run_node(
    session: Session,
    definition: NodeDefinition,
    settings: Settings,
    log: Log = _console,
    python: str | None = None,
    poll: Callable[[], None] | None = None,
) -> list[Placed]:
    """Run ``definition`` on the clips ``settings`` choose in the current timeline; returns what was placed."""
    project = session.resolve.GetProjectManager().GetCurrentProject()
    timeline = project.GetCurrentTimeline() if project is not None else None
    if timeline is None:
        raise ClipError(
            "No timeline is open",
            expected="a project with a current timeline",
            found="none",
            repair="open the timeline holding the clips to process",
        )
    keyed = definition.temporal.keyframes
    missing = [s.name for s in definition.inputs[1:] if s.name != keyed and not s.optional]
    if missing:
        raise ParameterError(
            f"{definition.name} cannot run from Resolve",
            expected="inputs Resolve can supply",
            found=f"the {', '.join(missing)} input(s)",
            repair="run this node from Nuke or the command line",
        )
    values = settings.values_for(definition)
    playhead = under_playhead(timeline)
    clips = [playhead] if settings.scope == "playhead" else clips_on_track(timeline, playhead.track)
    placed: list[Placed] = []
    for clip in clips:
        output = output_pattern(clip, definition, settings, timeline.GetName())
        inputs = {definition.inputs[0].name: clip.source}
        colorspaces: dict[str, str] = {}
        if settings.source_colorspace:
            colorspaces[definition.inputs[0].name] = settings.source_colorspace
        if keyed:
            keys = marked_frames(timeline, clip, settings.marker_color)
            if not keys:
                if settings.scope == "track":
                    log(f"{clip.name}: no {settings.marker_color} markers, skipped")
                    continue
                raise ClipError(
                    f"No {settings.marker_color} markers on {clip.name}",
                    expected=f"{settings.marker_color} markers on the frames you graded",
                    found="none over the clip",
                    repair="grade a few frames, mark each with a marker of that "
                    "colour (on the timeline or the clip), or choose the markers' colour in the settings",
                )
            width, height = _resolution(clip)
            log(f"{clip.name}: rendering keyframes {', '.join(map(str, keys))}")
            pattern = str(Path(output).parent / "keyframes" / Path(output).name)
            render = {"poll": poll} if poll is not None else {}
            inputs[keyed] = render_keyframes(project, timeline, clip, keys, pattern, width, height, **render)
            if settings.keyframes_colorspace:
                colorspaces[keyed] = settings.keyframes_colorspace
        frames = clip.frames
        request = Request.create(
            definition.name,
            inputs,
            output,
            values,
            frames=range(frames[0], frames[-1] + 1),
            colorspaces=colorspaces,
            device=settings.device,
        )
        job = EngineJob(request, Path(output).parent / f"tinct_{definition.command}.log")
        log(f"{clip.name}: {definition.name} on frames {frames[0]}-{frames[-1]}")
        run = start(job, python)
        try:
            run_to_end(run, _progress_printer(log, clip))
        except KeyboardInterrupt:
            run.cancel()  # Ctrl-C in an external Python: do not leave the engine running
            raise
        pool = project.GetMediaPool()
        track = place(pool, timeline, import_result(pool, output, frames, clip), clip)
        placed.append(Placed(clip.name, output, track))
        log(f"{clip.name}: result on video track {track}, from {output}")
    if keyed and not placed:
        raise ClipError(
            f"No {settings.marker_color} markers on any clip of video track {playhead.track}",
            expected=f"{settings.marker_color} markers on the frames you graded",
            found="none",
            repair="mark the graded frames, or choose the markers' colour in the settings",
        )
    return placed


def run_script(
    node_name: str,
    session: Session,
    settings_file: Path,
    use_dialog: bool = True,
    python: str | None = None,
    log: Log = _console,
    poll: Callable[[], None] | None = None,
) -> list[Placed]:
    """Settings from the dialog (where Resolve has one) or the settings file, then :func:`run_node`."""
    definition = definition_named(node_name)
    settings = load(settings_file)
    if use_dialog and dialog.available(session):
        chosen = dialog.ask(session, definition, settings, keyframed=bool(definition.temporal.keyframes))
        if chosen is None:
            log("cancelled")
            return []
        save(settings_file, chosen)
        settings = chosen
    else:
        if not settings_file.exists():
            save(settings_file, settings.with_values(definition, settings.values_for(definition)))
        log(f"using the settings in {settings_file} (edit that file to change them)")
    return run_node(session, definition, settings, log, python, poll)


def run_from_resolve_menu(node_name: str, script_globals: Mapping[str, Any]) -> None:
    """What an installed script calls: errors go to the console and, where possible, a message window."""
    session: Session | None = None
    try:
        session = connect(script_globals)
        run_script(node_name, session, settings_path())
    except TinctError as error:
        _console(str(error))
        if session is not None and dialog.available(session):
            dialog.show_error(session, "Tinct", str(error))


def main(argv: list[str] | None = None) -> int:
    """``python -m tinct.plugin.resolve NODE``: run from an external Python against a running Resolve."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m tinct.plugin.resolve", description="Run a Tinct node on the current Resolve timeline."
    )
    parser.add_argument("node", help="node name, e.g. KeyframeColorize")
    parser.add_argument("--settings", type=Path, default=None, help="settings file (default: the per-user one)")
    parser.add_argument("--no-dialog", action="store_true", help="never show the dialog; use the settings file")
    args = parser.parse_args(argv)
    try:
        run_script(
            args.node, connect(), args.settings or settings_path(), use_dialog=not args.no_dialog, python=sys.executable
        )
    except TinctError as error:
        print(f"tinct: {error}", file=sys.stderr)
        return 2
    return 0
