"""Multi-hop QA from Press et al. 2022 (self-ask): Compositional Celebrities and the
compositionality gap; Bamboogle, 2WikiMultiHopQA and MuSiQue with direct,
chain-of-thought and self-ask prompting."""
from pathlib import Path

from claimbench.harness.task_files import TaskFile

_HERE = Path(__file__).parent
compositional_celebrities = TaskFile(_HERE / "compositional_celebrities.yaml")
bamboogle = TaskFile(_HERE / "bamboogle.yaml")
twowiki = TaskFile(_HERE / "2wikimultihopqa.yaml")
musique = TaskFile(_HERE / "musique.yaml")
