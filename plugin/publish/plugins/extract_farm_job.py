"""Write the job for the chosen farm (Open Job Description bundle, Deadline 10, OpenCue)."""

from __future__ import annotations

import pyblish.api

from tinct.core.errors import ParameterError
from tinct.plugin.farm.plan import build_farm_job
from tinct.plugin.farm.targets import FarmSettings, write_farm_job
from tinct.plugin.publish.context import HOSTS, TARGET_FARM, request_of


class ExtractFarmJob(pyblish.api.ContextPlugin):
    """``context.data["tinct.farmJob"]``: the files written and the command that submits them."""

    label = "Write farm job"
    order = pyblish.api.ExtractorOrder
    hosts = HOSTS
    targets = [TARGET_FARM]

    def process(self, context: pyblish.api.Context) -> None:
        request = request_of(context)
        settings = request.farm
        if not isinstance(settings, FarmSettings):
            raise ParameterError(
                "No farm settings to write the job with",
                expected="--farm FARM --bundle DIR",
                found=repr(settings),
                repair="name the farm and a folder for the job files",
            )
        job = build_farm_job(request.job, chunk_size=settings.chunk_size, executable=request.executable)
        context.data["tinct.farmJob"] = write_farm_job(job, settings)
