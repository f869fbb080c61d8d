"""Submit a Tinct node to the render farm through the farm adapter.

The seam is one function of ``tinct.plugin.farm``, imported only when an artist submits::

    build_bundle(*, definition, inputs, output, frames, values, extra) -> pathlib.Path

``definition`` the NodeDefinition; ``inputs`` {input name: sequence pattern} (already rendered to
disk beside the output, so farm machines read files, not the comp); ``output`` the output pattern;
``frames`` e.g. ``"1001-1100"``; ``values`` the checked parameter values; ``extra`` further
command-line flags (colour spaces, OCIO config, output pixel type). It writes an Open Job
Description bundle and returns its folder.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

import nuke

from tinct.core.errors import TinctError
from tinct.nodes.definition import NodeDefinition, Value
from tinct.plugin.nuke.processing import prepare

FARM_MODULE = "tinct.plugin.farm"
BUILD_FUNCTION = "build_bundle"


class FarmUnavailable(TinctError):
    """This installation of Tinct has no farm adapter."""


class BundleBuilder(Protocol):
    def __call__(
        self, *, definition: NodeDefinition, inputs: Mapping[str, str], output: str, frames: str,
        values: Mapping[str, Value], extra: Sequence[str],
    ) -> Path: ...


def bundle_builder() -> BundleBuilder:
    """The farm adapter's bundle builder; FarmUnavailable with a clear repair when it is missing."""
    try:
        module = importlib.import_module(FARM_MODULE)
    except ModuleNotFoundError as missing:
        if missing.name != FARM_MODULE:
            raise  # the farm adapter is there but one of its own imports failed: keep the traceback
        raise FarmUnavailable(
            "Farm submission is not installed", expected=f"the Tinct farm adapter ({FARM_MODULE})",
            found="no farm adapter in this Tinct installation",
            repair="press Process to run the node on this machine, or ask pipeline support to install the farm adapter",
        ) from missing
    build: BundleBuilder | None = getattr(module, BUILD_FUNCTION, None)
    if build is None:
        raise FarmUnavailable(
            "The farm adapter cannot build jobs", expected=f"{FARM_MODULE}.{BUILD_FUNCTION}",
            found=f"{FARM_MODULE} without {BUILD_FUNCTION}", repair="update Tinct's farm adapter",
        )
    return build


def submit(group: nuke.Node) -> Path:
    """Render ``group``'s inputs where needed and build its farm job bundle; returns the bundle folder."""
    build = bundle_builder()  # before rendering anything: no point rendering inputs for a missing farm
    job = prepare(group)
    return Path(build(definition=job.definition, inputs=job.inputs, output=job.output, frames=job.frame_range,
                      values=job.values, extra=job.extra))
