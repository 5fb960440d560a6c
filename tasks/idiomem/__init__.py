"""Idiom memorization (Haviv et al. 2022, IdioMem): does the model complete an idiom's
last word, and how does that prediction form across layers?"""
from pathlib import Path

from claimbench.harness.task_files import TaskFile

idiomem = TaskFile(Path(__file__).parent / "idiomem.yaml")
