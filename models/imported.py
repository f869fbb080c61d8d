"""Weights a user imports (``tinct models import PATH``) and the index that lists them.

Importing checks that the file loads (a Tinct architecture named by the descriptor in its
safetensors metadata, else an architecture spandrel recognises), copies it into the models folder
as ``NAME.safetensors`` (a pickle-based checkpoint, read with ``torch.load(weights_only=True)``
when allowed, is stored as safetensors, so loading it later never touches pickle), and records
its descriptor, sha256 included, in ``imported.json`` there. :func:`imported_descriptors` reads that
index; :func:`tinct.models.catalog.default_registry` registers what it lists, so imported models are
listed, verified and loaded like the ones Tinct ships.

Files are written atomically (a temporary name, then a rename): the index is never half-written.
Two imports into the same folder at the same moment may lose one index entry; run them one by one.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import ModelError, WeightsError
from .registry import ModelDescriptor, build_model, descriptor_from_record
from .thirdparty import UNKNOWN_LICENCE, describe, read_state_dict, recognise
from .weights import (
    is_pickle,
    models_dir,
    read_file,
    safetensors_metadata,
    serialize_state_dict,
    sha256_file,
    state_dict_from_bytes,
    write_atomic,
)

INDEX = "imported.json"
INDEX_FORMAT = "tinct-imported-models"
INDEX_VERSION = 1
# Safetensors metadata key under which Tinct's training code stores a full descriptor record.
DESCRIPTOR_KEY = "tinct:descriptor"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


@dataclass(frozen=True)
class Imported:
    """The result of :func:`import_weights`.

    Attributes:
        descriptor: the model as registered.
        path: its weights file in the models folder.
        created: False when the same weights were already imported under this name.
        converted: a pickle-based checkpoint was stored as safetensors.
    """

    descriptor: ModelDescriptor
    path: Path
    created: bool
    converted: bool


def index_path(folder: Path | None = None) -> Path:
    """The index of imported models in ``folder`` (default :func:`~tinct.models.weights.models_dir`)."""
    return (folder if folder is not None else models_dir()) / INDEX


def imported_descriptors(folder: Path | None = None) -> tuple[ModelDescriptor, ...]:
    """The descriptors recorded in the index (none when there is no index).

    Raises:
        ModelError: the index is not readable JSON of the expected format, or a record is invalid.
    """
    path = index_path(folder)
    if not path.is_file():
        return ()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(
            "The index of imported models is unreadable",
            expected=f"a JSON file ({INDEX_FORMAT})",
            found=f"{type(exc).__name__}: {exc}",
            repair="fix it, or delete it and import the models again",
            file=path,
        ) from exc
    if (
        not isinstance(document, dict)
        or document.get("format") != INDEX_FORMAT
        or not isinstance(document.get("models"), list)
    ):
        raise ModelError(
            "The index of imported models has an unknown format",
            expected=f'{{"format": "{INDEX_FORMAT}", "version": {INDEX_VERSION}, "models": [...]}}',
            found=str(document)[:200],
            repair="delete it and import the models again",
            file=path,
        )
    if not isinstance(document.get("version"), int) or document["version"] > INDEX_VERSION:
        raise ModelError(
            "The index of imported models is from a newer Tinct",
            expected=f"version <= {INDEX_VERSION}",
            found=f"version {document.get('version')!r}",
            repair="upgrade Tinct",
            file=path,
        )
    records = document["models"]
    if not all(isinstance(record, dict) for record in records):
        raise ModelError(
            "The index of imported models holds a record that is not an object",
            expected="one JSON object per model",
            found=str(records)[:200],
            repair="delete it and import the models again",
            file=path,
        )
    return tuple(descriptor_from_record(record, path) for record in records)


def import_weights(
    source: Path,
    *,
    name: str | None = None,
    licence: str = UNKNOWN_LICENCE,
    allow_pickle: bool = False,
    folder: Path | None = None,
    reserved: Collection[str] = (),
) -> Imported:
    """Check that ``source`` loads, copy it into ``folder`` and record its descriptor in the index.

    ``name`` defaults to the file's stem; ``reserved`` are names taken by models Tinct ships.
    Importing the same weights under the same name again changes nothing (``created`` False).

    Raises:
        WeightsError: unreadable, pickled while ``allow_pickle`` is False, or not recognised.
        ModelError: an invalid or taken name, a different file already in the models folder under
            the same name, a model whose task does not fit Tinct, or a broken index.
    """
    folder = folder if folder is not None else models_dir()
    name = name if name is not None else re.sub(r"[^A-Za-z0-9._-]+", "-", source.stem).strip("-.")
    _check_name(name, source)
    data = read_file(source)
    source_sha256 = hashlib.sha256(data).hexdigest()
    if is_pickle(source, data) and not allow_pickle:
        raise WeightsError(
            "Refusing to unpickle a weights file",
            expected="a .safetensors file",
            found=f"a pickle-based checkpoint ({source.suffix or 'pickle bytes'})",
            repair="allow a restricted torch.load(weights_only=True), which rebuilds tensors only "
            "(`tinct models import --allow-pickle`); the import stores it as safetensors",
            file=source,
        )
    weights = f"{name}.safetensors"
    how = f"run `tinct models import {source}` again (the file imported as {name!r}; sha256 {source_sha256})"
    converted = is_pickle(source, data)
    if not converted and DESCRIPTOR_KEY in safetensors_metadata(data):
        stored = data
        descriptor = _tinct_descriptor(data, source, name=name, weights=weights, source_text=how)
    else:
        state = read_state_dict(data, source, allow_pickle=allow_pickle)
        stored = (
            serialize_state_dict(state, {"tinct:imported_from": source.name, "tinct:imported_sha256": source_sha256})
            if converted
            else data
        )
        descriptor = describe(
            recognise(state, source),
            name=name,
            weights=weights,
            sha256=hashlib.sha256(stored).hexdigest(),
            licence=licence,
            source=how,
        )
    return _store(descriptor, stored, folder, reserved, converted)


def _check_name(name: str, source: Path) -> None:
    if not _NAME.fullmatch(name):
        raise ModelError(
            "Invalid model name",
            expected="letters, digits, '.', '_' and '-' (at most 100, starting with a letter or digit)",
            found=repr(name),
            repair="pass --name NAME",
            file=source,
        )


def _tinct_descriptor(data: bytes, source: Path, *, name: str, weights: str, source_text: str) -> ModelDescriptor:
    """The descriptor a Tinct-trained file carries, renamed for the models folder, once its weights load."""
    text = safetensors_metadata(data)[DESCRIPTOR_KEY]
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelError(
            "The file's Tinct descriptor is not JSON",
            expected="a descriptor record",
            found=str(exc),
            repair="re-export the weights from Tinct's training",
            file=source,
        ) from exc
    if not isinstance(record, dict):
        raise ModelError(
            "The file's Tinct descriptor is not an object",
            expected="a descriptor record",
            found=text[:200],
            repair="re-export the weights from Tinct's training",
            file=source,
        )
    record |= {
        "name": name,
        "weights": weights,
        "sha256": hashlib.sha256(data).hexdigest(),
        "source": source_text,
        "bundled": False,
    }
    descriptor = descriptor_from_record(record, source)
    build_model(descriptor, state_dict_from_bytes(data, source), source)
    return descriptor


def _store(
    descriptor: ModelDescriptor, data: bytes, folder: Path, reserved: Collection[str], converted: bool
) -> Imported:
    index = {d.name: d for d in imported_descriptors(folder)}
    path = folder / descriptor.weights
    if descriptor.name in reserved:
        raise ModelError(
            f"Model name {descriptor.name!r} is taken by a model Tinct ships",
            expected="a new name",
            found=repr(descriptor.name),
            repair="pass --name NAME",
        )
    previous = index.get(descriptor.name)
    if previous is not None and previous.sha256 != descriptor.sha256:
        raise ModelError(
            f"Model name {descriptor.name!r} is taken by another imported model",
            expected="a new name",
            found=f"{descriptor.name!r} with sha256 {previous.sha256}",
            repair="pass --name NAME",
            file=index_path(folder),
        )
    if path.exists() and sha256_file(path) != descriptor.sha256:
        raise ModelError(
            "A different weights file already has this name",
            expected=f"no file {path.name}, or this one",
            found=f"{path} with other contents",
            repair="pass --name NAME, or move that file away",
            file=path,
        )
    if not path.exists():
        write_atomic(path, data)
    if previous is not None:
        return Imported(previous, path, created=False, converted=converted)
    index[descriptor.name] = replace(descriptor, bundled=False)
    document = {"format": INDEX_FORMAT, "version": INDEX_VERSION, "models": [index[n].record() for n in sorted(index)]}
    write_atomic(index_path(folder), (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return Imported(index[descriptor.name], path, created=True, converted=converted)
