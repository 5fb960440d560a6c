"""Generative image metrics (Meng et al. 2022 report FID/IS of distilled guided diffusion):
FID and KID of any `sample_images` generator against a reference image set."""
from pathlib import Path

from claimbench.harness.task_files import TaskFile

fid = TaskFile(Path(__file__).parent / "fid.yaml")
