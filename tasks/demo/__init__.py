"""Demo tasks on small arithmetic sets that this project wrote itself.

They run end to end with the `scripted` test adapter, so the quickstart and the
engine's tests need no weights and no downloaded data. `demo_arithmetic` shows
multi-round requests: its `decompose` method asks for each step, then uses the
answer in the next question, the shape that self-ask with search takes.
"""
from pathlib import Path

from claimbench.harness.task_files import TaskFile

_HERE = Path(__file__).parent
arithmetic = TaskFile(_HERE / "arithmetic.yaml")
choice = TaskFile(_HERE / "choice.yaml")
