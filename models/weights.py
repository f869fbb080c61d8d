"""Weight files: where they live, their checksums, and reading and writing them without unpickling.

- Folder: ``$TINCT_MODELS``, else ``$XDG_DATA_HOME/tinct/models``, else ``~/.local/share/tinct/models``.
- Format: safetensors. Pickle-based files (.pth, .pt, .ckpt, or any file whose bytes are a pickle
  or a torch zip archive) are refused unless the caller opts in, and are then read with
  ``torch.load(weights_only=True)``, which rebuilds tensors only and runs no pickled code.
- Writing is deterministic (sorted tensor names, sorted compact JSON header, no timestamps): the
  same tensors and metadata always give the same bytes, hence the same sha256. The safetensors
  library itself writes metadata in hash-map order, which differs between runs.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle  # only for its exception type: nothing is unpickled here
import secrets
import struct
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import safetensors.torch
import torch
from safetensors import SafetensorError

from .errors import WeightsError

MODELS_ENV = "TINCT_MODELS"
PICKLE_SUFFIXES = frozenset({".pth", ".pt", ".ckpt", ".pkl", ".pickle"})
_SAFETENSORS_DTYPES = {np.dtype("<f2"): "F16", np.dtype("<f4"): "F32"}
_ZIP_MAGIC = b"PK\x03\x04"
_PICKLE_PROTOCOL_OPCODE = 0x80
# Real-ESRGAN / BasicSR checkpoints wrap the state dict under one of these keys.
_STATE_DICT_KEYS = ("params_ema", "params", "state_dict")


def models_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """The folder holding weight files (not created here)."""
    explicit = environ.get(MODELS_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    data_home = environ.get("XDG_DATA_HOME", "").strip()
    base = Path(data_home).expanduser() if data_home else Path.home() / ".local" / "share"
    return base / "tinct" / "models"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_pickle(path: Path, data: bytes) -> bool:
    """True for pickle-based weights: by the file's suffix, or by its bytes (a pickle or a torch zip)."""
    if path.suffix.lower() in PICKLE_SUFFIXES:
        return True
    if data.startswith(_ZIP_MAGIC):
        return True
    # A safetensors header length whose low byte is 0x80 looks like a pickle's protocol opcode.
    return not _is_safetensors(data) and len(data) >= 2 and data[0] == _PICKLE_PROTOCOL_OPCODE and data[1] <= 5


def _is_safetensors(data: bytes) -> bool:
    """The bytes start like safetensors: a little-endian header length that fits, then a JSON object."""
    return len(data) >= 10 and data[8:9] == b"{" and 8 + struct.unpack("<Q", data[:8])[0] <= len(data)


def refuse_pickle(path: Path, data: bytes, allow_pickle: bool) -> None:
    """Raise unless the weights are not pickle-based or the caller allows a ``weights_only`` load.

    Raises:
        WeightsError: pickle-based weights while ``allow_pickle`` is False.
    """
    if allow_pickle or not is_pickle(path, data):
        return
    raise WeightsError(
        "Refusing to unpickle a weights file",
        expected="a .safetensors file (loading never runs pickled code)",
        found=f"a pickle-based file ({path.suffix or 'pickle bytes'})",
        repair="convert it to safetensors, or opt in to a restricted torch.load(weights_only=True)",
        file=path,
    )


def serialize_safetensors(tensors: Mapping[str, np.ndarray], metadata: Mapping[str, str]) -> bytes:
    """The safetensors bytes of float16/float32 arrays (any shape) and string metadata, deterministic."""
    header: dict[str, object] = {"__metadata__": {str(k): str(v) for k, v in sorted(metadata.items())}}
    blobs, offset = [], 0
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        dtype = _SAFETENSORS_DTYPES.get(array.dtype.newbyteorder("<"))
        if dtype is None:
            raise ValueError(f"tensor {name!r}: only float16/float32 are written, got {array.dtype}")
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the format allows trailing spaces; keeps the data 8-byte aligned
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def serialize_state_dict(state: Mapping[str, torch.Tensor], metadata: Mapping[str, str]) -> bytes:
    """The safetensors bytes of any torch state dict (every dtype safetensors knows) and string metadata.

    Tensors are copied to contiguous CPU memory first (state dicts may share storage, which the
    format cannot express). Not byte-deterministic like :func:`serialize_safetensors` (the library
    orders metadata as it likes): record the sha256 of the bytes written.
    """
    tensors = {name: tensor.detach().to("cpu").contiguous().clone() for name, tensor in state.items()}
    return safetensors.torch.save(tensors, metadata={str(k): str(v) for k, v in metadata.items()})


def safetensors_metadata(data: bytes) -> dict[str, str]:
    """The ``__metadata__`` of safetensors bytes ({} when there is none or the header does not parse)."""
    if len(data) < 8:
        return {}
    size = struct.unpack("<Q", data[:8])[0]
    try:
        header = json.loads(data[8 : 8 + size])
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    return {str(k): str(v) for k, v in metadata.items()} if isinstance(metadata, dict) else {}


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes to ``path`` via a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def read_file(path: Path) -> bytes:
    """The bytes of a weights file, read once (so that what is checked is what is loaded).

    Raises:
        WeightsError: the file cannot be read.
    """
    try:
        return path.read_bytes()
    except OSError as exc:
        raise WeightsError(
            "Cannot read the weights file",
            expected="a readable file",
            found=str(exc),
            repair="check the models folder ($TINCT_MODELS) and the file's permissions",
            file=path,
        ) from exc


def state_dict_from_bytes(data: bytes, path: Path, *, allow_pickle: bool = False) -> dict[str, torch.Tensor]:
    """CPU tensors of safetensors bytes, or of a pickle-based checkpoint when allowed; ``path`` names it.

    Raises:
        WeightsError: a pickle while ``allow_pickle`` is False, or bytes that do not parse.
    """
    if is_pickle(path, data):
        refuse_pickle(path, data, allow_pickle)
        return _read_pickle_safely(data, path)
    try:
        return dict(safetensors.torch.load(data))
    except SafetensorError as exc:
        raise WeightsError(
            "Not a readable safetensors file",
            expected="a safetensors file",
            found=str(exc),
            repair="re-create or re-download the file",
            file=path,
        ) from exc


def load_weights_only(data: bytes, path: Path) -> object:
    """The object in a pickle-based checkpoint, rebuilt by ``torch.load(weights_only=True)`` on the CPU.

    Only tensors and plain containers (dict, list, tuple, numbers, strings) are rebuilt; no pickled
    code runs. Callers decide whether pickles are allowed (:func:`refuse_pickle`) before calling.

    Raises:
        WeightsError: the checkpoint holds other objects, or is damaged.
    """
    try:
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, OSError, EOFError, ValueError) as exc:
        # weights_only refuses anything but tensors and plain containers (UnpicklingError); a
        # damaged torch zip archive raises RuntimeError.
        raise WeightsError(
            "Cannot read the weights file with torch.load(weights_only=True)",
            expected="a checkpoint of tensors only",
            found=f"{type(exc).__name__}: {exc}",
            repair="convert it to safetensors with the tool that made it",
            file=path,
        ) from exc


def _read_pickle_safely(data: bytes, path: Path) -> dict[str, torch.Tensor]:
    loaded = load_weights_only(data, path)
    if isinstance(loaded, dict):
        for key in _STATE_DICT_KEYS:
            if isinstance(loaded.get(key), dict):
                loaded = loaded[key]
                break
    if not isinstance(loaded, dict) or not all(isinstance(v, torch.Tensor) for v in loaded.values()):
        raise WeightsError(
            "The checkpoint is not a state dict",
            expected="a mapping of names to tensors",
            found=type(loaded).__name__,
            repair="convert it to safetensors",
            file=path,
        )
    return dict(loaded)
