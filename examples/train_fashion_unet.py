"""Train a small diffusers UNet on Fashion-MNIST on CPU and save it as a DDIM pipeline, so
that `claimbench run --model diffusers:path=OUT/pipeline --tasks fid:... --sweep steps=...`
can measure FID against the number of sampling steps (the shape of Meng et al.'s claim:
how fast quality falls as steps are cut).

    python examples/train_fashion_unet.py --images /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz \
        --out runs/fashion-unet --minutes 25

Training is a time budget, not an epoch count: it stops after --minutes of optimisation, or
after exactly --steps optimiser steps (a count that another machine reproduces; a budget gives
fewer steps on a slower or busier one).
A checkpoint (model, EMA, optimiser, step, RNG states) is written atomically every
--checkpoint-every steps, so a killed run restarted with the same command continues where
it stopped (rerun after the budget is spent only re-saves the pipeline). The saved
pipeline uses the EMA weights and a DDIM scheduler sharing the training noise schedule,
with "trailing" timestep spacing so that even a 1-step sample starts from t = 999 (pure
noise) rather than t = 0.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch
from diffusers import DDIMPipeline, DDIMScheduler, DDPMScheduler, UNet2DModel
from diffusers.training_utils import EMAModel
from tqdm import tqdm

from claimbench.harness.image_sources import load_images

TIMESTEPS = 1000


def build_unet() -> UNet2DModel:
    """28x28x1 -> three resolutions (28, 14, 7), no attention: 636k parameters, about 0.35 s per
    batch of 64 on 2 CPU cores (twice as wide is twice as slow for 25 minutes of training)."""
    return UNet2DModel(sample_size=28, in_channels=1, out_channels=1, layers_per_block=1,
                       block_out_channels=(16, 32, 64), norm_num_groups=8,
                       down_block_types=("DownBlock2D", "DownBlock2D", "DownBlock2D"),
                       up_block_types=("UpBlock2D", "UpBlock2D", "UpBlock2D"))


def save_checkpoint(path: Path, state: dict) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)  # a kill mid-save leaves the previous checkpoint intact


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--images", required=True, help="training images: an IDX file, folder or array (see image sources)")
    p.add_argument("--out", required=True, help="folder for checkpoint.pt and the saved pipeline/")
    p.add_argument("--minutes", type=float, default=25.0, help="optimisation time budget (default 25)")
    p.add_argument("--steps", type=int, help="train exactly this many steps instead of for --minutes")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--checkpoint-every", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    images = load_images(args.images).images  # (n, 28, 28, 1) uint8
    data = torch.from_numpy(images.transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1.0)

    torch.manual_seed(args.seed)
    unet = build_unet()
    ema = EMAModel(unet.parameters(), decay=0.999, use_ema_warmup=True)
    opt = torch.optim.AdamW(unet.parameters(), lr=args.lr, weight_decay=0.0)
    noise_schedule = DDPMScheduler(num_train_timesteps=TIMESTEPS)
    step, elapsed = 0, 0.0
    generator = torch.Generator().manual_seed(args.seed)
    ckpt = out / "checkpoint.pt"
    if ckpt.is_file():
        state = torch.load(ckpt, weights_only=True)  # tensors and plain values only: a crafted file cannot run code
        unet.load_state_dict(state["unet"])
        ema.load_state_dict(state["ema"])
        opt.load_state_dict(state["opt"])
        generator.set_state(state["generator"])
        step, elapsed = state["step"], state["elapsed"]
        print(f"resumed at step {step} ({elapsed / 60:.1f} min trained)")

    budget = args.minutes * 60

    def progress() -> int:  # how far training is, in the bar's unit
        return step if args.steps else round(min(elapsed, budget))

    def finished() -> bool:
        return step >= args.steps if args.steps else elapsed >= budget

    bar = tqdm(total=args.steps or round(budget), initial=progress(), unit="step" if args.steps else "s", desc="training")
    unet.train()
    while not finished():
        t0 = time.perf_counter()
        idx = torch.randint(0, len(data), (args.batch_size,), generator=generator)
        x0 = data[idx]
        noise = torch.randn(x0.shape, generator=generator)
        t = torch.randint(0, TIMESTEPS, (args.batch_size,), generator=generator)
        loss = torch.nn.functional.mse_loss(unet(noise_schedule.add_noise(x0, noise, t), t).sample, noise)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        ema.step(unet.parameters())
        step += 1
        dt = time.perf_counter() - t0
        elapsed += dt
        bar.update(progress() - bar.n)
        bar.set_postfix(step=step, loss=f"{loss.item():.4f}")
        if step % args.checkpoint_every == 0 or finished():
            save_checkpoint(ckpt, {"unet": unet.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(),
                                   "generator": generator.get_state(), "step": step, "elapsed": elapsed})
    bar.close()

    ema.copy_to(unet.parameters())
    unet.eval()
    scheduler = DDIMScheduler.from_config(noise_schedule.config, timestep_spacing="trailing")
    pipeline = DDIMPipeline(unet=unet, scheduler=scheduler)
    pipeline.save_pretrained(out / "pipeline")
    n_params = sum(p.numel() for p in unet.parameters())
    print(f"trained {step} steps in {elapsed / 60:.1f} min ({n_params:,} parameters); pipeline: {out / 'pipeline'}")


if __name__ == "__main__":
    main()
