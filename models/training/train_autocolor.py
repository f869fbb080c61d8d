"""Train Tinct's automatic colouriser (TinctColorNet) on the shared photos; write bundled weights.

    python -m tinct.models.training.train_autocolor --config models/training/autocolor-v2.json \\
        --out /tmp/autocolor/tinct-autocolor-v2.safetensors [--data DIR] [--cache DIR] \\
        [--device auto|cpu|cuda] [--loader-workers N]

(then copy the weights into models/weights/ and their sha256 into tinct.models.catalog).
``--data`` is the photos folder: ``../shared/data/photos`` by default, or the folder that
``python -m tinct.models.training.sources --dest DIR`` filled from the Debian packages. A config's
``train_photos`` is a list of names, ``null`` (:data:`split.TRAIN`, the 34 photos of v1) or
``"sources"`` (every photo of :data:`tinct.models.training.sources.TRAINING_PACKAGES`, held-out
ones left out). ``--device`` and ``--loader-workers`` (batches made in that many processes) change
how fast a run goes, not what it trains on: batch ``k`` is the same in every case.

Loss (Zhang et al. 2016), plus, for a network with a regression head, ``regression_weight`` times
the robust (smooth L1) error of its (a*, b*) in units of 10 (sample-weighted): cross-entropy between the network's class scores over the in-gamut ab
bins and the soft-encoded true ab (the ``soft_neighbours`` nearest bin centres, Gaussian weights
of width ``soft_sigma``), each pixel weighted by the rarity of its colour class (class rebalancing:
``w ~ 1 / ((1 - lambda) p + lambda / Q)`` with the training prior ``p`` smoothed by a Gaussian of
width ``prior_sigma`` in ab, normalised so that ``E_p[w] = 1``), each sample by its colourfulness
(see :mod:`tinct.models.training.data`).

Deterministic: torch and the sampler are seeded, and batch ``k`` is drawn from a generator seeded
by ``(seed, k)``, so a run resumed from its checkpoint draws the same batches. Training stops at
``steps``, or earlier at ``max_minutes`` of wall clock; the cosine learning-rate decay follows
whichever comes first, so a run cut by the clock still ends annealed (such a run depends on the
machine's speed; the weights record the steps done).
A checkpoint (model, its exponential moving average, Adam moments, steps and minutes done;
safetensors) is written every ``checkpoint_every`` steps next to ``--out`` (``*.checkpoint``) and
resumed from when present. The shipped weights are
the moving average with BatchNorm folded into the convs, stored in float16, written with
:func:`tinct.models.weights.serialize_safetensors`; their sha256 is printed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import safetensors.torch
import torch
import torch.nn.functional as F

from tinct.core.errors import ParameterError, TinctError

from ..architectures.colornet import TinctColorNet, fold_batchnorm
from ..device import choose_device
from ..registry import SRGB_ENCODING
from ..weights import serialize_safetensors, write_atomic
from . import split
from .data import PREDICTION_STRIDE, CachedPhoto, DataConfig, load_photos, photo_weights, sample_batch

ARCHITECTURE = "TinctColorNet"
DEFAULT_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "photos"
_TRAIN_KEYS = {
    "seed",
    "steps",
    "max_minutes",
    "lr",
    "min_lr_ratio",
    "warmup",
    "weight_decay",
    "ema",
    "rebalance_lambda",
    "prior_sigma",
    "soft_neighbours",
    "soft_sigma",
    "checkpoint_every",
    "log_every",
    "threads",
    "train_photos",
    "model",
    "data",
}
# Keys a config may leave out, and their values then (the v1 config predates them).
_OPTIONAL_KEYS = {"regression_weight": 0.0}
_MODEL_KEYS = {"widths", "bin_size", "temperature"}
_OPTIONAL_MODEL_KEYS = {"regression": 0, "mix": 0.0, "gain": 1.0}
REGRESSION_UNIT = 10.0


@dataclass(frozen=True)
class TrainConfig:
    """The training config file (JSON): optimisation settings, ``model`` and ``data`` sections.

    ``train_photos`` null means :data:`tinct.models.training.split.TRAIN`; ``"sources"`` every
    photo of :data:`tinct.models.training.sources.TRAINING_PACKAGES` not held out.
    """

    seed: int
    steps: int
    max_minutes: float
    lr: float
    min_lr_ratio: float
    warmup: int
    weight_decay: float
    ema: float
    rebalance_lambda: float
    prior_sigma: float
    soft_neighbours: int
    soft_sigma: float
    checkpoint_every: int
    log_every: int
    threads: int
    train_photos: tuple[str, ...]
    model: Mapping[str, object]
    data: DataConfig
    regression_weight: float = 0.0

    @classmethod
    def load(cls, path: Path) -> tuple[TrainConfig, str]:
        """The config and the sha256 of its bytes.

        Raises:
            ParameterError: unreadable, not JSON, unknown or missing keys, values out of range.
        """
        try:
            raw = Path(path).read_bytes()
            values = json.loads(raw)
        except (OSError, json.JSONDecodeError) as exc:
            raise ParameterError(
                "Cannot read the training config",
                expected="a readable JSON file",
                found=str(exc),
                repair="check --config",
                file=path,
            ) from exc
        if not (
            isinstance(values, dict)
            and _TRAIN_KEYS <= set(values) <= _TRAIN_KEYS | set(_OPTIONAL_KEYS)
            and isinstance(values.get("model"), dict)
            and _MODEL_KEYS <= set(values["model"]) <= _MODEL_KEYS | set(_OPTIONAL_MODEL_KEYS)
        ):
            found = sorted(values) if isinstance(values, dict) else type(values).__name__
            raise ParameterError(
                "The training config has other keys than expected",
                expected=f"{sorted(_TRAIN_KEYS)} (optional {sorted(_OPTIONAL_KEYS)}), "
                f"model: {sorted(_MODEL_KEYS)} (optional {sorted(_OPTIONAL_MODEL_KEYS)})",
                found=str(found),
                repair="start from models/training/autocolor.json",
                file=path,
            )
        photos = values.pop("train_photos")
        config = cls(
            **{
                **_OPTIONAL_KEYS,
                **values,
                "model": {**_OPTIONAL_MODEL_KEYS, **values["model"]},
                "train_photos": _photo_names(photos),
                "data": DataConfig.from_dict(values["data"]),
            }
        )
        counts = ("steps", "checkpoint_every", "log_every", "threads", "soft_neighbours")
        problems = [f"{name} < 1" for name in counts if int(getattr(config, name)) < 1]
        problems += ["warmup < 0"] if config.warmup < 0 else []
        rates = ("lr", "soft_sigma", "prior_sigma", "max_minutes")
        problems += [f"{name} <= 0" for name in rates if not getattr(config, name) > 0]
        fractions = ("ema", "rebalance_lambda", "min_lr_ratio")
        problems += [f"{name} outside [0, 1]" for name in fractions if not 0 <= getattr(config, name) <= 1]
        leaked = sorted(set(config.train_photos) & set(split.held_out() + tuple(split.EXCLUDED)))
        if leaked:
            problems.append(f"held-out photos in train_photos: {', '.join(leaked)}")
        if problems or not config.train_photos:
            raise ParameterError(
                "Invalid training config",
                expected="positive counts and rates, held-out photos left out, at least one training photo",
                found="; ".join(problems) or "no photos",
                repair="fix the config",
                file=path,
            )
        return config, hashlib.sha256(raw).hexdigest()


def _photo_names(photos: object) -> tuple[str, ...]:
    if photos is None:
        return split.TRAIN
    if photos == "sources":
        from .sources import TRAINING_PACKAGES

        held = set(split.held_out()) | set(split.EXCLUDED)
        return tuple(n for package in TRAINING_PACKAGES for n in package.names() if n not in held)
    return tuple(str(name) for name in photos)  # type: ignore[attr-defined]


def soft_encode(
    ab: torch.Tensor, centres: torch.Tensor, neighbours: int, sigma: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, 2, h, w) ab -> soft class targets (B, Q, h, w) summing to 1, and (B, h, w) nearest class."""
    points = ab.permute(0, 2, 3, 1)
    distances = ((points[..., None, :] - centres) ** 2).sum(-1)
    nearest_d, nearest = distances.topk(neighbours, dim=-1, largest=False)
    weights = torch.exp(-nearest_d / (2.0 * sigma * sigma))
    weights = weights / weights.sum(-1, keepdim=True)
    target = torch.zeros_like(distances).scatter_(-1, nearest, weights)
    return target.permute(0, 3, 1, 2), nearest[..., 0]


def class_weights(
    photos: Sequence[CachedPhoto], sampling: np.ndarray, centres: np.ndarray, config: TrainConfig
) -> np.ndarray:
    """(Q,) float32 rebalancing weights from the training prior of the ab classes (see module docstring)."""
    counts = np.zeros(len(centres), np.float64)
    for photo, share in zip(photos, sampling):
        ab = photo.lab[::PREDICTION_STRIDE, ::PREDICTION_STRIDE, 1:].astype(np.float32).reshape(-1, 2)
        nearest = np.argmin(((ab[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
        counts += share * np.bincount(nearest, minlength=len(centres)) / len(nearest)
    squared = ((centres[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    prior = np.exp(-squared / (2.0 * config.prior_sigma**2)) @ counts
    prior /= prior.sum()
    lam = config.rebalance_lambda
    weights = 1.0 / ((1.0 - lam) * prior + lam / len(centres))
    return (weights / np.sum(prior * weights)).astype(np.float32)


def loss_fn(
    logits: torch.Tensor,
    target: torch.Tensor,
    nearest: torch.Tensor,
    rebalance: torch.Tensor,
    sample_weight: torch.Tensor,
    regressed: torch.Tensor | None = None,
    ab: torch.Tensor | None = None,
    regression_weight: float = 0.0,
) -> torch.Tensor:
    """Rebalanced, sample-weighted soft cross-entropy, plus the weighted regression error (scalar)."""
    per_pixel = -(target * F.log_softmax(logits.float(), dim=1)).sum(1) * rebalance[nearest]
    per_sample = per_pixel.mean(dim=(1, 2))
    if regressed is not None and ab is not None and regression_weight:
        error = F.smooth_l1_loss(regressed.float() / REGRESSION_UNIT, ab / REGRESSION_UNIT, reduction="none")
        per_sample = per_sample + regression_weight * error.mean(dim=(1, 2, 3))
    return (per_sample * sample_weight).sum() / sample_weight.sum()


def learning_rate(step: int, progress: float, config: TrainConfig) -> float:
    """Linear warm-up over ``warmup`` steps, then cosine decay to ``min_lr_ratio * lr`` at ``progress`` 1."""
    if step < config.warmup:
        return config.lr * (step + 1) / config.warmup
    cosine = 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
    return config.lr * (config.min_lr_ratio + (1.0 - config.min_lr_ratio) * cosine)


def progress(step: int, elapsed_s: float, config: TrainConfig) -> float:
    """How far training is, 0 to 1: by steps, or by the wall-clock budget when that runs out first."""
    return max(step / config.steps, elapsed_s / (60.0 * config.max_minutes))


def new_network(config: TrainConfig) -> TinctColorNet:
    m = config.model
    return TinctColorNet(
        widths=str(m["widths"]),
        bin_size=float(m["bin_size"]),  # type: ignore[arg-type]
        temperature=float(m["temperature"]),  # type: ignore[arg-type]
        batchnorm=1,
        regression=int(m["regression"]),  # type: ignore[call-overload]
        mix=float(m["mix"]),  # type: ignore[arg-type]
        gain=float(m["gain"]),  # type: ignore[arg-type]
    )


class Batches(torch.utils.data.Dataset):
    """Batch ``k`` of a run, drawn from a generator seeded by ``(seed, k)``: the same in any process."""

    def __init__(self, photos: Sequence[CachedPhoto], config: TrainConfig) -> None:
        self.photos, self.config = photos, config

    def __len__(self) -> int:
        return self.config.steps

    def __getitem__(self, step: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        batch = sample_batch(np.random.default_rng([self.config.seed, step]), self.photos, self.config.data)
        return torch.from_numpy(batch.luminance), torch.from_numpy(batch.ab), torch.from_numpy(batch.weight)


def _float_state(network: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone().float() for k, v in network.state_dict().items() if v.is_floating_point()}


def save_checkpoint(
    path: Path,
    step: int,
    elapsed_s: float,
    network: torch.nn.Module,
    ema: Mapping[str, torch.Tensor],
    optimizer: torch.optim.Optimizer,
    config_sha: str,
) -> None:
    tensors = {f"model.{k}": v.cpu().numpy() for k, v in _float_state(network).items()}
    tensors.update({f"ema.{k}": v.cpu().numpy() for k, v in ema.items()})
    names = {id(p): n for n, p in network.named_parameters()}
    for group in optimizer.param_groups:
        for p in group["params"]:
            state = optimizer.state.get(p)
            if state:
                tensors[f"adam.exp_avg.{names[id(p)]}"] = state["exp_avg"].cpu().numpy()
                tensors[f"adam.exp_avg_sq.{names[id(p)]}"] = state["exp_avg_sq"].cpu().numpy()
    metadata = {"step": str(step), "elapsed_s": f"{elapsed_s:.3f}", "config_sha256": config_sha}
    write_atomic(path, serialize_safetensors(tensors, metadata))


def load_checkpoint(
    path: Path,
    network: torch.nn.Module,
    ema: dict[str, torch.Tensor],
    optimizer: torch.optim.Optimizer,
    config_sha: str,
) -> tuple[int, float]:
    """Restore a checkpoint; returns the step to continue from and the seconds already trained.

    Raises:
        ParameterError: the checkpoint was written with another config.
    """
    device = next(network.parameters()).device
    with safetensors.safe_open(str(path), framework="pt", device=str(device)) as stream:  # type: ignore[no-untyped-call]
        meta = stream.metadata()
        tensors = {k: stream.get_tensor(k) for k in stream.keys()}
    if meta.get("config_sha256") != config_sha:
        raise ParameterError(
            "The checkpoint belongs to another training config",
            expected=config_sha,
            found=str(meta.get("config_sha256")),
            repair="delete it or use its config",
            file=path,
        )
    step = int(meta["step"])
    state = network.state_dict()
    for key in _float_state(network):
        state[key].copy_(tensors[f"model.{key}"])
        ema[key].copy_(tensors[f"ema.{key}"])
    for name, p in network.named_parameters():
        if f"adam.exp_avg.{name}" in tensors:
            optimizer.state[p] = {
                "step": torch.tensor(float(step)),  # AdamW keeps its step count on the CPU
                "exp_avg": tensors[f"adam.exp_avg.{name}"],
                "exp_avg_sq": tensors[f"adam.exp_avg_sq.{name}"],
            }
    return step, float(meta["elapsed_s"])


def export(network: TinctColorNet, ema: Mapping[str, torch.Tensor], out: Path, metadata: Mapping[str, str]) -> str:
    """Write the moving-average weights, BatchNorm folded, float16; returns the file's sha256."""
    averaged = _like(network)
    averaged.load_state_dict({**averaged.state_dict(), **{k: v.cpu() for k, v in ema.items()}})
    shipped = fold_batchnorm(averaged.eval())
    tensors = {k: v.numpy().astype(np.float16) for k, v in shipped.state_dict().items()}
    data = serialize_safetensors(tensors, metadata)
    write_atomic(out, data)
    return hashlib.sha256(data).hexdigest()


def _like(network: TinctColorNet) -> TinctColorNet:
    return TinctColorNet(**network.arch_params(), batchnorm=int(network.batchnorm))


def train(
    config: TrainConfig,
    config_sha: str,
    out: Path,
    data_dir: Path,
    cache_dir: Path | None,
    log: Callable[[str], None] = print,
    device: torch.device | None = None,
    loader_workers: int = 0,
) -> str:
    """Run the training described by ``config``; returns the sha256 of the weights written to ``out``.

    ``device`` (default: the CPU) runs the network; on CUDA its convolutions run in bfloat16
    (autocast), the loss and the weights stay float32. ``loader_workers`` processes make batches.
    """
    device = torch.device("cpu") if device is None else device
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    started = time.monotonic()
    photos = load_photos(data_dir, config.train_photos, config.data.cache_short_side, cache_dir)
    sampling = photo_weights(photos, config.data)
    log(
        f"{len(photos)} photos decoded in {time.monotonic() - started:.1f} s; sampling weights "
        + ", ".join(f"{Path(p.name).stem}={w:.3f}" for p, w in zip(photos, sampling))
    )
    network = new_network(config)
    centres = network.bin_centres.clone()
    rebalance = torch.from_numpy(class_weights(photos, sampling, centres.numpy(), config)).to(device)
    log(
        f"{len(centres)} ab classes; rebalancing weights {float(rebalance.min()):.2f}..{float(rebalance.max()):.2f}; "
        f"{sum(p.numel() for p in network.parameters())} parameters; on {device}"
    )
    network.to(device)
    centres = centres.to(device)
    optimizer = torch.optim.AdamW(network.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    ema = _float_state(network)
    checkpoint = out.with_name(out.name + ".checkpoint")
    step = 0
    if checkpoint.is_file():
        step, elapsed = load_checkpoint(checkpoint, network, ema, optimizer, config_sha)
        started -= elapsed  # the wall-clock budget covers the whole training, across resumptions
        log(f"resumed from {checkpoint} at step {step}, {elapsed / 60:.1f} min done")
    network.train()
    batches = torch.utils.data.DataLoader(
        Batches(photos, config),
        batch_size=None,
        sampler=range(step, config.steps),
        num_workers=loader_workers,
        prefetch_factor=4 if loader_workers else None,
        pin_memory=device.type == "cuda",
    )
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")
    # The state dict's tensors are the live weights and statistics (updated in place by each step).
    live = network.state_dict()
    averaged, current = [ema[k] for k in ema], [live[k] for k in ema]
    clock, losses = time.monotonic(), []
    for luminance, ab, weight in batches:
        if (done := progress(step, time.monotonic() - started, config)) >= 1.0:
            break
        luminance, ab, weight = (t.to(device, non_blocking=True) for t in (luminance, ab, weight))
        target, nearest = soft_encode(ab, centres, config.soft_neighbours, config.soft_sigma)
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, done, config)
        with autocast:
            logits, regressed = network.heads(luminance)
        loss = loss_fn(logits, target, nearest, rebalance, weight, regressed, ab, config.regression_weight)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            decay = min(config.ema, (1.0 + step) / (10.0 + step))
            torch._foreach_lerp_(averaged, current, 1.0 - decay)
        step += 1
        losses.append(loss.detach())
        if step % config.log_every == 0 or step == config.steps:
            pace = (time.monotonic() - clock) / len(losses)
            log(
                f"step {step}/{config.steps} loss {torch.stack(losses).mean().item():.4f} "
                f"lr {optimizer.param_groups[0]['lr']:.2e} {pace:.3f} s/step, {(time.monotonic() - started) / 60:.1f} min"
            )
            clock, losses = time.monotonic(), []
        if step % config.checkpoint_every == 0:
            save_checkpoint(checkpoint, step, time.monotonic() - started, network, ema, optimizer, config_sha)
    save_checkpoint(checkpoint, step, time.monotonic() - started, network, ema, optimizer, config_sha)
    minutes = (time.monotonic() - started) / 60.0
    m = config.model
    metadata = {
        "architecture": ARCHITECTURE,
        "arch_params": json.dumps({k: m[k] for k in (*_MODEL_KEYS, *_OPTIONAL_MODEL_KEYS)}, sort_keys=True),
        "scale": "1",
        "task": "colorization",
        "colour_encoding": SRGB_ENCODING,
        "licence": "LicenseRef-Proprietary",
        "training_config_sha256": config_sha,
        "training_steps": str(step),
        "training_minutes": f"{minutes:.1f}",
        "training_photos": str(len(photos)),
        "training_seed": str(config.seed),
    }
    sha = export(network, ema, out, metadata)
    log(f"stopped at step {step}/{config.steps} after {minutes:.1f} min; wrote {out}")
    return sha


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tinct.models.training.train_autocolor", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--config", type=Path, required=True, help="training config (JSON)")
    parser.add_argument("--out", type=Path, required=True, help="weights file to write (.safetensors)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"photos folder (default {DEFAULT_DATA})")
    parser.add_argument("--cache", type=Path, default=None, help="folder for decoded photos (reused between runs)")
    parser.add_argument("--device", default="cpu", help="where the network trains: cpu (default), cuda, auto")
    parser.add_argument("--loader-workers", type=int, default=0, help="processes making batches (default 0: in turn)")
    args = parser.parse_args(argv)
    try:
        config, config_sha = TrainConfig.load(args.config)
        sha = train(
            config,
            config_sha,
            args.out,
            args.data,
            args.cache,
            log=lambda m: print(m, flush=True),
            device=choose_device(args.device),
            loader_workers=max(0, args.loader_workers),
        )
    except TinctError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"sha256 {sha}  {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
