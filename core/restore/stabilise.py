"""Gate weave removal: the frame-to-frame shake of a scan in the gate, without the camera's moves.

A frame that weaves in the gate moves as a whole: a shift of a few pixels and a small rotation,
different in every frame. The camera's own moves (pans, tilts, zooms) are smooth over many frames.

1. **Steps.** Each frame's global motion to the previous one is a similarity (shift, rotation,
   optionally uniform scale) about the frame's centre, in full-size pixels, fitted to the
   working-scale flow the restorer already measures (:func:`fit_step`): on the pixels whose flow is
   consistent both ways, the similarity of two sampled points that explains the most others (MSAC),
   then weighted least squares iteratively reweighted from there (Tukey's biweight), so that moving
   objects, occlusions and dirt do not pull it.
2. **Path.** Within a window of ``2 * window + 1`` frames around a frame (cut short at scene cuts
   and at unmeasurable steps), the steps compose into the raw camera path: each frame's transform
   into the window's first frame.
3. **Intended path.** Each of the path's parameters (position, angle, log scale) is fitted by a
   local quadratic with tricube weights (LOESS), evaluated at the frame: steady pans, accelerating
   pans and zooms are followed exactly, the frame-to-frame weave is averaged out. How many frames
   the fit spans is chosen per frame and parameter (:func:`smooth_at`): the whole window where
   the camera moves smoothly, fewer where its move changes quickly (a car swinging into a turn),
   so that move is followed rather than taken for weave. A camera's own shake of the weave's size
   and speed (a car's camera bouncing a few pixels over about ten frames) cannot be told from weave.
4. **Correction.** The frame is warped from its raw onto the intended path (:func:`correction`,
   :func:`apply`).

Everything about a frame's correction is computed afresh from the steps of its own window, with
the window's first frame as origin, so the result depends on frames ``[frame - window, frame +
window]`` only: a render split in chunks with these handles equals a whole render, bitwise.

The warp is Lanczos (8 x 8 taps) with edges replicated. Bicubic and bilinear interpolation soften
the picture by an amount that depends on the sub-pixel part of the shift (white grain keeps 72 % and
50 % of its amplitude at half a pixel), and since the correction's shift changes every frame, that
softening would flicker with the weave; Lanczos keeps 83 %. Edges are replicated rather than
filled black so the frame keeps its size and no moving black border appears (a few pixels of
smear at the edges, which a comp crops or a reformat hides). The interpolation is linear in the
values and never clipped: scene-linear values above 1.0 and negative values survive (Lanczos can
overshoot a little at hard edges, as any sharp resampling does).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tinct.core.pixels import OPENCV, Array, Pixels

# Frames each side over which the intended camera path is fitted (half a second at 24 fps).
WINDOW = 12
# Degree of the local polynomial fitted to the path.
DEGREE = 2
# Shorter spans (frames each side) the intended path may be fitted over, and how many standard
# errors of the weave two fits may differ by before the longer one counts as bent by the camera.
SHORTER_SPANS = (3, 4, 6, 8)
CONFIDENCE = 2.0
# The flow is sampled on a grid of at most this many points for the fit.
MAX_POINTS = 20000
# Fewer consistent points than this (or than this share of the samples): the step is unknown.
MIN_POINTS = 64
MIN_SHARE = 0.05
# Reweighting passes of the robust fit, and the biweight's tuning constant (in robust sigmas).
PASSES = 6
TUKEY = 4.685
# Smallest residual scale (pixels): flow noise of a perfect fit is not smaller than this.
MIN_SIGMA = 0.05
# The reweighting's start: the best of this many similarities through two sampled points, each
# scored by the points it explains within INLIER pixels; a pair closer than MIN_BASE pixels fixes
# the angle too loosely to be drawn; they are scored on every SCORED-th point.
HYPOTHESES = 64
INLIER = 1.0
MIN_BASE = 20.0
SCORED = 4


def fit_step(flow: np.ndarray, valid: np.ndarray, height: int, width: int, scale: bool = False) -> np.ndarray | None:
    """The similarity carrying a frame onto the previous one, or None where it cannot be measured.

    ``flow`` (h, w, 2) is the working-scale flow from the frame into the previous one (pixel (x, y)
    of the frame is at (x + dx, y + dy) in the previous), ``valid`` (h, w) in [0, 1] where it is
    consistent both ways; ``height`` x ``width`` is the full size. Returns the (4,) float64
    parameters ``(tx, ty, angle, log_scale)`` of ``p_previous = s R(angle) p + t`` with ``p`` in
    full-size pixels about the frame's centre (``log_scale`` is 0 unless ``scale``).
    """
    h, w = flow.shape[:2]
    stride = max(1, int(np.ceil(np.sqrt(h * w / MAX_POINTS))))
    sy, sx = np.mgrid[stride // 2 : h : stride, stride // 2 : w : stride]
    weight = valid[sy, sx].astype(np.float64).ravel()
    keep = weight > 0.5
    if keep.sum() < max(MIN_POINTS, MIN_SHARE * keep.size):
        return None
    fx, fy = width / w, height / h
    x = ((sx.ravel()[keep] + 0.5) * fx - 0.5) - (width - 1) / 2
    y = ((sy.ravel()[keep] + 0.5) * fy - 0.5) - (height - 1) / 2
    u = x + flow[sy, sx, 0].ravel()[keep].astype(np.float64) * fx
    v = y + flow[sy, sx, 1].ravel()[keep].astype(np.float64) * fy
    weight = weight[keep]

    params: np.ndarray | None = _start(x, y, u, v, weight)
    for _ in range(PASSES):
        if params is None:
            return None
        residual = np.hypot(*_residual(params, x, y, u, v))
        sigma = max(1.4826 * _weighted_median(residual, weight), MIN_SIGMA)
        robust = np.square(np.clip(1.0 - np.square(residual / (TUKEY * sigma)), 0.0, None))
        params = _fit(x, y, u, v, weight * robust, scale)
    return params


def _start(x: np.ndarray, y: np.ndarray, u: np.ndarray, v: np.ndarray, weight: np.ndarray) -> np.ndarray | None:
    """The similarity (no scale) through two sampled points that explains the most points (MSAC).

    Reweighting from a plain least-squares fit fails where a mover fills much of the frame: the
    first fit lands between the two motions, the residual scale is then wide enough to keep both,
    and the fit stays there, explaining neither (a weaved frame with hands over the table: 2.5 px
    off). Started inside the dominant motion, it converges to it. The draws are fixed, so a frame's
    step depends on its flow only (a chunked render equals a whole one).
    """
    first, second = np.random.default_rng(0).integers(0, len(x), (2, HYPOTHESES))
    dx, dy, du, dv = x[second] - x[first], y[second] - y[first], u[second] - u[first], v[second] - v[first]
    far = np.hypot(dx, dy) >= MIN_BASE
    if not far.any():
        return _fit(x, y, u, v, weight, False)
    first, dx, dy, du, dv = first[far], dx[far], dy[far], du[far], dv[far]
    angle = np.arctan2(dx * dv - dy * du, dx * du + dy * dv)
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    tx = u[first, None] - (c * x[first, None] - s * y[first, None])
    ty = v[first, None] - (s * x[first, None] + c * y[first, None])
    # Scored on every SCORED-th point: (hypotheses, points) squared residuals, each capped at INLIER^2.
    px, py, pu, pv, pw = (a[::SCORED] for a in (x, y, u, v, weight))
    miss = np.square(c * px - s * py + tx - pu) + np.square(s * px + c * py + ty - pv)
    best = int(np.argmin((np.minimum(miss, INLIER * INLIER) * pw).sum(axis=1)))
    return np.array([tx[best, 0], ty[best, 0], angle[best], 0.0])


def _fit(
    x: np.ndarray, y: np.ndarray, u: np.ndarray, v: np.ndarray, weight: np.ndarray, scale: bool
) -> np.ndarray | None:
    """Weighted least squares (u, v) ~ (a x - b y + tx, b x + a y + ty) -> (tx, ty, angle, log_scale)."""
    total = weight.sum()
    if total <= 0:
        return None
    mx, my = (weight * x).sum() / total, (weight * y).sum() / total
    mu, mv = (weight * u).sum() / total, (weight * v).sum() / total
    xc, yc, uc, vc = x - mx, y - my, u - mu, v - mv
    norm = (weight * (xc * xc + yc * yc)).sum()
    if norm <= 0:
        return None
    a = (weight * (xc * uc + yc * vc)).sum() / norm
    b = (weight * (xc * vc - yc * uc)).sum() / norm
    angle = float(np.arctan2(b, a))
    log_scale = float(np.log(np.hypot(a, b))) if scale else 0.0
    s = np.exp(log_scale)
    c, si = s * np.cos(angle), s * np.sin(angle)
    # With the rotation (and scale) fixed, the best shift maps the weighted centroids onto each other.
    return np.array([mu - (c * mx - si * my), mv - (si * mx + c * my), angle, log_scale])


def _residual(params: np.ndarray, x: np.ndarray, y: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    m = matrix(params)
    return np.stack([m[0, 0] * x + m[0, 1] * y + m[0, 2] - u, m[1, 0] * x + m[1, 1] * y + m[1, 2] - v])


def _weighted_median(values: np.ndarray, weight: np.ndarray) -> float:
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weight[order])
    return float(values[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])


def matrix(params: np.ndarray) -> np.ndarray:
    """(tx, ty, angle, log_scale) -> the (3, 3) float64 matrix of the similarity."""
    tx, ty, angle, log_scale = params
    s = np.exp(log_scale)
    c, si = s * np.cos(angle), s * np.sin(angle)
    return np.array([[c, -si, tx], [si, c, ty], [0.0, 0.0, 1.0]])


def path(steps: Sequence[np.ndarray]) -> np.ndarray:
    """(n, 4) raw camera path of n frames from the steps of frames 1..n-1 (each into the one before).

    Row i holds the parameters of frame i's transform into frame 0: shift, and the angle and log
    scale summed (exact for similarities, and free of wrapping).
    """
    rows = [np.zeros(4)]
    total = np.eye(3)
    for step in steps:
        total = total @ matrix(step)
        angle, log_scale = rows[-1][2] + step[2], rows[-1][3] + step[3]
        rows.append(np.array([total[0, 2], total[1, 2], angle, log_scale]))
    return np.array(rows)


def smooth_at(raw: np.ndarray, centre: int, window: int) -> np.ndarray:
    """(4,) the intended path at row ``centre`` of the (n, 4) ``raw`` path.

    A local quadratic with tricube weights, over the span each parameter chooses by the
    intersection of confidence intervals (Katkovnik's ICI rule): from the shortest of
    :data:`SHORTER_SPANS` to the whole window, each longer fit is kept while its value stays
    within :data:`CONFIDENCE` standard errors of every shorter one's. The weave is independent
    from frame to frame, so its spread shows in the path's second differences and each fit's
    standard error follows from its weights. Where the camera moves smoothly every fit agrees and
    the whole window averages the weave away; where its move changes quickly (it swings into a
    pan), the longer fits cut the corner and part from the shorter ones, which follow it.
    """
    n = len(raw)
    whole = _local_fit(n, centre, max(centre, n - 1 - centre, window) + 1.0)
    spans = [span for span in SHORTER_SPANS if span < window]
    if n < 7 or not spans:
        return whole @ raw
    second = raw[2:] - 2.0 * raw[1:-1] + raw[:-2]
    # (+ a hair: a path without weave still leaves its fits rounding errors apart)
    spread = 1.4826 * np.median(np.abs(second - np.median(second, axis=0)), axis=0) / np.sqrt(6.0) + 1e-9
    fits = [_local_fit(n, centre, span + 1.0) for span in spans] + [whole]
    chosen = fits[0] @ raw
    low, high = np.full_like(chosen, -np.inf), np.full_like(chosen, np.inf)
    agreeing = np.ones(chosen.shape, bool)
    for weights in fits:
        value, error = weights @ raw, CONFIDENCE * spread * np.sqrt(weights @ weights)
        low, high = np.maximum(low, value - error), np.minimum(high, value + error)
        agreeing &= low <= high
        chosen = np.where(agreeing, value, chosen)
    return chosen


def _local_fit(n: int, centre: int, reach: float) -> np.ndarray:
    """(n,) weights whose dot product with a path of n rows is its local quadratic (tricube
    weights reaching ``reach`` rows) at row ``centre``."""
    k = np.arange(n, dtype=np.float64) - centre
    weight = np.power(np.clip(1.0 - np.power(np.abs(k) / reach, 3), 0.0, None), 3)
    degree = min(DEGREE, int(np.count_nonzero(weight)) - 1)
    basis = np.vander(k, degree + 1, increasing=True)
    return np.linalg.solve(basis.T @ (basis * weight[:, None]), (basis * weight[:, None]).T)[0]


def correction(steps: Sequence[np.ndarray], centre: int, window: int = WINDOW) -> np.ndarray:
    """(3, 3) map from the stabilised frame's pixels to the raw frame's, about the frame's centre.

    ``steps`` are those of frames 1..n-1 of a window of n frames (each into the one before, see
    :func:`fit_step`); ``centre`` is the frame's row in it. Identity when the window is one frame.
    """
    raw = path(steps)
    if len(raw) < 2:
        return np.eye(3)
    return np.linalg.inv(matrix(raw[centre])) @ matrix(smooth_at(raw, centre, window))


def pixel_map(centred: np.ndarray, height: int, width: int) -> np.ndarray:
    """A (3, 3) map about the frame's centre -> the (2, 3) float64 map in pixel coordinates."""
    cx, cy = (width - 1) / 2, (height - 1) / 2
    to_centre = np.array([[1.0, 0.0, -cx], [0.0, 1.0, -cy], [0.0, 0.0, 1.0]])
    back = np.array([[1.0, 0.0, cx], [0.0, 1.0, cy], [0.0, 0.0, 1.0]])
    return (back @ centred @ to_centre)[:2]


def apply(image: Array, centred: np.ndarray, pixels: Pixels = OPENCV) -> Array:
    """``image`` (H, W) or (H, W, C) float32, an array of ``pixels``, warped by the (3, 3)
    ``centred`` map (stabilised -> raw pixel, about the centre): Lanczos, edges replicated, values
    unclipped. The identity returns ``image``."""
    if np.array_equal(centred, np.eye(3)):
        return image
    height, width = image.shape[:2]
    return pixels.warp_lanczos(image, pixel_map(centred, height, width))


def apply_matte(matte: Array, centred: np.ndarray, pixels: Pixels = OPENCV) -> Array:
    """A (H, W) matte in [0, 1] warped like the picture (kept in [0, 1])."""
    if np.array_equal(centred, np.eye(3)):
        return matte
    return apply(matte, centred, pixels).clip(0.0, 1.0)
