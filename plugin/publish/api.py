"""Run the Tinct publish pipeline (collect -> validate -> extract -> integrate) and read its results.

The plugins live one per file in ``plugins/`` and are imported as normal modules here (a broken
plugin fails loudly instead of being skipped, as pyblish's path discovery would). Stages run in
order; any failure stops the stages after it, so nothing renders or is submitted after a failed
check. Failures are :class:`~tinct.core.errors.TinctError` objects; any other exception raised by
a plugin is a bug and is raised again with its traceback.

Hosts with a pyblish UI call :func:`register` to expose the same plugins there; their own
collector must put a :class:`~tinct.plugin.publish.context.PublishRequest` into
``context.data["tinct.request"]`` before ``collect_job`` runs (order below 0).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyblish.api
import pyblish.lib
import pyblish.logic
import pyblish.plugin

from tinct.core.errors import TinctError
from tinct.plugin.farm.job import JobRequest
from tinct.plugin.publish.context import REQUEST, TARGET_FARM, TARGET_LOCAL, PublishRequest, failed_instances

PLUGIN_DIR = Path(__file__).resolve().parent / "plugins"
STAGES = (
    ("collect", pyblish.api.CollectorOrder),
    ("validate", pyblish.api.ValidatorOrder),
    ("extract", pyblish.api.ExtractorOrder),
    ("integrate", pyblish.api.IntegratorOrder),
)
EXIT_OK, EXIT_INVALID, EXIT_FAILED = 0, 1, 2


@dataclass(frozen=True)
class Failure:
    stage: str
    check: str  # the plugin's label
    instance: str | None
    error: TinctError
    repairable: bool


@dataclass
class PublishReport:
    context: pyblish.api.Context
    failures: list[Failure]
    stopped_at: str | None  # the stage that failed, None when every stage passed

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def exit_code(self) -> int:
        """0 published; 1 a collection or validation check failed (nothing was rendered or
        submitted); 2 rendering, submitting or writing the sidecar failed."""
        if self.ok:
            return EXIT_OK
        return EXIT_INVALID if self.stopped_at in ("collect", "validate") else EXIT_FAILED

    @property
    def request(self) -> PublishRequest:
        return self.context.data[REQUEST]

    def format(self) -> str:
        if self.ok:
            return "all checks passed"
        lines = [f"{len(self.failures)} check(s) failed during {self.stopped_at}; nothing after it ran:"]
        for f in self.failures:
            where = f" [{f.instance}]" if f.instance else ""
            body = str(f.error).replace("\n", "\n    ")
            lines.append(f"  - {f.check}{where}: {body}")
            if f.repairable:
                lines.append("    (tinct publish --repair applies the automatic repair)")
        return "\n".join(lines)


def plugins(host: str = "python") -> list[type]:
    """The Tinct plugins for ``host``, sorted by order."""
    found = []
    for path in sorted(PLUGIN_DIR.glob("*.py")):
        if path.name.startswith("_"):
            continue
        module = importlib.import_module(f"tinct.plugin.publish.plugins.{path.stem}")
        found += pyblish.plugin.plugins_from_module(module)
    return pyblish.plugin.sort(pyblish.logic.plugins_by_host(found, host))


def publish(request: PublishRequest) -> PublishReport:
    context = pyblish.api.Context()
    context.data[REQUEST] = request
    targets = ["default"] + (
        [TARGET_LOCAL] if request.target == TARGET_LOCAL else [TARGET_FARM] if request.target == TARGET_FARM else []
    )
    available = pyblish.logic.plugins_by_targets(plugins(request.host), targets)
    with _quiet_pyblish():
        for stage, order in STAGES:
            stage_plugins = [p for p in available if pyblish.lib.inrange(p.order, order)]
            failures = []
            for plugin, instance in pyblish.logic.Iterator(stage_plugins, context, targets=targets):
                result = pyblish.plugin.process(plugin, context, instance)
                error = result["error"]
                if error is None:
                    continue
                if not isinstance(error, TinctError):
                    raise error
                failures.append(
                    Failure(
                        stage,
                        plugin.label or plugin.__name__,
                        instance.name if instance is not None else None,
                        error,
                        any(a.on == "failed" for a in plugin.actions),
                    )
                )
            if failures:
                return PublishReport(context, failures, stage)
    return PublishReport(context, [], None)


def repair(report: PublishReport) -> JobRequest:
    """Apply the repair action of every failed check that has one; returns the repaired job."""
    context = report.context
    failed = {r["plugin"] for r in context.data.get("results", []) if r["error"] is not None}
    for plugin in sorted(failed, key=lambda p: p.order):
        for action in plugin.actions:
            if action.on == "failed" and failed_instances(context, plugin):
                pyblish.plugin.process(plugin, context, None, action.id)
    return context.data[REQUEST].job


def register(host: str) -> None:
    """Make the plugins available to pyblish UIs in ``host`` ("nuke", "resolve", "python")."""
    pyblish.api.register_host(host)
    pyblish.api.register_plugin_path(str(PLUGIN_DIR))


@contextmanager
def _quiet_pyblish() -> Iterator[None]:
    """pyblish logs every failure with a traceback; Tinct reports failures itself."""
    logger = logging.getLogger("pyblish")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)
