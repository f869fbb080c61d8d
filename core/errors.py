"""The one error root of Tinct.

Every user error is a :class:`TinctError` carrying a title, what was expected and what was found,
how to repair it, and where possible the file and frame at fault. Hosts catch only this root; any
other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(eq=False)
class TinctError(Exception):
    title: str
    expected: str = ""
    found: str = ""
    repair: str = ""
    file: str | Path | None = None
    frame: int | None = None

    def __post_init__(self) -> None:
        super().__init__(self.title)

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.frame is not None:
            where.append(f"frame {self.frame}")
        lines = [self.title + (f" ({', '.join(where)})" if where else "")]
        if self.expected:
            lines.append(f"  expected: {self.expected}")
        if self.found:
            lines.append(f"  found:    {self.found}")
        if self.repair:
            lines.append(f"  repair:   {self.repair}")
        return "\n".join(lines)


class SequenceError(TinctError):
    """A frame pattern, range or the frames on disk are not what the job needs."""


class ImageFileError(TinctError):
    """A file cannot be read or written, or holds pixels Tinct refuses (NaN, Inf, truncation)."""


class ColourError(TinctError):
    """An OCIO config or colour space cannot be found or used."""


class ParameterError(TinctError):
    """A node parameter or command-line value is out of its type or range."""


class CancelledError(TinctError):
    """The user stopped the job; every frame written so far is complete."""


def error_to_dict(error: TinctError) -> dict[str, object]:
    """A TinctError as plain data, to cross a process boundary (a subprocess, a farm task)."""
    return {
        "type": type(error).__name__,
        "title": error.title,
        "expected": error.expected,
        "found": error.found,
        "repair": error.repair,
        "file": None if error.file is None else str(error.file),
        "frame": error.frame,
    }


def error_from_dict(data: dict[str, object]) -> TinctError:
    """The TinctError that :func:`error_to_dict` wrote (an unknown type comes back as TinctError)."""
    kinds = {kind.__name__: kind for kind in (TinctError, *_subclasses(TinctError))}
    kind = kinds.get(str(data.get("type")), TinctError)
    frame = data.get("frame")
    return kind(
        str(data.get("title", "")),
        expected=str(data.get("expected") or ""),
        found=str(data.get("found") or ""),
        repair=str(data.get("repair") or ""),
        file=None if data.get("file") is None else str(data["file"]),
        frame=frame if isinstance(frame, int) else None,
    )


def _subclasses(kind: type[TinctError]) -> list[type[TinctError]]:
    found = []
    for sub in kind.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found
