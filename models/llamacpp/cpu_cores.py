"""How many physical cores this process may use: the default thread count for CPU backends.

Hyper-threads share one core's arithmetic units, so llama.cpp runs no faster with them and
often slower; counting cores (not logical CPUs) within the process's CPU affinity also
respects `taskset` and container CPU sets.
"""
from __future__ import annotations

import os
from pathlib import Path


def physical_cores() -> int:
    """Distinct (package, core) pairs among the CPUs this process may run on; logical CPUs where unknown."""
    allowed = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set(range(os.cpu_count() or 1))
    cores = set()
    for cpu in allowed:
        topology = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            cores.add(((topology / "physical_package_id").read_text().strip(), (topology / "core_id").read_text().strip()))
        except OSError:
            return max(len(allowed), 1)
    return max(len(cores), 1)
