"""Task groups: the papers' tables as one name each (harness/task_groups.py)."""
from pathlib import Path

from claimbench.harness.task_groups import GroupFile

_HERE = Path(__file__).parent
self_ask_table1 = GroupFile(_HERE / "self_ask_table1.yaml")
pix2struct_table2 = GroupFile(_HERE / "pix2struct_table2.yaml")
digiface_table = GroupFile(_HERE / "digiface_table.yaml")
forward_gradient_table3 = GroupFile(_HERE / "forward_gradient_table3.yaml")
