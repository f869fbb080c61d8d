"""Frame sequences on disk: patterns, frame ranges and discovery.

A pattern names one file per frame with a single frame token in the file name:

* ``sh010.####.exr`` (Nuke): each ``#`` is one digit of padding,
* ``sh010.@@@@.exr``: each ``@`` is one digit of padding,
* ``sh010.%04d.exr`` / ``sh010.%d.exr`` (printf),
* ``sh010.$F4.exr`` / ``sh010.$F.exr`` (Houdini).

A path without a token is a single file used for every frame; it stands for the frame number before
its extension (``shot.1005.exr`` is frame 1005, as Nuke reads it), else frame 1. Padding is a
minimum, as in Nuke and printf: ``####`` writes frame 12345 as ``12345`` and frame -1 as ``-001``.
Folders are taken literally; only the file name is searched for a token.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from tinct.core.errors import SequenceError

# The frame a single (token-free) file without a frame number stands for, as Nuke gives a still the range 1-1.
SINGLE_FILE_FRAME = 1
# A single file's own frame number: digits between dots before the extension (shot.1005.exr, shot.-001.exr).
_FILE_FRAME = re.compile(r".*\.(-?\d+)\.[^.]+")

_TOKEN = re.compile(r"(?P<hash>#+)|(?P<at>@+)|%(?:0(?P<printf>[1-9]\d*))?d|\$F(?P<houdini>[1-9]\d*)?")
_PATTERN_EXAMPLES = "sh010.####.exr, sh010.%04d.exr, sh010.$F4.exr, sh010.@@@@.exr or a single file"

_RANGE_ITEM = re.compile(r"\s*(-?\d+)\s*(?:-\s*(-?\d+)\s*(?:[xX]\s*(\d+)\s*)?)?")
_RANGE_EXAMPLES = "'1001-1100', '1001-1100x2', '1001', '1001-1010,1020,1030-1040x5', '-5--1'"

# Messages list at most this many ranges of frames; a shot can miss thousands of scattered frames.
_MESSAGE_RANGES = 12
_MESSAGE_NAMES = 5


@dataclass(frozen=True)
class Sequence:
    """A parsed frame pattern: ``directory / (prefix + frame digits + suffix)``."""

    pattern: str
    directory: Path
    prefix: str
    suffix: str
    padding: int | None
    # The frame a single file stands for (see the module docstring); unused by patterns.
    single_frame: int = SINGLE_FILE_FRAME

    @property
    def is_single_file(self) -> bool:
        return self.padding is None

    def path(self, frame: int) -> Path:
        """The file of ``frame``; a single file is the same path for every frame."""
        return self.directory / f"{self.prefix}{self._digits(frame)}{self.suffix}"

    def existing_frames(self) -> list[int]:
        """Sorted frames whose files exist; [] when the folder does not exist.

        Only names this pattern would write are accepted (``####`` finds ``1001``, ``12345`` and
        ``-001``, not ``01001``), so that ``path(frame)`` is always the file that was found.
        """
        if self.padding is None:
            return [self.single_frame] if self.path(self.single_frame).is_file() else []
        name = re.compile(re.escape(self.prefix) + r"(-?\d+)" + re.escape(self.suffix))
        frames = []
        try:
            with os.scandir(self.directory) as entries:
                for entry in entries:
                    match = name.fullmatch(entry.name)
                    if match is None:
                        continue
                    frame = int(match[1])
                    if self._digits(frame) == match[1] and entry.is_file():
                        frames.append(frame)
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            raise SequenceError(
                "Cannot list the folder of a sequence",
                expected=f"a readable folder holding {self.display()}",
                found=str(exc),
                repair="check the folder's permissions and that its file system is mounted",
                file=self.directory,
            ) from exc
        return sorted(frames)

    def display(self) -> str:
        """The pattern in canonical ``####`` form, e.g. ``/shots/sh010.####.exr``."""
        if self.padding is None:
            return str(self.path(self.single_frame))
        return str(self.directory / f"{self.prefix}{'#' * self.padding}{self.suffix}")

    def _digits(self, frame: int) -> str:
        # Python's zero padding counts the sign like printf does: -1 at padding 4 is '-001'.
        return "" if self.padding is None else f"{frame:0{self.padding}d}"


def parse_sequence(text: str | Path) -> Sequence:
    """Parse a frame pattern or a single file path (see the module docstring for the syntaxes)."""
    pattern = os.fspath(text)
    path = Path(pattern)
    if not pattern.strip() or not path.name or pattern.endswith(("/", os.sep)):
        raise SequenceError(
            "Not a file pattern",
            expected=f"a file name such as {_PATTERN_EXAMPLES}",
            found=repr(pattern),
            repair="name the files, not only their folder",
        )
    name = path.name
    tokens = list(_TOKEN.finditer(name))
    if not tokens:
        numbered = _FILE_FRAME.fullmatch(name)
        return Sequence(pattern, path.parent, name, "", None, int(numbered[1]) if numbered else SINGLE_FILE_FRAME)
    if len(tokens) > 1:
        raise SequenceError(
            "More than one frame token in a file name",
            expected=f"one frame token, as in {_PATTERN_EXAMPLES}",
            found=f"{', '.join(repr(t[0]) for t in tokens)} in {name!r}",
            repair="keep one token for the frame number and write the other part literally",
            file=pattern,
        )
    token = tokens[0]
    if token["hash"] or token["at"]:
        padding = len(token[0])
    else:
        padding = int(token["printf"] or token["houdini"] or 1)
    return Sequence(pattern, path.parent, name[: token.start()], name[token.end() :], padding)


def parse_frame_range(text: str) -> list[int]:
    """Parse ``'1001-1100'``, ``'1001-1100x2'``, ``'1001'``, comma lists and negative frames
    (``'-5--1'``) into sorted unique frames."""
    frames: set[int] = set()
    for item in text.split(","):
        match = _RANGE_ITEM.fullmatch(item)
        if match is None:
            raise _range_error(text, item, "is not a frame, a range or a stepped range")
        first = int(match[1])
        last = first if match[2] is None else int(match[2])
        step = 1 if match[3] is None else int(match[3])
        if last < first:
            raise _range_error(text, item, "ends before it starts")
        if step < 1:
            raise _range_error(text, item, "has a step below 1")
        frames.update(range(first, last + 1, step))
    return sorted(frames)


def format_frame_ranges(frames: Iterable[int]) -> str:
    """Compact text of frames, e.g. ``'1001-1010, 1012, 1020-1030x2'``; parse_frame_range reads it back.

    Consecutive frames form a range from two frames on; a step is shown only for runs of three or more.
    """
    return ", ".join(_runs(frames))


def find_gaps(frames: Iterable[int]) -> list[tuple[int, int]]:
    """Inclusive ``(first_missing, last_missing)`` runs between the lowest and highest frame."""
    ordered = sorted(set(frames))
    return [(a + 1, b - 1) for a, b in pairwise(ordered) if b - a > 1]


def resolve_frames(seq: Sequence, requested: list[int] | None, *, role: str = "source") -> list[int]:
    """The sorted frames a job reads from ``seq``.

    ``requested`` None means every frame on disk (gaps allowed: see :func:`find_gaps`); otherwise every
    requested frame must exist. ``role`` names the sequence in messages ("source", "keyframes").
    """
    existing = seq.existing_frames()
    if not existing and (requested is None or seq.is_single_file):
        raise SequenceError(
            f"File not found ({role})" if seq.is_single_file else f"No frames found ({role})",
            expected=f"{'the file' if seq.is_single_file else 'files matching'} {seq.display()}",
            found=_folder_hint(seq),
            repair=(
                "check the folder and the pattern: each # or @ is one digit of padding "
                "(#### or %04d for 1001), and the name must match the files exactly"
            ),
            file=seq.display(),
        )
    if requested is None:
        return existing
    wanted = sorted(set(requested))
    missing = [] if seq.is_single_file else sorted(set(wanted).difference(existing))
    if not missing:
        return wanted
    raise SequenceError(
        f"Missing frames ({role})",
        expected=f"frames {_abbreviated(wanted)} of {seq.display()}",
        found=f"{len(missing)} missing: {_abbreviated(missing)}; on disk: {_abbreviated(existing) or 'none'}",
        repair="render the missing frames, or pass --frames with frames that exist",
        file=seq.display(),
    )


def _runs(frames: Iterable[int]) -> list[str]:
    ordered = sorted(set(frames))
    runs = []
    i = 0
    while i < len(ordered):
        step = ordered[i + 1] - ordered[i] if i + 1 < len(ordered) else 1
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] - ordered[j] == step:
            j += 1
        if step > 1 and j - i < 2:
            j = i
        first, last = ordered[i], ordered[j]
        if j == i:
            runs.append(str(first))
        elif step == 1:
            runs.append(f"{first}-{last}")
        else:
            runs.append(f"{first}-{last}x{step}")
        i = j + 1
    return runs


def _abbreviated(frames: Iterable[int]) -> str:
    runs = _runs(frames)
    if len(runs) <= _MESSAGE_RANGES:
        return ", ".join(runs)
    return ", ".join(runs[:_MESSAGE_RANGES]) + f", ... ({len(runs) - _MESSAGE_RANGES} more ranges)"


def _range_error(text: str, item: str, problem: str) -> SequenceError:
    return SequenceError(
        "Cannot read a frame range",
        expected=f"frames such as {_RANGE_EXAMPLES} (first-last, xN for a step, commas between)",
        found=f"{item.strip()!r} in {text!r} {problem}",
        repair="write the frames in one of the forms shown",
    )


def _folder_hint(seq: Sequence) -> str:
    """What the sequence's folder holds, nearest names first: the clue to a wrong pattern."""
    try:
        with os.scandir(seq.directory) as entries:
            names = [entry.name for entry in entries if not entry.name.startswith(".")]
    except (FileNotFoundError, NotADirectoryError):
        return f"the folder {seq.directory} does not exist"
    except OSError as exc:
        return f"the folder {seq.directory} cannot be listed ({exc})"
    if not names:
        return f"the folder {seq.directory} is empty"
    nearest = difflib.get_close_matches(Path(seq.display()).name, names, n=_MESSAGE_NAMES, cutoff=0.0)
    count = f"{len(names)} entr{'y' if len(names) == 1 else 'ies'}"
    return f"the folder {seq.directory} holds {count}, nearest: {', '.join(nearest)}"
