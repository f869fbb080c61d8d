"""Scene cut detection between two consecutive frames.

After a cut, the next frame cannot be predicted from the previous one by any motion: even the
best flow leaves most of the picture unexplained. The score is the share of the frame that the
motion-compensated previous frame fails to explain, after matching exposures (so flicker and fades
are not cuts) and blurring away grain and dust. A pure function of the two frames, so a render
split into chunks finds the same cuts as a whole one.
"""

from __future__ import annotations

import cv2
import numpy as np

from tinct.core.flow import identity_grid, warp

# Signal difference (sqrt-encoded luminance) that counts as fully unexplained.
MISMATCH = 0.12
# The flow a cut is judged by, whatever the quality the repairs track motion with: finer fields
# explain more of an unrelated frame (two synthetic scenes cut together score 0.49 and 0.50 with
# the fast field, 0.43 and 0.46 with the balanced one, against 0.03 and 0.01 for a step within a
# scene), so the threshold means one thing only with one field.
FLOW_QUALITY = "fast"


def cut_score(current: np.ndarray, previous: np.ndarray, to_previous: np.ndarray) -> float:
    """Share in [0, 1] of ``current`` that ``previous`` (both (h, w) float32 signals) fails to explain.

    ``to_previous`` is the (h, w, 2) flow from ``current`` into ``previous``.
    """
    h, w = current.shape
    seen = warp(previous, identity_grid(h, w) + to_previous, border_value=np.nan)
    here = np.isfinite(seen)
    if here.mean() < 0.25:
        return 1.0
    blur = max(1.0, min(h, w) / 200.0)
    a = cv2.GaussianBlur(current, (0, 0), blur)
    b = cv2.GaussianBlur(np.where(here, seen, current), (0, 0), blur)
    gain = (float(np.median(a[here])) + 1e-3) / (float(np.median(b[here])) + 1e-3)
    mismatch = np.minimum(np.abs(a - gain * b) / MISMATCH, 1.0)
    return float(mismatch[here].mean())
