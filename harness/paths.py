"""Where ClaimBench keeps what it downloads, hashes and caches: $CLAIMBENCH_CACHE_DIR or ~/.cache/claimbench."""
from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    return Path(os.environ.get("CLAIMBENCH_CACHE_DIR", Path.home() / ".cache" / "claimbench"))
