"""Document and chart question answering (Pix2Struct's DocVQA and ChartQA claims): the public
sets in their original folder layouts or from the hub, and project-made sets in the same
layouts (synthetic.py) for offline runs."""
from pathlib import Path

from claimbench.harness.task_files import TaskFile

_here = Path(__file__).parent
docvqa = TaskFile(_here / "docvqa.yaml")
chartqa = TaskFile(_here / "chartqa.yaml")
chartqa_human = TaskFile(_here / "chartqa_human.yaml")
chartqa_augmented = TaskFile(_here / "chartqa_augmented.yaml")
synthetic_docvqa = TaskFile(_here / "synthetic_docvqa.yaml")
synthetic_chartqa = TaskFile(_here / "synthetic_chartqa.yaml")
