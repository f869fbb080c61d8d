"""Open Job Description job bundles: run locally by ``openjd run``, accepted by AWS Deadline Cloud.

A bundle is a folder holding ``template.yaml`` (what Tinct runs), ``parameter_values.yaml``
(this shot's values, Deadline Cloud's format), ``run_parameters.yaml`` (the same values as the flat
map ``openjd run template.yaml -p file://run_parameters.yaml`` takes), ``asset_references.yaml``
(the files the tasks read and the folders they write, for job attachments) and ``tinct_job.json``
(the plan).

Every value that comes from a user (paths, file names, parameter values, colour-space names)
travels as a job parameter value; the template's text is written by Tinct alone. That keeps
user text out of OpenJD format strings (``{{`` has no escape there) and out of any shell: each
task runs ``command`` + ``args``, one argument per list item, which OpenJD passes on quoted.

Steps follow the chain (a later step depends on the whole of the step before it, since temporal
nodes read across the frames of its output); a step's tasks are its chunks, given as a STRING
task parameter ``Frames`` holding each chunk's ``--frames`` value.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from openjd.model import DecodeValidationError, decode_job_template

from tinct.core.errors import ParameterError
from tinct.core.sequence import parse_sequence
from tinct.nodes.definition import DEVICES, NodeDefinition, Parameter
from tinct.nodes.output import OUTPUT
from tinct.plugin.farm.job import StepRequest
from tinct.plugin.farm.plan import FarmJob, FarmStep, write_plan, write_text_atomic

SPECIFICATION = "jobtemplate-2023-09"
TEMPLATE_FILE = "template.yaml"
VALUES_FILE = "parameter_values.yaml"
RUN_VALUES_FILE = "run_parameters.yaml"
ASSETS_FILE = "asset_references.yaml"
TASK_FRAMES = "Frames"
MAX_NAME = 64  # OpenJD identifier length limit


@dataclass(frozen=True)
class Bundle:
    directory: Path
    template: Path
    values: Path
    run_values: Path
    assets: Path
    plan: Path


@dataclass
class _Parameters:
    """Job parameter definitions and this job's values, collected while the steps are built."""

    definitions: list[dict]
    values: dict[str, object]

    def add(self, definition: dict, value: object | None) -> str:
        self.definitions.append(definition)
        if value is not None:
            self.values[definition["name"]] = value
        return "{{Param." + definition["name"] + "}}"


def job_template(job: FarmJob) -> tuple[dict, dict[str, object]]:
    """The OpenJD template of ``job`` and the values of its job parameters."""
    params = _Parameters([], {})
    program = params.add(
        {
            "name": "TinctExecutable",
            "type": "PATH",
            "objectType": "FILE",
            "dataFlow": "NONE",
            "description": "The program that runs Tinct on the workers (a Python with Tinct installed, or the tinct command).",
            "userInterface": {"control": "CHOOSE_INPUT_FILE", "label": "Tinct program", "groupLabel": "Tinct"},
        },
        job.executable[0],
    )
    job_name = params.add(
        {
            "name": "JobName",
            "type": "STRING",
            "minLength": 1,
            "maxLength": 128,
            "description": "The job's name on the farm.",
            "userInterface": {"control": "LINE_EDIT", "label": "Job name", "groupLabel": "Tinct"},
        },
        job.name,
    )
    outputs: dict[int, str] = {}
    steps = []
    for index, step in enumerate(job.steps):
        steps.append(_step(job, step, program, params, outputs))
        outputs[index] = _path_expression(step.name, "Output", step.request.output, "OUT", params)
    template = {
        "specificationVersion": SPECIFICATION,
        "name": job_name,
        "description": f"Tinct {' then '.join(s.request.definition.name for s in job.steps)}",
        "parameterDefinitions": params.definitions,
        "steps": steps,
    }
    return template, params.values


def _step(job: FarmJob, step: FarmStep, program: str, params: _Parameters, outputs: Mapping[int, str]) -> dict:
    request = step.request
    definition = request.definition
    inputs = {}
    for spec in definition.inputs:
        if spec.name in request.pending:
            inputs[spec.name] = outputs[request.pending[spec.name]]
        elif spec.name in request.inputs:
            inputs[spec.name] = _path_expression(step.name, _camel(spec.name), request.inputs[spec.name], "IN", params)
    output = _path_expression(step.name, "Output", request.output, "OUT", params, declare=False)
    extra: list[str] = []
    for parameter in definition.parameters:
        value = step.values[parameter.name]
        extra += [parameter.flag, params.add(_typed(step.name, definition, parameter), _value(parameter, value))]
    for option in request.options:
        extra.append(option.flag)
        if option.value is not None:
            extra.append(
                params.add(_option_definition(step.name, option.dest), _option_value(option.dest, option.value))
            )
    argv = definition.command_line(inputs, output, {}, frames="{{Task.Param." + TASK_FRAMES + "}}", extra=extra)
    return {
        "name": step.name,
        "description": f"{definition.name} v{definition.version}: {len(step.frames)} frames in {len(step.chunks)} tasks",
        **({"dependencies": [{"dependsOn": name} for name in step.depends_on]} if step.depends_on else {}),
        "parameterSpace": {
            "taskParameterDefinitions": [
                {"name": TASK_FRAMES, "type": "STRING", "range": [chunk.label for chunk in step.chunks]}
            ]
        },
        "script": {"actions": {"onRun": {"command": program, "args": [*job.executable[1:], *argv[1:]]}}},
    }


def _path_expression(step: str, role: str, pattern: str, flow: str, params: _Parameters, declare: bool = True) -> str:
    """A sequence pattern as two job parameters: its folder (a PATH, so farms map and sync it) and file name."""
    folder, name = _name(step, role + "Dir"), _name(step, role + "File")
    if not declare:
        return "{{Param." + folder + "}}/{{Param." + name + "}}"
    sequence = parse_sequence(pattern)
    label = f"{step} {role.lower()}"
    folder_ref = params.add(
        {
            "name": folder,
            "type": "PATH",
            "objectType": "DIRECTORY",
            "dataFlow": flow,
            "description": f"Folder of the {label} sequence.",
            "userInterface": {"control": "CHOOSE_DIRECTORY", "label": f"{label} folder", "groupLabel": step},
        },
        str(sequence.directory),
    )
    name_ref = params.add(
        {
            "name": name,
            "type": "STRING",
            "minLength": 1,
            "description": f"File name pattern of the {label} sequence (####, %04d).",
            "userInterface": {"control": "LINE_EDIT", "label": f"{label} file", "groupLabel": step},
        },
        Path(pattern).name,
    )
    return f"{folder_ref}/{name_ref}"


def _typed(step: str, definition: NodeDefinition, parameter: Parameter) -> dict:
    """A node parameter as a typed job parameter: its range and choices checked by the farm too."""
    entry: dict = {"name": _name(step, _camel(parameter.name)), "description": parameter.help[:2048]}
    ui: dict = {"label": parameter.title, "groupLabel": f"{step} ({definition.name} v{definition.version})"}
    if parameter.type is bool:
        entry.update(type="STRING", allowedValues=["true", "false"], default=str(parameter.default).lower())
        ui["control"] = "DROPDOWN_LIST"
    elif parameter.choices:
        kind = "INT" if parameter.type is int else "STRING"
        entry.update(type=kind, allowedValues=list(parameter.choices), default=parameter.default)
        ui["control"] = "DROPDOWN_LIST"
    elif parameter.type in (int, float):
        entry.update(type="INT" if parameter.type is int else "FLOAT", default=parameter.default)
        if parameter.minimum is not None:
            entry["minValue"] = parameter.type(parameter.minimum)
        if parameter.maximum is not None:
            entry["maxValue"] = parameter.type(parameter.maximum)
        ui["control"] = "SPIN_BOX"
    else:
        entry.update(type="STRING", default=parameter.default)
        ui["control"] = "LINE_EDIT"
    entry["userInterface"] = ui
    return entry


def _option_definition(step: str, dest: str) -> dict:
    output_parameter = next((p for p in OUTPUT.parameters if p.name == dest), None)
    if output_parameter is not None:
        return _typed(step, OUTPUT, output_parameter)
    label = dest.replace("_", " ").capitalize()
    if dest == "device":  # the farm checks it like the request does
        return {
            "name": _name(step, "Device"),
            "type": "STRING",
            "allowedValues": list(DEVICES),
            "description": f"Where the networks and per-pixel work of {step} run: auto uses a CUDA GPU when torch sees one.",
            "userInterface": {"control": "DROPDOWN_LIST", "label": label, "groupLabel": step},
        }
    return {
        "name": _name(step, _camel(dest)),
        "type": "STRING",
        "description": f"Value of --{dest.replace('_', '-')} for {step}.",
        "userInterface": {"control": "LINE_EDIT", "label": label, "groupLabel": step},
    }


def _option_value(dest: str, value: str) -> object:
    output_parameter = next((p for p in OUTPUT.parameters if p.name == dest), None)
    return _value(output_parameter, OUTPUT.resolve({dest: value})[dest]) if output_parameter else value


def _value(parameter: Parameter, value: object) -> object:
    return str(value).lower() if parameter.type is bool else value


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _name(step: str, suffix: str) -> str:
    name = f"{step}{suffix}"
    if len(name) > MAX_NAME or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ParameterError(
            "Cannot name a farm job parameter",
            expected=f"an identifier of at most {MAX_NAME} characters",
            found=name,
            repair="shorten the node or parameter name",
        )
    return name


# -- checking, writing and running bundles ----------------------------------------------------


def check_template(template: dict) -> None:
    """Validate a template with openjd-model (the library behind ``openjd check``)."""
    try:
        decode_job_template(template=template)
    except DecodeValidationError as exc:
        raise ParameterError(
            "The Open Job Description template is not valid",
            expected=SPECIFICATION,
            found=str(exc),
            repair="this is a Tinct bug: report it with the job's arguments",
        ) from exc


def asset_references(job: FarmJob) -> dict:
    """The exact files the tasks read (chunks' reads, handles included) and the folders they write."""
    files: set[str] = set()
    for step in job.steps:
        request = step.request
        for chunk in step.chunks:
            files.update(_files(request, request.source_name, chunk.reads))
            if request.definition.temporal.keyframes:
                files.update(_files(request, request.definition.temporal.keyframes, chunk.keyframes))
            for spec in request.definition.inputs[1:]:
                if spec.name != request.definition.temporal.keyframes:
                    files.update(_files(request, spec.name, chunk.reads))
    outputs = sorted({str(parse_sequence(step.request.output).directory) for step in job.steps})
    return {
        "assetReferences": {
            "inputs": {"filenames": sorted(files), "directories": []},
            "outputs": {"directories": outputs},
            "referencedPaths": [],
        }
    }


def _files(request: StepRequest, name: str, frames: tuple[int, ...]) -> list[str]:
    if name in request.pending or name not in request.inputs:
        return []
    sequence = parse_sequence(request.inputs[name])
    if sequence.is_single_file:  # e.g. a reference photograph: every task reads it
        return [str(sequence.path(0))] if sequence.path(0).is_file() else []
    existing = set(sequence.existing_frames())
    return [str(sequence.path(f)) for f in frames if f in existing]


def write_bundle(job: FarmJob, directory: Path) -> Bundle:
    """Write the job bundle into ``directory`` (created; files of an earlier bundle are replaced)."""
    template, values = job_template(job)
    check_template(template)
    directory.mkdir(parents=True, exist_ok=True)
    bundle = Bundle(
        directory,
        directory / TEMPLATE_FILE,
        directory / VALUES_FILE,
        directory / RUN_VALUES_FILE,
        directory / ASSETS_FILE,
        write_plan(job, directory),
    )
    write_text_atomic(bundle.template, yaml.safe_dump(template, sort_keys=False, width=1000))
    parameter_values = {"parameterValues": [{"name": k, "value": v} for k, v in values.items()]}
    write_text_atomic(bundle.values, yaml.safe_dump(parameter_values, sort_keys=False, width=1000))
    write_text_atomic(bundle.run_values, yaml.safe_dump(values, sort_keys=False, width=1000))
    write_text_atomic(bundle.assets, yaml.safe_dump(asset_references(job), sort_keys=False, width=1000))
    return bundle


def run_command(bundle: Path, step: str | None = None, tasks: list[str] | None = None) -> list[str]:
    """The argument list that runs a bundle here with ``openjd run`` (all steps, or one step and
    its dependencies; ``tasks``: only the chunks with these ``--frames`` values)."""
    argv = [
        sys.executable,
        "-m",
        "openjd",
        "run",
        str(bundle / TEMPLATE_FILE),
        "--job-param",
        f"file://{bundle / RUN_VALUES_FILE}",
    ]
    if step is not None:
        argv += ["--step", step]
        if tasks is not None:
            argv += ["--tasks", json.dumps([{TASK_FRAMES: t} for t in tasks])]
    return argv


def submit_command(bundle: Path) -> list[str]:
    """The argument list that submits a bundle to AWS Deadline Cloud (needs a farm and credentials)."""
    return ["deadline", "bundle", "submit", str(bundle)]
