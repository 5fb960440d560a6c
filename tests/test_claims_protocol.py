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
    assert not entry.upper_bound


def test_a_relation_tested_on_oracle_search_runs_is_an_upper_bound_counted_apart(committed_site):
    """The paper's claim is about self-ask with Google; runs that searched with the oracle (gold
    decompositions) test an upper bound of it, and the verdict, the page and the counts say so."""
    from claimbench.leaderboards.claims import catalog as claims
    from claimbench.leaderboards.claims import verdicts
    from claimbench.leaderboards.claims import views as verdict_views

    runs = entries.load([COMMITTED_RESULTS])
    [relation] = [r for r in claims.relations() if r.id == "t1.bamboogle.search-helps-self-ask"]
    verdict = verdicts.evaluate(relation, runs)
    assert verdict.upper_bound and verdict_views.mark(verdict).endswith("(oracle upper bound)")
    [other] = [r for r in claims.relations() if r.id == "t1.bamboogle.self-ask-over-cot"]
    assert not verdicts.evaluate(other, runs).upper_bound
    counted = verdict_views.counts([verdict, verdicts.evaluate(other, runs)])
    assert counted.endswith(f"oracle upper bound tests (gold data in place of the paper's search engine): "
                            f"{int(verdict.status == 'holds')} hold, {int(verdict.status == 'contradicted')} contradicted, "
                            f"{int(verdict.status == 'inconclusive')} inconclusive, 0 out of scope")
    page = (committed_site / "claims.html").read_text()
    assert "oracle upper bound: a run searched with gold data" in page


def test_the_oracle_engine_records_the_label_the_leaderboard_reads():
    from claimbench.harness.options import parse_spec
    from claimbench.tasks.multihop.search import SearchEngine, engines

    oracle = object.__new__(engines.subclass("oracle", SearchEngine))  # its label, without loading its encoder
    oracle.spec = parse_spec("oracle:threshold=0.9")
    assert entries.UPPER_BOUND_MARK in oracle.label
    bm25 = object.__new__(engines.subclass("bm25", SearchEngine))
    bm25.spec = parse_spec("bm25:corpus=docs.jsonl")
    assert entries.UPPER_BOUND_MARK not in bm25.label
