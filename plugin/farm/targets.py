"""The farms Tinct writes jobs for, behind one call: plan -> files on disk + the command that submits them."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from tinct.core.errors import ParameterError
from tinct.plugin.farm import deadline10, openjd
from tinct.plugin.farm.plan import FARMS, FarmJob


@dataclass(frozen=True)
class FarmSettings:
    farm: str
    bundle: Path
    chunk_size: int | None = None  # None: each node's default (plan.default_chunk_size)
    priority: int = 50
    pool: str = ""
    group: str = ""
    show: str = "tinct"
    shot: str = ""


@dataclass(frozen=True)
class WrittenJob:
    farm: str
    directory: Path
    files: tuple[Path, ...]
    submit_command: tuple[str, ...]  # what submits the job to a real farm (needs that farm)


def write_farm_job(job: FarmJob, settings: FarmSettings) -> WrittenJob:
    directory = settings.bundle.resolve()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ParameterError(
            "Cannot make the folder for the job files",
            expected="--bundle naming a folder, new or existing",
            found=f"{exc.strerror}: {exc.filename}",
            repair="name a folder with --bundle (e.g. farm/sh010), not a file or a path through one",
            file=settings.bundle,
        ) from exc
    if settings.farm == "openjd":
        bundle = openjd.write_bundle(job, directory)
        return WrittenJob(
            "openjd",
            directory,
            (bundle.template, bundle.values, bundle.run_values, bundle.assets, bundle.plan),
            tuple(openjd.submit_command(directory)),
        )
    if settings.farm == "deadline10":
        options = deadline10.FarmOptions(priority=settings.priority, pool=settings.pool, group=settings.group)
        written = deadline10.write_job_files(job, directory, options)
        job_files = tuple(p for entry in written for p in (entry.job_info, entry.plugin_info))
        return WrittenJob(
            "deadline10",
            directory,
            job_files + (directory / "tinct_job.json",),
            tuple(deadline10.submit_command(written)),
        )
    if settings.farm == "opencue":
        from tinct.plugin.farm import opencue  # pyoutline (and its gRPC stack) is needed only for OpenCue

        cue_options = opencue.FarmOptions(show=settings.show, shot=settings.shot, priority=settings.priority)
        xml = opencue.write_job(job, directory, cue_options)
        return WrittenJob(
            "opencue",
            directory,
            (xml, directory / "tinct_job.json"),
            (sys.executable, "-c", "import sys, opencue; opencue.api.launchSpec(open(sys.argv[1]).read())", str(xml)),
        )
    raise ParameterError(
        "Unknown farm", expected=", ".join(FARMS), found=settings.farm, repair="pass --farm " + "|".join(FARMS)
    )
