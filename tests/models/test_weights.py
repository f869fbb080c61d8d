"""Recognising pickle-based weights by their bytes, without mistaking safetensors for them."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import torch

from tinct.models.weights import is_pickle, safetensors_metadata, serialize_safetensors


def test_safetensors_whose_header_length_looks_like_a_pickle_opcode(tmp_path: Path) -> None:
    for padding in range(0, 400, 8):  # header lengths whose low byte passes through 0x80
        data = serialize_safetensors({"w": np.zeros(2, np.float32)}, {"note": "x" * padding})
        assert not is_pickle(Path("w.safetensors"), data), struct.unpack("<Q", data[:8])[0]
        assert safetensors_metadata(data) == {"note": "x" * padding}
    assert any(
        serialize_safetensors({"w": np.zeros(2, np.float32)}, {"note": "x" * p})[0] == 0x80 for p in range(0, 400, 8)
    )


def test_pickles_are_recognised_by_their_bytes(tmp_path: Path) -> None:
    path = tmp_path / "weights.bin"
    torch.save({"w": torch.zeros(2)}, path)  # a torch zip archive
    assert is_pickle(path, path.read_bytes())
    torch.save({"w": torch.zeros(2)}, path, _use_new_zipfile_serialization=False)  # a raw pickle
    assert is_pickle(path, path.read_bytes())
    assert is_pickle(Path("w.pth"), b"")  # by suffix
