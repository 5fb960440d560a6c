"""What the claims page says about how a run was made comes from the run's own record."""
from __future__ import annotations

import gzip
import hashlib
import json
import shutil

from conftest import COMMITTED_RESULTS

from claimbench.harness.safe_paths import folder_name
from claimbench.leaderboards import entries

SEARCH_RUN = COMMITTED_RESULTS / folder_name("bamboogle:method=self_ask_search") / "smollm2-135m"


def test_the_committed_search_runs_are_described_as_their_records_say(committed_site):
    [entry] = entries.load([SEARCH_RUN])
    assert "search engine oracle [diagnostic upper bound: reads the gold decomposition]" in entry.protocol
    page = (committed_site / "claims.html").read_text()
    assert "search engine oracle [diagnostic upper bound" in page and "BM25" not in page


def test_a_planted_change_in_the_record_changes_what_is_said(tmp_path):
    planted = tmp_path / "run"
    shutil.copytree(SEARCH_RUN, planted)
    text = gzip.decompress((planted / "samples.jsonl.gz").read_bytes()).decode()
    rows = [json.loads(line) for line in text.splitlines()]
    for row in rows:
        row.setdefault("fields", {})["search_engine"] = "bm25 over docs.jsonl"
    new = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    (planted / "samples.jsonl.gz").write_bytes(gzip.compress(new.encode()))
    result = json.loads((planted / "results.json").read_text())
    result["samples"]["sha256"] = hashlib.sha256(new.encode()).hexdigest()
    result["task"]["config"]["sample"] = 50
    (planted / "results.json").write_text(json.dumps(result))
    [entry] = entries.load([planted])
    assert "search engine bm25 over docs.jsonl" in entry.protocol and "oracle" not in entry.protocol
    assert "seeded sample of 50" in entry.protocol
