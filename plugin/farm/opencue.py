"""OpenCue: an outline (pyoutline) with one layer per step, serialised offline to Cuebot's job XML.

Each step is a ``Shell`` layer whose frames are the first frames of its chunks (chunk 1), run as
``python -m tinct.plugin.farm.task PLAN STEP #IFRAME#`` (the chunk's real frames and arguments come
from the plan, which must lie on storage the render hosts see). A later step depends on the whole
of the step before it (``LAYER_ON_LAYER``). RQD runs a layer's command through a POSIX shell, so the
command is given to pyoutline as one string quoted with :func:`shlex.join` (pyoutline would join a
list with bare spaces); ``#IFRAME#`` is OpenCue's own token.

Launching needs a Cuebot: ``opencue.api.launchSpec(xml)`` or ``cuerun`` on the written outline.
"""

from __future__ import annotations

import re
import shlex
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import outline
import outline.cuerun
from outline.backend import cue
from outline.modules.shell import Shell

from tinct.core.errors import ParameterError
from tinct.plugin.farm.plan import FarmJob, write_plan, write_text_atomic

RUNNER_MODULE = "tinct.plugin.farm.task"
XML_FILE = "opencue_job.xml"
_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class FarmOptions:
    show: str = "tinct"
    shot: str = ""
    user: str = "tinct"
    priority: int = 1
    max_retries: int = 3


def build_outline(job: FarmJob, plan: Path, options: FarmOptions = FarmOptions()) -> outline.Outline:
    program, *leading = job.executable
    if leading[:1] != ["-m"]:
        raise ParameterError(
            "OpenCue tasks need the Python that has Tinct installed",
            expected="--tinct-python PATH (a python executable)",
            found=" ".join(job.executable),
            repair="pass the render hosts' Python, e.g. --tinct-python /opt/tinct/venv/bin/python",
        )
    shot = _name(options.shot or job.name)
    cue_outline = outline.Outline(_name(job.name), shot=shot, show=_name(options.show), user=_name(options.user))
    layers: dict[str, Shell] = {}
    for step in job.steps:
        command = shlex.join([program, "-m", RUNNER_MODULE, str(plan), step.name]) + " #IFRAME#"
        layer = Shell(step.name, command=command, range=",".join(str(c.first) for c in step.chunks), chunk=1)
        for upstream in step.depends_on:
            layer.depend_all(layers[upstream])
        cue_outline.add_layer(layer)
        layers[step.name] = layer
    return cue_outline


def job_xml(cue_outline: outline.Outline, options: FarmOptions = FarmOptions()) -> str:
    """Cuebot's job specification for the outline, made offline (no Cuebot needed)."""
    launcher = outline.cuerun.OutlineLauncher(cue_outline, user=_name(options.user))
    launcher.set_flag("priority", options.priority)
    launcher.set_flag("maxretries", options.max_retries)
    return cue.serialize_simple(launcher)


def write_job(job: FarmJob, directory: Path, options: FarmOptions = FarmOptions()) -> Path:
    """Write the plan and ``opencue_job.xml`` into ``directory``; returns the XML's path."""
    plan = write_plan(job, directory).resolve()
    text = job_xml(build_outline(job, plan, options), options)
    ElementTree.fromstring(text)  # what Cuebot would parse: refuse to write a broken specification
    path = directory / XML_FILE
    write_text_atomic(path, text)
    return path


def _name(text: str) -> str:
    """OpenCue names allow letters, digits, '_', '.', '-'."""
    return _NAME.sub("_", text).strip("_") or "tinct"
