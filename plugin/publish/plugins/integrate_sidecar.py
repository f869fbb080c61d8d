"""A JSON sidecar with provenance next to each step's output: what made these frames, from what."""

from __future__ import annotations

import getpass
import json
import platform
from datetime import datetime, timezone
from pathlib import Path

import pyblish.api

from tinct.core.imageio import read_attribute
from tinct.core.provenance import PARAMS_HASH_ATTRIBUTE
from tinct.core.sequence import format_frame_ranges, parse_sequence
from tinct.core.version import __version__
from tinct.plugin.farm.plan import write_text_atomic
from tinct.plugin.publish.context import FAMILY, HOSTS, TARGET_FARM, TARGET_LOCAL, request_of

SIDECAR_FORMAT = "tinct-provenance"
SIDECAR_VERSION = 1


def sidecar_path(output: str) -> Path:
    """``out/sh010.####.exr`` -> ``out/sh010.tinct.json``."""
    sequence = parse_sequence(output)
    stem = sequence.prefix.rstrip("._-") if not sequence.is_single_file else Path(sequence.prefix).stem
    return sequence.directory / f"{stem or 'tinct'}.tinct.json"


class IntegrateSidecar(pyblish.api.InstancePlugin):
    label = "Write provenance sidecar"
    order = pyblish.api.IntegratorOrder
    hosts = HOSTS
    families = [FAMILY]
    targets = [TARGET_LOCAL, TARGET_FARM]

    def process(self, instance: pyblish.api.Instance) -> None:
        context = instance.context
        request = request_of(context)
        step = instance.data["step"]
        definition = step.definition
        output = parse_sequence(step.output)
        document = {
            "format": SIDECAR_FORMAT,
            "version": SIDECAR_VERSION,
            "tinct": __version__,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "user": getpass.getuser(),
            "machine": platform.node(),
            "host": request.host,
            "job": request.job.name,
            "node": {"name": definition.name, "version": definition.version, "parameters": instance.data["values"]},
            "options": {o.dest: o.value for o in step.options},
            "inputs": {name: _input(instance, name, pattern) for name, pattern in step.inputs.items()},
            "output": {"pattern": output.display(), "frames": format_frame_ranges(instance.data["frames"])},
            "checks": sorted(
                {
                    r["plugin"].label
                    for r in context.data.get("results", [])
                    if r["success"]
                    and r["plugin"].order < pyblish.api.ExtractorOrder - 0.5
                    and r["plugin"].order >= pyblish.api.ValidatorOrder - 0.5
                }
            ),
        }
        if request.target == TARGET_LOCAL:
            hashes = {read_attribute(output.path(f), PARAMS_HASH_ATTRIBUTE, frame=f) for f in instance.data["rendered"]}
            document["render"] = {"where": "local", "paramsHash": sorted(str(h) for h in hashes if h)}
        else:
            written = context.data["tinct.farmJob"]
            document["render"] = {
                "where": written.farm,
                "jobFolder": str(written.directory),
                "submitCommand": list(written.submit_command),
                "status": "job written, not yet rendered",
            }
        path = sidecar_path(step.output)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, json.dumps(document, indent=2, default=str) + "\n")
        instance.data["sidecar"] = str(path)


def _input(instance: pyblish.api.Instance, name: str, pattern: str) -> dict[str, str]:
    step = instance.data["step"]
    if name in step.pending:
        return {"pattern": pattern, "from": f"step {step.pending[name] + 1}"}
    frames = format_frame_ranges(instance.data["sequences"][name].headers)
    return {"pattern": pattern, "from": "disk", "frames": frames, **_colour(instance, name)}


def _colour(instance: pyblish.api.Instance, name: str) -> dict[str, str]:
    step = instance.data["step"]
    explicit = step.option(next(spec.colorspace for spec in step.definition.inputs if spec.name == name))
    if explicit:
        return {"colorspace": explicit, "colorspaceFrom": "option"}
    info = instance.data["sequences"].get(name)
    tags = {h.colorspace for h in info.headers.values() if h.colorspace} if info else set()
    return {"colorspace": tags.pop(), "colorspaceFrom": "file metadata"} if len(tags) == 1 else {}
