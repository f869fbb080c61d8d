"""Restore: dust and dirt, line scratches, flicker and grain, and Clarity, on scene-linear sequences.

The front door; the modules behind it are one repair each (:mod:`.dust`, :mod:`.scratches`,
:mod:`.deflicker`, :mod:`.denoise`, :mod:`.cuts`), the per-frame preparation (:mod:`.frames`),
the temporal window that joins them (:mod:`.pipeline`), resolution enhancement (:mod:`.clarity`)
and the streaming job (:mod:`.job`).
"""

from tinct.core.restore.clarity import Upscaler
from tinct.core.restore.job import DEFECT_CHANNEL, RestoreJob, RestoreRequest, plan_runs
from tinct.core.restore.pipeline import Restored, Restorer, RestoreSettings

__all__ = [
    "DEFECT_CHANNEL",
    "RestoreJob",
    "RestoreRequest",
    "RestoreSettings",
    "Restored",
    "Restorer",
    "Upscaler",
    "plan_runs",
]
