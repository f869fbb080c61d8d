"""Third-party weights (Real-ESRGAN, SCUNet, NAFNet, DDColor, ...) through spandrel.

A studio downloads the strongest public models elsewhere; spandrel (PyPI, chaiNNer) recognises
their architecture and hyper-parameters from the state dict alone. This module reads such a file
without unpickling, lets spandrel build the network, and describes it as a Tinct
:class:`~tinct.models.registry.ModelDescriptor` (architecture :data:`~tinct.models.registry.SPANDREL`),
so the rest of Tinct runs it like any registry model.

- Files: ``.safetensors``; pickle-based checkpoints (``.pth``, ``.ckpt``, ``.pt``) only when the
  caller allows them, and then through ``torch.load(weights_only=True)`` (spandrel's own file
  loader is not used: it unpickles with its own rules).
- Pixels: spandrel networks take RGB (or grey) images in [0, 1], as the 8-bit PNGs they were
  trained on: sRGB-encoded Rec.709, clamped to [0, 1].
- Tasks: spandrel's purpose ``SR`` is ``super-resolution``, ``Restoration`` is ``restoration``,
  except for colourisers (spandrel calls DDColor a restoration model: grey in, colour out), which
  are ``colorization``. Face models (``FaceSR``: aligned face crops) and inpainting (a mask input)
  do not fit Tinct's whole-frame nodes and are refused with a message saying so.
- The architectures of the optional PyPI package ``spandrel-extra-arches`` (DDColor among them) are
  used when it is installed, in a private copy of spandrel's registry.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from .errors import ModelError, WeightsError
from .registry import SPANDREL, SRGB_ENCODING, LoadedModel, ModelDescriptor
from .weights import is_pickle, load_weights_only, read_file, refuse_pickle, state_dict_from_bytes

if TYPE_CHECKING:
    from spandrel import ArchRegistry, ImageModelDescriptor

TASKS = {"SR": "super-resolution", "Restoration": "restoration"}
COLORIZATION = "colorization"
# spandrel architectures whose "Restoration" is colourisation (grey in, colour out).
COLOURISERS = frozenset({"DDColor"})
# Licence of weights Tinct cannot know (SPDX's term); `tinct models import --licence` records the real one.
UNKNOWN_LICENCE = "NOASSERTION"
_INSTALL = "pip install spandrel==0.4.2 (the `thirdparty` extra of tinct)"
# What spandrel's architectures raise when a state dict passes detection but does not build.
_BUILD_ERRORS = (KeyError, ValueError, RuntimeError, AssertionError, IndexError, TypeError, AttributeError)


@dataclass(frozen=True)
class Recognised:
    """What spandrel found in a state dict, in Tinct's terms.

    Attributes:
        architecture: spandrel's architecture id, e.g. ``ESRGAN``, ``SCUNet``, ``DDColor``.
        tags: spandrel's description of the hyper-parameters, e.g. ``("64nf", "23nb")``.
        task: ``super-resolution``, ``restoration`` or ``colorization``.
        scale, in_channels, out_channels: as in a descriptor.
        size_multiple: input height and width must be multiples of it (spandrel's ``multiple_of``).
        minimum_size: smallest input side spandrel allows (0: none).
        dtypes: torch dtype names the network runs correctly in.
        tiling: spandrel's advice, ``supported``, ``discouraged`` or ``internal``.
    """

    architecture: str
    tags: tuple[str, ...]
    task: str
    scale: int
    in_channels: int
    out_channels: int
    size_multiple: int
    minimum_size: int
    dtypes: tuple[str, ...]
    tiling: str


class SpandrelNetwork(nn.Module):
    """A spandrel model as a plain module: (B, C, H, W) in [0, 1] -> (B, C', sH, sW) in [0, 1].

    Runs spandrel's documented call (its padding to the size requirements, the architecture's own
    pre- and post-processing, e.g. DDColor's Lab conversion, and a clamp to [0, 1]). The network's
    parameters are registered under ``model``, so ``.to(device, dtype)`` moves them.
    """

    def __init__(self, descriptor: ImageModelDescriptor[Any]) -> None:
        super().__init__()
        self.model = descriptor.model
        self._descriptor = descriptor  # not a submodule: its model is registered above

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._descriptor(x)


def load_weights_file(
    path: Path,
    *,
    name: str | None = None,
    licence: str = UNKNOWN_LICENCE,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
    allow_pickle: bool = False,
) -> LoadedModel:
    """A third-party weights file, recognised by spandrel and ready to run like a registry model.

    The descriptor is named ``name`` (default: the file's stem), its weights are ``path.name`` with
    the file's sha256, and :func:`describe` fills in the rest.

    Raises:
        WeightsError: unreadable, pickled while ``allow_pickle`` is False, or not recognised.
        ModelError: spandrel is missing, the model's task does not fit Tinct, or ``dtype`` is not
            one the network supports.
    """
    data = read_file(path)
    state = read_state_dict(data, path, allow_pickle=allow_pickle)
    found = recognise(state, path)
    descriptor = describe(
        found,
        name=name or path.stem,
        weights=path.name,
        sha256=hashlib.sha256(data).hexdigest(),
        licence=licence,
        source=f"a third-party file, first read from {path}",
    )
    dtype_name = str(dtype).removeprefix("torch.")
    if dtype_name not in descriptor.dtypes:
        raise ModelError(
            f"Model {descriptor.name!r} does not run in {dtype_name}",
            expected=", ".join(descriptor.dtypes),
            found=dtype_name,
            repair="choose a supported precision",
        )
    network = spandrel_network(descriptor, state, path)
    network = network.to(device=device, dtype=dtype).eval().requires_grad_(False)
    return LoadedModel(descriptor, network, torch.device(device), dtype)


def read_state_dict(data: bytes, path: Path, *, allow_pickle: bool = False) -> dict[str, torch.Tensor]:
    """The tensors of a weights file's bytes, unwrapped as spandrel does (``params_ema``, ``state_dict``,
    ``model``, ... and ``module.`` prefixes).

    Raises:
        WeightsError: a pickle while ``allow_pickle`` is False, bytes that do not parse, or a
            checkpoint that holds no mapping of names to tensors.
    """
    if not is_pickle(path, data):
        return canonical_state_dict(state_dict_from_bytes(data, path))
    refuse_pickle(path, data, allow_pickle)
    loaded = load_weights_only(data, path)
    state = canonical_state_dict(loaded) if isinstance(loaded, dict) else loaded
    if not isinstance(state, dict) or not state or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(
            "The checkpoint is not a state dict",
            expected="a mapping of names to tensors",
            found=_summary(state),
            repair="check that the file holds a network's weights",
            file=path,
        )
    return state


def canonical_state_dict(state: Mapping[str, Any]) -> dict[str, Any]:
    """``state`` unwrapped by spandrel's rules (the keys under which training code nests weights)."""
    return dict(import_spandrel().canonicalize_state_dict(dict(state)))


def recognise(state: Mapping[str, torch.Tensor], path: Path) -> Recognised:
    """What spandrel finds in ``state`` (``path`` names the file in errors).

    Raises:
        WeightsError: no architecture spandrel knows matches, or the matching one fails to build.
        ModelError: spandrel is missing, or the model's purpose does not fit Tinct.
    """
    return _recognised(_build(state, path), path)


def spandrel_network(descriptor: ModelDescriptor, state: Mapping[str, torch.Tensor], path: Path) -> nn.Module:
    """The network of a :data:`~tinct.models.registry.SPANDREL` descriptor, built by spandrel from
    ``state`` (CPU, float32), after checking that spandrel finds what the descriptor says.

    Raises:
        WeightsError: spandrel finds another architecture, scale or channels than the descriptor's.
    """
    built = _build(state, path)
    found = _recognised(built, path)
    expected = descriptor.arch_params.get("spandrel_architecture")
    facts = (found.architecture, found.scale, found.in_channels, found.out_channels)
    wanted = (expected, descriptor.scale, descriptor.in_channels, descriptor.out_channels)
    if facts != wanted:
        raise WeightsError(
            f"Weights of model {descriptor.name!r} are not the network its descriptor names",
            expected="{} x{} with {} in, {} out channels".format(*wanted),
            found="{} x{} with {} in, {} out channels".format(*facts),
            repair=f"re-import the file (`tinct models import`); {descriptor.source}",
            file=path,
        )
    return SpandrelNetwork(built)


def describe(found: Recognised, *, name: str, weights: str, sha256: str, licence: str, source: str) -> ModelDescriptor:
    """A registry descriptor for a recognised third-party network.

    Raises:
        ModelError: the name or file name is not valid for a descriptor.
    """
    return ModelDescriptor(
        name=name,
        architecture=SPANDREL,
        arch_params={
            "spandrel_architecture": found.architecture,
            "spandrel_tags": " ".join(found.tags),
            "minimum_size": found.minimum_size,
            "tiling": found.tiling,
        },
        task=found.task,
        scale=found.scale,
        in_channels=found.in_channels,
        out_channels=found.out_channels,
        size_multiple=found.size_multiple,
        dtypes=found.dtypes,
        colour_encoding=SRGB_ENCODING,
        value_range=(0.0, 1.0),
        licence=licence,
        weights=weights,
        sha256=sha256,
        source=source,
        description=f"{found.architecture} ({', '.join(found.tags) or 'default'}), recognised by spandrel",
    )


def architecture_names() -> list[str]:
    """The ids of the architectures spandrel (and spandrel-extra-arches, when installed) recognise."""
    return sorted(str(support.architecture.id) for support in _registry())


def _build(state: Mapping[str, torch.Tensor], path: Path) -> ImageModelDescriptor[Any]:
    spandrel = import_spandrel()
    registry = _registry()
    # Architectures edit the dict they are given (DDColor drops unused keys): give each a copy.
    state = dict(state)
    support = next((s for s in registry.architectures("detection") if s.detect(state)), None)
    if support is None:
        raise WeightsError(
            "Weights not recognised",
            expected="the weights of a network spandrel knows: " + ", ".join(architecture_names()),
            found=_summary(state),
            repair="check that the file holds the generator's weights (not a discriminator or an optimiser "
            "state); a Tinct model's file must carry its descriptor (safetensors metadata 'tinct:descriptor')",
            file=path,
        )
    try:
        built = support.architecture.load(state)
    except _BUILD_ERRORS as exc:
        raise WeightsError(
            f"spandrel recognised {support.architecture.name} but cannot build it",
            expected=f"a complete {support.architecture.name} state dict",
            found=_first_lines(exc),
            repair="the file is damaged or a variant spandrel does not support",
            file=path,
        ) from exc
    if not isinstance(built, spandrel.ImageModelDescriptor):
        raise ModelError(
            f"{support.architecture.name} models do not fit Tinct",
            expected="a model that maps an image to an image",
            found=f"a {built.purpose} model (it needs a mask input)",
            repair="use a super-resolution, restoration or colourisation model",
            file=path,
        )
    return built.eval()


def _recognised(built: ImageModelDescriptor[Any], path: Path) -> Recognised:
    architecture = str(built.architecture.id)
    if built.purpose == "FaceSR":
        raise ModelError(
            f"{architecture} is a face restoration model",
            expected="a model for whole frames",
            found="a model for aligned face crops (FaceSR)",
            repair="use a super-resolution, restoration or colourisation model",
            file=path,
        )
    task = COLORIZATION if architecture in COLOURISERS else TASKS[built.purpose]
    dtypes = ("float32",) + ("float16",) * built.supports_half + ("bfloat16",) * built.supports_bfloat16
    size = built.size_requirements
    return Recognised(
        architecture=architecture,
        tags=tuple(built.tags),
        task=task,
        scale=int(built.scale),
        in_channels=int(built.input_channels),
        out_channels=int(built.output_channels),
        size_multiple=int(size.multiple_of),
        minimum_size=int(size.minimum),
        dtypes=dtypes,
        tiling=built.tiling.name.lower(),
    )


def _first_lines(exc: BaseException, count: int = 2) -> str:
    """An exception's type and first lines (load_state_dict lists every mismatching tensor)."""
    lines = str(exc).strip().splitlines()
    more = f" ... ({len(lines) - count} more lines)" if len(lines) > count else ""
    return f"{type(exc).__name__}: " + " ".join(line.strip() for line in lines[:count]) + more


def _summary(state: object) -> str:
    if not isinstance(state, Mapping):
        return f"a {type(state).__name__}, not a mapping of names to tensors"
    keys = list(state)
    shown = ", ".join(
        f"{k} {tuple(v.shape)}" if isinstance(v, torch.Tensor) else f"{k} ({type(v).__name__})"
        for k, v in ((k, state[k]) for k in keys[:4])
    )
    return f"{len(keys)} entries: {shown}{', ...' if len(keys) > 4 else ''}"


def _registry() -> ArchRegistry:
    """spandrel's architectures plus spandrel-extra-arches' when installed (never edits spandrel's own)."""
    registry = import_spandrel().MAIN_REGISTRY.copy()
    try:
        extra = importlib.import_module("spandrel_extra_arches")
    except ImportError:
        return registry
    registry.add(*extra.EXTRA_REGISTRY, ignore_duplicates=True)
    return registry


def import_spandrel() -> ModuleType:
    """The spandrel module (import it through this function, before any ``spandrel.*`` submodule).

    torchvision (a dependency of spandrel) fails at import when its compiled operators cannot load:
    the CUDA wheel from PyPI next to a CPU-only torch (torchvision 0.28 then registers fake kernels
    for operators that do not exist). Spandrel needs none of those operators; declaring the two
    operators lets torchvision import, and calling them would still fail loudly (no kernel).
    """
    try:
        return importlib.import_module("spandrel")
    except ImportError as exc:
        raise ModelError(
            "Third-party weights need spandrel",
            expected="the PyPI package spandrel",
            found=f"{type(exc).__name__}: {exc}",
            repair=_INSTALL,
        ) from exc
    except RuntimeError as exc:
        if "torchvision::nms" not in str(exc):
            raise
    _declare_missing_torchvision_operators()
    return importlib.import_module("spandrel")


_TORCHVISION_LIBRARY: list[torch.library.Library] = []  # kept alive: a dropped Library undoes its definitions


def _declare_missing_torchvision_operators() -> None:
    if _TORCHVISION_LIBRARY:
        return
    library = torch.library.Library("torchvision", "DEF")
    for op in ("nms", "qnms"):
        library.define(f"{op}(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    _TORCHVISION_LIBRARY.append(library)
