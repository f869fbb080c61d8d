"""A fake of DaVinci Resolve's documented scripting API, for the Resolve adapter's tests.

Modelled on Resolve's scripting README (as typed by ``fusionscript-stubs``) and HOSTS.md: methods
take the documented arguments (a wrong count is a TypeError), answer with the documented types
(markers as ``{float frame: {color, duration, note, name, customData}}``, clip properties as text)
and report failure the way Resolve does, by returning False, '' or [] rather than raising:
unknown render-setting keys, a job queued without a target folder, a clip appended over another.

Rendering is simulated: each job renders the picture at its In frame, the topmost *enabled*
video track's clip as graded by ``Project.grade`` (a test hook), into its TargetDir.
Test controls and hooks are attributes named in lowercase without a Resolve-style capital.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

_ids = itertools.count(1)
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
RENDER_SETTING_KEYS = {
    "SelectAllFrames": bool,
    "MarkIn": int,
    "MarkOut": int,
    "TargetDir": str,
    "CustomName": str,
    "UniqueFilenameStyle": int,
    "ExportVideo": bool,
    "ExportAudio": bool,
    "FormatWidth": int,
    "FormatHeight": int,
    "FrameRate": float,
    "PixelAspectRatio": str,
    "VideoQuality": (int, str),
    "AudioCodec": str,
    "AudioBitDepth": int,
    "AudioSampleRate": int,
    "ColorSpaceTag": str,
    "GammaTag": str,
    "ExportAlpha": bool,
}
CLIP_INFO_KEYS = {"mediaPoolItem", "startFrame", "endFrame", "mediaType", "trackIndex", "recordFrame"}


def _uid() -> str:
    return f"{next(_ids):08x}-fake"


class _Markers:
    def __init__(self) -> None:
        self._markers: dict[float, dict[str, Any]] = {}

    def AddMarker(
        self, frameId: float, color: str, name: str, note: str, duration: float, customData: str | None = None
    ) -> bool:
        if color not in MARKER_COLORS or frameId in self._markers or duration < 1:
            return False
        self._markers[float(frameId)] = {
            "color": color,
            "duration": float(duration),
            "note": note,
            "name": name,
            "customData": customData or "",
        }
        return True

    def GetMarkers(self) -> dict[float, dict[str, Any]]:
        return {frame: dict(marker) for frame, marker in self._markers.items()}


class MediaPoolItem(_Markers):
    def __init__(self, name: str, properties: dict[str, str]) -> None:
        super().__init__()
        self._name, self._properties = name, dict(properties)
        self._third_party: dict[str, str] = {}
        self._id = _uid()

    def GetName(self) -> str:
        return self._name

    def GetClipProperty(self, propertyName: str | None = None) -> str | dict[str, str]:
        if propertyName is None:
            return dict(self._properties)
        return self._properties.get(propertyName, "")

    def GetThirdPartyMetadata(self, metadataType: str | None = None) -> str | dict[str, str]:
        if metadataType is None:
            return dict(self._third_party)
        return self._third_party.get(metadataType, "")

    def SetThirdPartyMetadata(self, metadataType: str, metadataValue: str) -> bool:
        if not isinstance(metadataType, str) or not isinstance(metadataValue, str):
            return False
        self._third_party[metadataType] = metadataValue
        return True

    def GetUniqueId(self) -> str:
        return self._id

    def GetMediaId(self) -> str:
        return self._id


class TimelineItem(_Markers):
    def __init__(
        self, media: MediaPoolItem | None, start: int, duration: int, left_offset: int, name: str = ""
    ) -> None:
        super().__init__()
        self._media, self._start, self._duration, self._left = media, start, duration, left_offset
        self._name = name or (media.GetName() if media else "Generator")
        self._id = _uid()

    def GetName(self) -> str:
        return self._name

    def GetStart(self, subframe_precision: bool = False) -> int:
        return self._start

    def GetEnd(self, subframe_precision: bool = False) -> int:
        return self._start + self._duration

    def GetDuration(self, subframe_precision: bool = False) -> int:
        return self._duration

    def GetLeftOffset(self, subframe_precision: bool = False) -> int:
        return self._left

    def GetMediaPoolItem(self) -> MediaPoolItem | None:
        return self._media

    def GetUniqueId(self) -> str:
        return self._id


class Timeline(_Markers):
    def __init__(self, name: str = "Timeline 1", start_frame: int = 86400, tracks: int = 1) -> None:
        super().__init__()
        self._name, self._start = name, start_frame
        self._tracks: list[list[TimelineItem]] = [[] for _ in range(tracks)]
        self._enabled: list[bool] = [True] * tracks
        self.playhead = start_frame  # test control: the current frame
        self._id = _uid()

    def GetName(self) -> str:
        return self._name

    def GetUniqueId(self) -> str:
        return self._id

    def GetStartFrame(self) -> int:
        return self._start

    def GetEndFrame(self) -> int:
        return max([self._start] + [i.GetEnd() for track in self._tracks for i in track])

    def GetTrackCount(self, trackType: str) -> int:
        return len(self._tracks) if trackType == "video" else 0

    def AddTrack(self, trackType: str, subTrackType: str | None = None) -> bool:
        if trackType != "video":
            return False
        self._tracks.append([])
        self._enabled.append(True)
        return True

    def _track(self, trackType: str, index: int) -> list[TimelineItem] | None:
        if trackType != "video" or not 1 <= index <= len(self._tracks):
            return None
        return self._tracks[index - 1]

    def GetItemListInTrack(self, trackType: str, index: int) -> list[TimelineItem]:
        track = self._track(trackType, index)
        return [] if track is None else list(track)

    def SetTrackEnable(self, trackType: str, trackIndex: int, Bool: bool) -> bool:
        if self._track(trackType, trackIndex) is None or not isinstance(Bool, bool):
            return False
        self._enabled[trackIndex - 1] = Bool
        return True

    def GetIsTrackEnabled(self, trackType: str, trackIndex: int) -> bool:
        return self._track(trackType, trackIndex) is not None and self._enabled[trackIndex - 1]

    def GetCurrentVideoItem(self) -> TimelineItem | None:
        for track in reversed(self._tracks):
            for item in track:
                if item.GetStart() <= self.playhead < item.GetEnd():
                    return item
        return None

    # -- test helpers --
    def put(self, track: int, item: TimelineItem) -> TimelineItem:
        """Edit a clip onto a track (what the editor did before the script runs)."""
        while len(self._tracks) < track:
            self.AddTrack("video")
        self._tracks[track - 1].append(item)
        return item

    def top_enabled_item(self, frame: int) -> TimelineItem | None:
        for index in range(len(self._tracks), 0, -1):
            if not self._enabled[index - 1]:
                continue
            for item in self._tracks[index - 1]:
                if item.GetStart() <= frame < item.GetEnd():
                    return item
        return None


class Folder:
    def __init__(self, name: str) -> None:
        self._name, self._subfolders, self._clips, self._id = name, [], [], _uid()

    def GetName(self) -> str:
        return self._name

    def GetSubFolderList(self) -> list[Folder]:
        return list(self._subfolders)

    def GetClipList(self) -> list[MediaPoolItem]:
        return list(self._clips)

    def GetUniqueId(self) -> str:
        return self._id


class MediaPool:
    def __init__(self, project: Project) -> None:
        self._project = project
        self._root = Folder("Master")
        self._current = self._root

    def GetRootFolder(self) -> Folder:
        return self._root

    def AddSubFolder(self, folder: Folder, name: str) -> Folder:
        sub = Folder(name)
        folder._subfolders.append(sub)
        return sub

    def GetCurrentFolder(self) -> Folder:
        return self._current

    def SetCurrentFolder(self, folder: Folder) -> bool:
        if not isinstance(folder, Folder):
            return False
        self._current = folder
        return True

    def ImportMedia(self, items: list[Any]) -> list[MediaPoolItem]:
        imported = []
        for info in items:
            if not isinstance(info, dict) or set(info) != {"FilePath", "StartIndex", "EndIndex"}:
                return []
            path, first, last = info["FilePath"], info["StartIndex"], info["EndIndex"]
            files = [Path(path % frame) for frame in range(first, last + 1)]
            if not all(f.is_file() for f in files):
                return []
            token = re.search(r"%0(\d+)d", path)
            if token is None:
                return []
            width = int(token[1])
            shown = path[: token.start()] + f"[{first:0{width}d}-{last:0{width}d}]" + path[token.end() :]
            media = MediaPoolItem(
                Path(shown).name,
                {
                    "File Path": shown,
                    "Start": str(first),
                    "End": str(last),
                    "Frames": str(last - first + 1),
                    "Resolution": self._project.resolution,
                },
            )
            self._current._clips.append(media)
            imported.append(media)
        return imported

    def AppendToTimeline(self, clipInfos: list[Any]) -> list[TimelineItem]:
        """startFrame/endFrame count from the clip's first frame, both included (HOSTS.md)."""
        timeline = self._project.GetCurrentTimeline()
        placed = []
        for info in clipInfos:
            if not isinstance(info, dict) or not set(info) <= CLIP_INFO_KEYS or "mediaPoolItem" not in info:
                return []
            media, first, last = info["mediaPoolItem"], info.get("startFrame", 0), info.get("endFrame")
            frames = int(str(media.GetClipProperty("Frames")))
            last = frames - 1 if last is None else last
            track_index, record = info.get("trackIndex", 1), info.get("recordFrame", timeline.GetEndFrame())
            track = timeline._track("video", track_index)
            if track is None or not 0 <= first <= last < frames:
                return []
            duration = last - first + 1
            if any(i.GetStart() < record + duration and i.GetEnd() > record for i in track):
                return []
            item = TimelineItem(media, record, duration, first)
            track.append(item)
            placed.append(item)
        return placed


class Project:
    def __init__(self, timeline: Timeline, resolution: str = "64x48") -> None:
        self._timeline = timeline
        self.resolution = resolution
        self._pool = MediaPool(self)
        self._settings: dict[str, Any] = {}
        self._format, self._mode = {"format": "mov", "codec": "H264"}, 0
        self._jobs: dict[str, dict[str, Any]] = {}
        self._status: dict[str, dict[str, Any]] = {}
        self._polls = 0
        # Test hook: write the graded picture of ``item`` at source frame ``frame`` to ``path``.
        self.grade: Callable[[Path, TimelineItem, int], None] | None = None
        self.rendered: list[dict[str, Any]] = []

    def GetName(self) -> str:
        return "Restoration"

    def GetMediaPool(self) -> MediaPool:
        return self._pool

    def GetCurrentTimeline(self) -> Timeline | None:
        return self._timeline

    def GetRenderFormats(self) -> dict[str, str]:
        return {"QuickTime": "mov", "OpenEXR": "exr", "DPX": "dpx", "TIFF": "tif"}

    def GetRenderCodecs(self, renderFormat: str) -> dict[str, str]:
        if renderFormat == "exr":
            return {
                "RGB float (No compression)": "RGBFloat",
                "RGB half (No compression)": "RGBHalf",
                "RGB half (ZIP)": "RGBHalfZIP",
            }
        return {"H.264": "H264"} if renderFormat == "mov" else {}

    def SetCurrentRenderFormatAndCodec(self, format: str, codec: str) -> bool:
        if codec not in self.GetRenderCodecs(format).values():
            return False
        self._format = {"format": format, "codec": codec}
        return True

    def GetCurrentRenderFormatAndCodec(self) -> dict[str, str]:
        return dict(self._format)

    def SetCurrentRenderMode(self, renderMode: int) -> bool:
        if renderMode not in (0, 1):
            return False
        self._mode = renderMode
        return True

    def GetCurrentRenderMode(self) -> int:
        return self._mode

    def SetRenderSettings(self, settings: dict[str, Any]) -> bool:
        for key, value in settings.items():
            kind = RENDER_SETTING_KEYS.get(key)
            if kind is None or not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                return False
        self._settings.update(settings)
        return True

    def AddRenderJob(self) -> str:
        if not self._settings.get("TargetDir"):
            return ""
        job = _uid()
        self._jobs[job] = {**self._settings, **self._format, "mode": self._mode}
        return job

    def DeleteRenderJob(self, jobId: str) -> bool:
        return self._jobs.pop(jobId, None) is not None

    def GetRenderJobList(self) -> list[dict[str, Any]]:
        return [{"JobId": job, **settings} for job, settings in self._jobs.items()]

    def StartRendering(self, jobIds: list[str], isInteractiveMode: bool = False) -> bool:
        if not isinstance(jobIds, list) or not all(job in self._jobs for job in jobIds):
            return False
        for job in jobIds:
            settings = self._jobs[job]
            self.rendered.append(settings)
            frame = settings["MarkIn"]
            item = self._timeline.top_enabled_item(frame)
            if item is None or self.grade is None:
                self._status[job] = {"JobStatus": "Failed", "CompletionPercentage": 0, "Error": "nothing to render"}
                continue
            source_frame = (
                int(str(item.GetMediaPoolItem().GetClipProperty("Start")))
                + item.GetLeftOffset()
                + frame
                - item.GetStart()
            )  # type: ignore[union-attr]
            self.grade(Path(settings["TargetDir"]) / f"{settings['CustomName']}{frame:08d}.exr", item, source_frame)
            self._status[job] = {"JobStatus": "Complete", "CompletionPercentage": 100}
        self._polls = 2
        return True

    def IsRenderingInProgress(self) -> bool:
        self._polls = max(0, self._polls - 1)
        return self._polls > 0

    def GetRenderJobStatus(self, jobId: str) -> dict[str, Any]:
        return dict(self._status.get(jobId, {"JobStatus": "Ready", "CompletionPercentage": 0}))


class ProjectManager:
    def __init__(self, project: Project | None) -> None:
        self._project = project

    def GetCurrentProject(self) -> Project | None:
        return self._project


class Resolve:
    def __init__(self, project: Project | None, fusion: Any = None) -> None:
        self._manager, self._fusion = ProjectManager(project), fusion

    def GetProjectManager(self) -> ProjectManager:
        return self._manager

    def Fusion(self) -> Any:
        return self._fusion

    def GetProductName(self) -> str:
        return "DaVinci Resolve Studio"

    def GetVersionString(self) -> str:
        return "19.1.3.7"


# -- Fusion's UIManager (Resolve Studio only) ----------------------------------------------------------
class Element:
    """A UIManager widget: its properties are attributes (ID, Text, Value, Checked, CurrentText...)."""

    def __init__(
        self, kind: str, properties: dict[str, Any] | None = None, children: list[Element] | None = None
    ) -> None:
        self.kind, self.children = kind, list(children or [])
        for name, value in (properties or {}).items():
            setattr(self, name, value)
        if kind == "ComboBox":
            self.items: list[str] = []
            self.CurrentIndex = -1

    def AddItems(self, items: list[str]) -> None:
        self.items.extend(items)
        if self.CurrentIndex < 0 and self.items:
            self.CurrentIndex = 0

    @property
    def CurrentText(self) -> str:
        return self.items[self.CurrentIndex] if 0 <= self.CurrentIndex < len(self.items) else ""

    def walk(self) -> list[Element]:
        return [self] + [e for child in self.children for e in child.walk()]


class UIManager:
    def __getattr__(self, kind: str) -> Callable[..., Element]:
        if kind not in {
            "VGroup",
            "HGroup",
            "Label",
            "Button",
            "CheckBox",
            "ComboBox",
            "SpinBox",
            "DoubleSpinBox",
            "LineEdit",
            "TextEdit",
            "HGap",
            "VGap",
            "Slider",
        }:
            raise AttributeError(kind)

        def make(*args: Any) -> Element:
            properties = next((a for a in args if isinstance(a, dict)), {})
            children = next((a for a in args if isinstance(a, list)), [])
            return Element(kind, properties, children)

        return make


class _Events:
    def __init__(self) -> None:
        object.__setattr__(self, "handlers", {})

    def __getattr__(self, element_id: str) -> Any:
        handlers = self.handlers

        class _Slot:
            def __setattr__(self, event: str, handler: Callable[[Any], None]) -> None:
                handlers[(element_id, event)] = handler

        return _Slot()


class Window:
    def __init__(self, properties: dict[str, Any], layout: Element) -> None:
        self.properties, self.layout, self.On, self.shown = properties, layout, _Events(), False

    def GetItems(self) -> dict[str, Element]:
        return {e.ID: e for e in self.layout.walk() if hasattr(e, "ID")}

    def Show(self) -> None:
        self.shown = True

    def Hide(self) -> None:
        self.shown = False

    def trigger(self, element_id: str, event: str) -> None:
        """Test helper: the artist clicks (or closes) something."""
        self.On.handlers[(element_id, event)]({"who": element_id, "what": event})


class UIDispatcher:
    """``bmd.UIDispatcher(ui)``. RunLoop plays the test's ``artist`` script against the window."""

    artist: Callable[[Window], None] = staticmethod(lambda window: window.trigger("Run", "Clicked"))  # type: ignore[assignment]
    windows: list[Window] = []

    def __init__(self, ui: UIManager) -> None:
        if not isinstance(ui, UIManager):
            raise TypeError("UIDispatcher needs fusion.UIManager")
        self._running = False

    def AddWindow(self, properties: dict[str, Any], layout: Element) -> Window:
        window = Window(properties, layout)
        UIDispatcher.windows.append(window)
        return window

    def RunLoop(self) -> None:
        self._running = True
        window = UIDispatcher.windows[-1]
        while self._running:
            type(self).artist(window)
            if self._running:
                raise RuntimeError("the artist script left the dialog open")

    def ExitLoop(self) -> None:
        self._running = False


class Fusion:
    def __init__(self, studio: bool = True) -> None:
        self.UIManager = UIManager() if studio else None


class Bmd:
    """The ``bmd`` module Resolve puts in a script's globals (UIDispatcher, scriptapp)."""

    UIDispatcher = UIDispatcher

    def __init__(self, resolve: Resolve | None = None) -> None:
        self._resolve = resolve

    def scriptapp(self, name: str) -> Resolve | None:
        return self._resolve if name == "Resolve" else None
