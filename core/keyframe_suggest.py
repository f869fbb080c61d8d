"""Where would a new keyframe help most? A one-pass estimate from the plate alone.

Colour reaches frame t from a keyframe k through every step between them; each step keeps the
share of pixels that motion can follow reliably (forward/backward agreement and photometric
match). So the confidence that colour survives from k to t is the product of per-step
reliabilities. One pass over the shot measures them; choosing keyframes is then a small 1-D
problem solved greedily: add, one at a time, the frame that most raises the summed confidence.
A scene cut has reliability ~0 and so always earns a keyframe of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from tinct.core.engine import Progress, ReadAhead
from tinct.core.flow import Motion, identity_grid, warp
from tinct.core.propagation import Plate, PropagationSettings, Propagator
from tinct.core.source import SourcePlate


def step_reliability(propagator: Propagator, previous: Plate, current: Plate) -> float:
    """Share of the current frame's pixels that motion from the previous frame explains."""
    s = propagator.settings
    motion = Motion(propagator.flow(current.small, previous.small), propagator.flow(previous.small, current.small))
    to_prev = motion.to_reference
    h, w = current.small.shape
    consistent = motion.consistency(s.occlusion_tolerance)
    seen = warp(previous.small.astype(np.float32), identity_grid(h, w) + to_prev) / 255.0
    match = np.exp(-((np.abs(current.small / 255.0 - seen) / s.match_tolerance) ** 2))
    return float(np.mean(consistent * match))


def measure_reliability(
    luminances: Iterable[np.ndarray],
    settings: PropagationSettings,
    height: int,
    width: int,
    on_frame: Callable[[], None] = lambda: None,
) -> np.ndarray:
    """(N,) reliability of each step into frame i from frame i-1 (index 0 is 1 by convention)."""
    propagator = Propagator(settings, height, width)
    reliabilities, previous = [], None
    for lum in luminances:
        current = propagator.plate(lum)
        reliabilities.append(1.0 if previous is None else step_reliability(propagator, previous, current))
        previous = current
        on_frame()
    return np.asarray(reliabilities, dtype=np.float64)


def coverage(reliability: np.ndarray, keys: Iterable[int]) -> np.ndarray:
    """(N,) confidence in [0, 1] that keyframe colour reaches each frame index, from both sides."""
    n = len(reliability)
    keys = np.unique(np.asarray(list(keys), dtype=np.int64))
    if keys.size == 0:
        return np.zeros(n)
    log_r = np.log(np.clip(reliability, 1e-9, 1.0))
    log_r[0] = 0.0
    cumulative = np.cumsum(log_r)  # cumulative[t] - cumulative[k] = log prod r_{k+1..t}
    t = np.arange(n)
    before = np.searchsorted(keys, t, side="right") - 1
    after = np.searchsorted(keys, t, side="left")
    forward = np.where(before >= 0, np.exp(cumulative - cumulative[keys[np.maximum(before, 0)]]), 0.0)
    has_after = after < keys.size
    k_after = keys[np.minimum(after, keys.size - 1)]
    backward = np.where(has_after, np.exp(cumulative[k_after] - cumulative), 0.0)
    return 1.0 - (1.0 - np.clip(forward, 0, 1)) * (1.0 - np.clip(backward, 0, 1))


def suggest(reliability: np.ndarray, count: int, existing: Iterable[int] = ()) -> list[tuple[int, float]]:
    """Greedily pick ``count`` new keyframe indices; returns (index, gain in summed confidence)."""
    keys = sorted(set(existing))
    picks: list[tuple[int, float]] = []
    score = coverage(reliability, keys).sum()
    for _ in range(min(count, len(reliability) - len(keys))):
        candidates = [i for i in range(len(reliability)) if i not in keys]
        scores = np.array([coverage(reliability, [*keys, c]).sum() for c in candidates])
        best = int(np.argmax(scores))
        picks.append((candidates[best], float(scores[best] - score)))
        score = scores[best]
        keys = sorted([*keys, candidates[best]])
    return picks


def suggest_for_plate(
    plate: SourcePlate,
    settings: PropagationSettings,
    count: int,
    existing: Iterable[int] = (),
    progress: Progress | None = None,
    frames: list[int] | None = None,
) -> list[tuple[int, float]]:
    """Measure a plate's motion reliability over ``frames`` (default: the requested frames) and
    pick ``count`` new keyframes: [(frame, gain)]."""
    frames = plate.frames if frames is None else frames
    # Read ahead, only each frame's luminance is kept (not its pixels, nor copies of its extra channels).
    luminances = (luminance for _, luminance in ReadAhead(lambda frame: plate.read(frame).luminance, frames))
    reliability = measure_reliability(
        luminances, settings, plate.height, plate.width, on_frame=progress.advance if progress else lambda: None
    )
    index = {f: i for i, f in enumerate(frames)}
    picks = suggest(reliability, count, [index[k] for k in existing if k in index])
    return [(frames[i], gain) for i, gain in picks]
