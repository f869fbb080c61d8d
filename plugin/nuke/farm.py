"""Submit a Tinct node to the render farm: its inputs rendered beside the output, then an Open Job
Description bundle written by Tinct's farm adapter (tinct.plugin.farm) from the node's request.

Where ``$TINCT_PYTHON`` names the Tinct environment, the bundle is written there
(``tinct submit --request REQUEST.json``): Nuke's own Python rarely has the farm libraries, and its
tasks must run the Tinct environment's python. Otherwise it is written in this Python.
"""

from __future__ import annotations

from pathlib import Path

import nuke

from tinct.core.sequence import parse_sequence
from tinct.plugin.host.runner import engine_python, run_tinct
from tinct.plugin.nuke.processing import prepare

BUNDLE_FOLDER = "farm"  # beside the node's output frames


def submit(group: nuke.Node) -> Path:
    """Render ``group``'s inputs where needed and write its farm job bundle; returns the bundle folder."""
    job = prepare(group)
    bundle = parse_sequence(job.output).directory / BUNDLE_FOLDER
    python = engine_python()
    if python:
        run_tinct(python, ["submit", "--farm", "openjd", "--bundle", str(bundle), "--request"], job.request)
    else:
        from tinct.plugin.farm.job import JobRequest  # the farm libraries load only when a job is written
        from tinct.plugin.farm.plan import build_farm_job
        from tinct.plugin.farm.targets import FarmSettings, write_farm_job

        write_farm_job(build_farm_job(JobRequest.from_request(job.request)), FarmSettings("openjd", bundle))
    return bundle
