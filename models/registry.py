"""Model descriptors and the registry that names them, verifies their weights and loads them.

A :class:`Registry` is an ordinary object, filled by explicit :meth:`Registry.register` calls
(see :mod:`tinct.models.catalog`); nothing is scanned or loaded at import time.

Checksums: every descriptor names one weights file and its sha256. For weights Tinct converts on
the user's machine (``tinct models convert-ncnn``), the conversion is deterministic (fixed source
files, byte-exact safetensors writer), so the sha256 recorded here is that of the converted file,
and a file that differs (edited, truncated, converted from other sources) is refused at load time.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from types import MappingProxyType

import torch
from torch import nn

from .architectures import ARCHITECTURES, OutputResize, build_network
from .errors import ModelError, WeightsError
from .weights import models_dir, read_file, refuse_pickle, sha256_file, state_dict_from_bytes

SRGB_ENCODING = "sRGB Encoded Rec.709 (sRGB)"
# Weights small enough to ship with Tinct (trained in this repository) live next to this module.
BUNDLED_DIR = Path(__file__).resolve().parent / "weights"
DTYPES = ("float32", "float16", "bfloat16")
# The architecture of imported third-party weights: spandrel detects the network from the state dict
# (:mod:`tinct.models.thirdparty`); ``arch_params["spandrel_architecture"]`` names what it must find.
SPANDREL = "spandrel"


@dataclass(frozen=True)
class ModelDescriptor:
    """What Tinct knows about one network without loading it.

    Attributes:
        name: unique id, e.g. ``realesr-animevideov3-x2``.
        architecture: a key of :data:`tinct.models.architectures.ARCHITECTURES`, or :data:`SPANDREL`.
        arch_params: keyword arguments of the architecture's constructor.
        task: what it does, e.g. ``super-resolution``.
        scale: output size / input size (an integer; 1 for same-size restoration).
        in_channels, out_channels: image channels in and out.
        size_multiple: input height and width must be multiples of it (pad before, crop after).
        dtypes: torch dtype names it runs correctly in, e.g. ``("float32", "float16")``.
        colour_encoding: the OCIO colour space its pixels are in, e.g. ``sRGB Encoded Rec.709 (sRGB)``.
        value_range: (low, high) its inputs are clamped to.
        licence: SPDX id of the weights' licence.
        weights: file name in the models folder.
        sha256: hex digest the weights file must have.
        source: how a user obtains the weights file (shown when it is missing).
        bundled: the weights ship inside the package (:data:`BUNDLED_DIR`), not in the models folder.
    """

    name: str
    architecture: str
    arch_params: Mapping[str, int | float | str]
    task: str
    scale: int
    in_channels: int
    out_channels: int
    size_multiple: int
    dtypes: tuple[str, ...]
    colour_encoding: str
    value_range: tuple[float, float]
    licence: str
    weights: str
    sha256: str
    source: str
    description: str = field(default="", compare=False)
    bundled: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "arch_params", MappingProxyType(dict(self.arch_params)))
        problems = []
        if not self.name or self.name != self.name.strip():
            problems.append(f"name {self.name!r} is empty or has surrounding spaces")
        if self.architecture not in ARCHITECTURES and self.architecture != SPANDREL:
            problems.append(f"architecture {self.architecture!r} is not one of {sorted(ARCHITECTURES) + [SPANDREL]}")
        if self.scale < 1 or self.size_multiple < 1 or self.in_channels < 1 or self.out_channels < 1:
            problems.append("scale, size_multiple and channel counts must be positive")
        if not self.dtypes or any(d not in DTYPES for d in self.dtypes):
            problems.append(f"dtypes {self.dtypes} must be a non-empty subset of {DTYPES}")
        if not self.value_range[0] < self.value_range[1]:
            problems.append(f"value_range {self.value_range} must be increasing")
        if len(self.sha256) != 64 or any(c not in "0123456789abcdef" for c in self.sha256):
            problems.append("sha256 must be 64 lower-case hex digits")
        if Path(self.weights).name != self.weights or not self.weights:
            problems.append(f"weights {self.weights!r} must be a bare file name")
        if problems:
            raise ModelError(
                f"Invalid model descriptor {self.name!r}",
                expected="a consistent descriptor",
                found="; ".join(problems),
                repair="fix the descriptor where it is declared",
            )

    def metadata(self) -> dict[str, str]:
        """The descriptor facts a weights file carries in its safetensors metadata."""
        return {
            "architecture": self.architecture,
            "arch_params": json.dumps(dict(self.arch_params), sort_keys=True),
            "scale": str(self.scale),
            "task": self.task,
            "colour_encoding": self.colour_encoding,
            "licence": self.licence,
        }

    def record(self) -> dict[str, object]:
        """Every field as JSON-ready values (tuples as lists); :func:`descriptor_from_record` reverses it."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}


def descriptor_from_record(record: Mapping[str, object], where: str | Path) -> ModelDescriptor:
    """The descriptor a :meth:`ModelDescriptor.record` describes; ``where`` names its file in errors.

    Keys this version does not know are ignored (a newer Tinct may have written them); fields with
    defaults may be missing.

    Raises:
        ModelError: a required field is missing or a value has the wrong type or is invalid.
    """
    known = {f.name: f for f in fields(ModelDescriptor)}
    values = {k: v for k, v in record.items() if k in known}
    missing = [n for n, f in known.items() if n not in values and f.default is MISSING]
    if missing:
        raise ModelError(
            "A model record is incomplete",
            expected="every descriptor field",
            found=f"{record.get('name', '?')!r} without {', '.join(missing)}",
            repair="re-import the model (`tinct models import`)",
            file=where,
        )
    for name in ("dtypes", "value_range"):
        value = values[name]
        if isinstance(value, list):
            values[name] = tuple(value)
    try:
        return ModelDescriptor(**values)  # type: ignore[arg-type]
    except (TypeError, ValueError, AttributeError) as exc:
        raise ModelError(
            "A model record has values of the wrong type",
            expected="the types of a descriptor",
            found=f"{record.get('name', '?')!r}: {exc}",
            repair="re-import the model",
            file=where,
        ) from exc


def _jsonable(value: object) -> object:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class LoadedModel:
    """A network ready to run: eval mode, no gradients, on ``device`` in ``dtype``."""

    descriptor: ModelDescriptor
    network: nn.Module
    device: torch.device
    dtype: torch.dtype


class Registry:
    """Named model descriptors. Register explicitly; names are unique."""

    def __init__(self, descriptors: Iterable[ModelDescriptor] = ()) -> None:
        self._descriptors: dict[str, ModelDescriptor] = {}
        for descriptor in descriptors:
            self.register(descriptor)

    def register(self, descriptor: ModelDescriptor) -> None:
        """Add a descriptor.

        Raises:
            ModelError: the name is taken (registering twice is a bug, never silently replaced).
        """
        if descriptor.name in self._descriptors:
            raise ModelError(
                f"Model {descriptor.name!r} is registered twice",
                expected="unique model names",
                found=f"{descriptor.name!r} already registered",
                repair="rename one of them or register it once",
            )
        self._descriptors[descriptor.name] = descriptor

    def get(self, name: str) -> ModelDescriptor:
        """The descriptor called ``name``.

        Raises:
            ModelError: no such model; the message lists the known names, closest first.
        """
        descriptor = self._descriptors.get(name)
        if descriptor is None:
            close = difflib.get_close_matches(name, self._descriptors, n=3, cutoff=0.5)
            known = close + [n for n in sorted(self._descriptors) if n not in close]
            raise ModelError(
                f"Unknown model {name!r}",
                expected="one of: " + (", ".join(known) or "(none registered)"),
                found=repr(name),
                repair="use one of the expected names",
            )
        return descriptor

    def names(self) -> list[str]:
        return sorted(self._descriptors)

    def __contains__(self, name: object) -> bool:
        return name in self._descriptors

    def __iter__(self) -> Iterator[ModelDescriptor]:
        return iter([self._descriptors[n] for n in self.names()])

    def __len__(self) -> int:
        return len(self._descriptors)

    def weights_path(self, name: str, folder: Path | None = None) -> Path:
        """Where ``name``'s weights file is expected: ``folder`` if given, else :data:`BUNDLED_DIR` for
        bundled weights and :func:`models_dir` for the others."""
        descriptor = self.get(name)
        if folder is None:
            folder = BUNDLED_DIR if descriptor.bundled else models_dir()
        return folder / descriptor.weights

    def verify(self, name: str, folder: Path | None = None) -> Path:
        """The path of ``name``'s weights file once its sha256 matches the descriptor's.

        Raises:
            WeightsError: the file is missing or its checksum differs.
        """
        descriptor, path = self.get(name), self.weights_path(name, folder)
        self._check_exists(descriptor, path)
        self._check_sha256(descriptor, path, sha256_file(path))
        return path

    def load(
        self,
        name: str,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.float32,
        *,
        folder: Path | None = None,
        allow_pickle: bool = False,
    ) -> LoadedModel:
        """Build ``name``'s network and load its verified weights.

        The file is read once; those bytes are checked (pickle refusal, sha256) and parsed.
        ``allow_pickle`` lets a descriptor whose weights are a pickle (.pth) be read with
        ``torch.load(weights_only=True)``; without it such files are refused.

        Raises:
            ModelError: ``dtype`` is not one the model supports.
            WeightsError: missing, pickled (not allowed), checksum mismatch, or tensors that do
                not fit the architecture.
        """
        descriptor = self.get(name)
        dtype_name = str(dtype).removeprefix("torch.")
        if dtype_name not in descriptor.dtypes:
            raise ModelError(
                f"Model {name!r} does not run in {dtype_name}",
                expected=", ".join(descriptor.dtypes),
                found=dtype_name,
                repair="choose a supported precision",
            )
        path = self.weights_path(name, folder)
        self._check_exists(descriptor, path)
        data = read_file(path)
        refuse_pickle(path, data, allow_pickle)  # before the checksum: the more useful message
        self._check_sha256(descriptor, path, hashlib.sha256(data).hexdigest())
        state = state_dict_from_bytes(data, path, allow_pickle=allow_pickle)
        network = build_model(descriptor, state, path)
        network = network.to(device=device, dtype=dtype).eval().requires_grad_(False)
        return LoadedModel(descriptor, network, torch.device(device), dtype)

    @staticmethod
    def _check_exists(descriptor: ModelDescriptor, path: Path) -> None:
        if not path.is_file():
            raise WeightsError(
                f"Weights of model {descriptor.name!r} not found",
                expected=str(path),
                found="no such file",
                repair=descriptor.source,
                file=path,
            )

    @staticmethod
    def _check_sha256(descriptor: ModelDescriptor, path: Path, found: str) -> None:
        if found != descriptor.sha256:
            raise WeightsError(
                f"Weights of model {descriptor.name!r} fail their checksum",
                expected=f"sha256 {descriptor.sha256}",
                found=f"sha256 {found}",
                repair=f"the file is damaged or not the expected one: delete it, then {descriptor.source}",
                file=path,
            )


def build_model(descriptor: ModelDescriptor, state: Mapping[str, torch.Tensor], path: Path) -> nn.Module:
    """``descriptor``'s network with ``state`` loaded (CPU, float32, not yet in eval mode).

    Tinct architectures are built from ``arch_params`` and loaded strictly; :data:`SPANDREL` ones
    are detected and built by spandrel, which must find the architecture the descriptor names.

    Raises:
        WeightsError: the tensors do not fit the architecture (or spandrel finds another one).
        ModelError: the network has other channels than the descriptor declares.
    """
    if descriptor.architecture == SPANDREL:
        from .thirdparty import spandrel_network  # imports spandrel (and torchvision) only when needed

        return spandrel_network(descriptor, state, path)
    network = build_network(descriptor.architecture, descriptor.arch_params, descriptor.scale)
    target = network.network if isinstance(network, OutputResize) else network
    try:
        target.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise WeightsError(
            f"Weights of model {descriptor.name!r} do not fit its architecture",
            expected=f"the state dict of {descriptor.architecture}({dict(descriptor.arch_params)})",
            found=str(exc).splitlines()[0],
            repair=descriptor.source,
            file=path,
        ) from exc
    # Networks that state their channels (num_in_ch, num_out_ch) are checked against the descriptor.
    found = (
        getattr(target, "num_in_ch", descriptor.in_channels),
        getattr(target, "num_out_ch", descriptor.out_channels),
    )
    if found != (descriptor.in_channels, descriptor.out_channels):
        raise ModelError(
            f"Model {descriptor.name!r} declares other channels than its network has",
            expected=f"{descriptor.in_channels} in, {descriptor.out_channels} out",
            found=f"{found[0]} in, {found[1]} out",
            repair="fix the descriptor",
        )
    return network
