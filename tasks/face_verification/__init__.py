"""Face verification (DigiFace-1M's claims): LFW, CFP-FP, AgeDB-30, CALFW and CPLFW by
InsightFace's 10-fold protocol, read from InsightFace's .bin files or from the releases' own
image folders and pair lists (readers.py)."""
from pathlib import Path

from claimbench.harness.task_files import TaskFile

_here = Path(__file__).parent
lfw = TaskFile(_here / "lfw.yaml")
cfp_fp = TaskFile(_here / "cfp_fp.yaml")
agedb_30 = TaskFile(_here / "agedb_30.yaml")
calfw = TaskFile(_here / "calfw.yaml")
cplfw = TaskFile(_here / "cplfw.yaml")
