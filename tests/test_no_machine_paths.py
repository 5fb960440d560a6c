"""Committed results, site pages and docs name no folder of the machine they were made on: no
checkout, home, temporary or virtual-environment path (model files by name, data relative to
$CLAIMBENCH_DATA, cached files as `cache:...`)."""
from __future__ import annotations

import gzip
import re
import subprocess

from conftest import REPO

MACHINE_PATH = re.compile(r"(?<![\w.~$-])/(?:tmp|home|root|work|Users|private|mnt|scratch)/|site-packages|/\.venv/")


def _committed(*folders: str) -> list[str]:
    return subprocess.run(["git", "ls-files", *folders], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()


def test_committed_results_site_and_docs_carry_no_machine_path():
    found = {}
    for name in _committed("leaderboards", "docs", "README.md"):
        path = REPO / name
        if not path.is_file():
            continue
        data = path.read_bytes()
        text = gzip.decompress(data).decode("utf-8") if name.endswith(".gz") else data.decode("utf-8", errors="replace")
        hits = MACHINE_PATH.findall(text)
        if hits:
            found[name] = sorted(set(hits))
    assert not found, dict(list(found.items())[:5])
