"""The output folder can be written and its disk has room for the frames."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pyblish.api

from tinct.core.sequence import parse_sequence
from tinct.plugin.publish.context import FAMILY, HOSTS, ValidationError

BYTES_PER_CHANNEL = {"half": 2, "float": 4}
HEADROOM = 1.1  # estimates are uncompressed; 10% more covers headers and temporary files


def free_bytes(folder: Path) -> int:
    return shutil.disk_usage(folder).free


class ValidateOutputWritable(pyblish.api.InstancePlugin):
    """The nearest existing folder of the output must be a folder Tinct may write in (tested with
    a probe file when the output folder exists), with free space for the frames uncompressed:
    width x height x channels (RGB, the source's extra channels, the node's AOVs) x 2 or 4 bytes."""

    label = "Output folder writable, with free space"
    order = pyblish.api.ValidatorOrder
    hosts = HOSTS
    families = [FAMILY]

    def process(self, instance: pyblish.api.Instance) -> None:
        step = instance.data["step"]
        folder = parse_sequence(step.output).directory.resolve()
        existing = next(p for p in (folder, *folder.parents) if p.exists())
        if not existing.is_dir():
            raise ValidationError(
                "The output folder cannot be created",
                expected="a folder path",
                found=f"{existing} is a file",
                repair="choose an output folder whose parents are folders",
                file=folder,
            )
        _probe(existing, folder)
        image = instance.data["image"]
        if image is None:
            return  # no readable source: the frame-range check reports it
        width, height, extras = image
        channels = len(step.definition.outputs) + extras
        pixel_type = step.option("pixel_type") or "half"
        needed = int(
            len(instance.data["frames"]) * width * height * channels * BYTES_PER_CHANNEL[pixel_type] * HEADROOM
        )
        free = free_bytes(existing)
        if free < needed:
            raise ValidationError(
                "Not enough free space for the output",
                expected=f"{_size(needed)} free for {len(instance.data['frames'])} "
                f"frames of {width}x{height}, {channels} {pixel_type} channels (uncompressed)",
                found=f"{_size(free)} free on {existing}",
                repair="free space, choose another disk, or render fewer frames",
                file=folder,
            )


def _probe(existing: Path, folder: Path) -> None:
    try:
        if existing == folder:
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".tinct-probe-"):
                pass
        elif not os.access(existing, os.W_OK | os.X_OK):
            raise PermissionError(f"no write permission on {existing}")
    except OSError as exc:
        raise ValidationError(
            "The output folder is not writable",
            expected="a folder Tinct may write in",
            found=str(exc),
            repair="fix the folder's permissions or choose another output",
            file=folder,
        ) from exc


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"
