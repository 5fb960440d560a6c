"""Claims registry, leaderboard tables and the static site, built from the committed results."""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import COMMITTED_RESULTS, REPO, run_cli

from claimbench.harness.errors import ConfigError
from claimbench.harness.safe_paths import folder_name
from claimbench.leaderboards import entries
from claimbench.leaderboards.builder import site, tables
from claimbench.leaderboards.claims import catalog as claims

SCRIPT = "<script>window.__pwned=1</script>evil-model"


def test_seeded_claims_load_and_carry_the_papers_numbers():
    by_id = {c.id: c for c in claims.load()}
    assert by_id["t1.bamboogle.self-ask-search"].value == 60.0
    assert by_id["t1.2wiki.self-ask-search"].value == 40.1
    assert by_id["t1.musique.direct"].value == 5.6
    assert by_id["t1.bamboogle.cot"].model == "davinci-002 (InstructGPT)"
    assert by_id["t1.bamboogle.cot"].paper_metric == "accuracy, manually judged by the authors"
    assert by_id["t2.musique.least-to-most"].value == 16.8
    assert by_id["cc.davinci-002.2hop"].value == 45.4
    assert by_id["cc.gap-roughly-40"].approximate and by_id["cc.gap-roughly-40"].metric == "compositionality_gap"
    assert by_id["t2.2wiki.self-ask"].model.endswith("a later deployment than Table 1's")
    assert by_id["t14.2wiki.self-ask-search.cover-em"].value == 53.1 and by_id["t14.musique.cot.f1"].metric == "token_f1"
    assert by_id["lfw.digiface-only"].value == 96.17 and by_id["t5.sx-real.lfw"].value == 99.33
    assert by_id["t4.digiface-1m-real.cplfw"].value == 88.10 and by_id["t1.no-aug.agedb_30"].value == 60.92
    # Bamboogle has no search + post-processing number in the paper: it must not be invented.
    assert "t1.bamboogle.search-post" not in by_id
    assert by_id["t1.docvqa.large"].value == 76.6 and by_id["t1.docvqa.large"].approximate
    assert by_id["t1.chartqa.large"].value == 58.6 and by_id["t1.chartqa.large"].metric == "relaxed_accuracy"
    assert by_id["cplfw.digiface-only"].value == 82.23 and by_id["cplfw.digiface-only"].metric == "verification_accuracy"
    assert by_id["t3.mnist.m116.lg-fg-a"].value == 2.55 and by_id["t3.mnist.m116.lg-fg-a"].metric == "top_k_error:k=1"
    assert by_id["t3.imagenet.l3264.lg-fg-a"].value == 58.37 and by_id["t3.cifar10.m816.fg-a"].value == 59.72
    assert by_id["t4.cifar10.l864.lg-fg-a"].value == 26.81 and by_id["t4.cifar10.l864.bp"].value == 17.53
    assert len(by_id) == len(claims.load()) == 189


SOURCE = {"where": "Table 1", "quote": "Table 1, row Direct, column Bamboogle: 17.6"}


def test_claims_schema_errors_name_the_file_and_the_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"paper": {"id": "p", "title": "T", "authors": "A", "year": 2023, "version": "arXiv v1"},
                                   "claims": [{"id": "c1", "source": SOURCE, "task": "bamboogle", "model": "m",
                                               "metric": "exact_match", "value": "high", "unit": "%", "tolerance": 1}]}))
    with pytest.raises(ConfigError, match=r"bad.yaml breaks claims.schema.json at claims/0/value"):
        claims.load([bad])
    bad.write_text(yaml.safe_dump({"paper": {"id": "p", "title": "T", "authors": "A", "year": 2023, "version": "arXiv v1"},
                                   "claims": [{"id": "c1", "source": SOURCE, "task": "bamboogle", "model": "m",
                                               "metric": "exact_match", "value": 1.0, "unit": "%"}]}))
    with pytest.raises(ConfigError, match=r"claim #1 \(c1\) lacks \['tolerance'\]"):
        claims.load([bad])
    with pytest.raises(ConfigError, match="neither a YAML file nor a folder"):
        claims.load([tmp_path / "missing.yaml"])


def test_an_entry_without_its_quote_or_a_paper_without_its_version_is_refused(tmp_path):
    paper = {"id": "p", "title": "T", "authors": "A", "year": 2023, "version": "arXiv v2"}
    claim = {"id": "c1", "source": {"where": "Table 1", "quote": "Table 1, row Direct, column Bamboogle: 17.6"},
             "task": "bamboogle", "model": "m", "metric": "exact_match", "value": 17.6, "unit": "%", "tolerance": 1}
    relation = {"id": "r1", "kind": "parity", "statement": "s", "source": dict(claim["source"]), "paper_scope": "p",
                "metric": "exact_match", "a": {"task": "x"}, "b": {"task": "y"}, "tolerance": 0.01}
    path = tmp_path / "p.yaml"

    def load(**data):
        path.write_text(yaml.safe_dump({"paper": paper, "claims": [claim], "relations": [relation], **data}))
        return claims.load_all([path])

    assert len(load()) == 2
    unquoted = {"where": "Table 1"}
    for bad, at in [({"claims": [{**claim, "source": unquoted}]}, "claims/0/source"),
                    ({"claims": [{k: v for k, v in claim.items() if k != "source"}]}, "claims/0"),
                    ({"relations": [{**relation, "source": unquoted}]}, "relations/0/source"),
                    ({"relations": [{k: v for k, v in relation.items() if k != "source"}]}, "relations/0"),
                    ({"paper": {k: v for k, v in paper.items() if k != "version"}}, "paper"),
                    ({"defaults": {"source": dict(claim["source"])}}, "defaults")]:  # a quote is never shared
        with pytest.raises(ConfigError, match=f"breaks claims.schema.json at {at}"):
            load(**bad)


def test_every_registered_entry_quotes_its_paper():
    """The registry is auditable: each claim and relation says where in which version of its paper
    it rests, and the words or table cell it rests on."""
    everything = claims.load_all()
    assert all(c.paper["version"] and c.source["where"] and len(c.source["quote"]) >= 12 for c in everything)
    for c in claims.load():  # a number's quote holds the number as the paper prints it
        assert f"{c.value:g}" in c.source["quote"].replace("%", "") or f"{c.value}" in c.source["quote"], c.id


def _claim_file(tmp_path: Path, value: float, model: str = "smollm2-135m") -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump({
        "paper": {"id": "mine", "title": "T", "authors": "Us", "year": 2026, "version": "arXiv v1"},
        "claims": [{"id": "bamboogle-direct", "source": SOURCE, "task": "bamboogle", "method": "direct",
                    "model": model, "metric": "exact_match", "value": value, "unit": "%", "tolerance": 0.5}]}))
    return path


def test_claims_compare_only_with_the_same_model_task_method_and_metric(tmp_path):
    runs = entries.load([COMMITTED_RESULTS])
    # SmolLM2's committed Bamboogle direct EM is 2 of 125 = 1.6% on hf (v1.0) and 3 of 125 = 2.4% on
    # llama.cpp (v1.1): both are SmolLM2 runs, both within 0.5 points of 2.0
    (within,) = claims.check(claims.load([_claim_file(tmp_path, 2.0)]), runs)
    assert within.status == "within tolerance"
    assert sorted(round(v, 6) for _, v in within.comparable) == [1.6, 2.4]
    assert sorted(e.model_label for e, _ in within.context) == ["gemma3-270m", "gemma3-270m:backend=llamacpp"]
    (outside,) = claims.check(claims.load([_claim_file(tmp_path, 10.0)]), runs)
    assert outside.status == "outside tolerance"
    (none,) = claims.check(claims.load([_claim_file(tmp_path, 17.6, model="text-davinci-002")]), runs)
    assert none.status == "no comparable run" and len(none.context) == 4


def test_tables_markdown_and_csv_hold_every_committed_number():
    runs = entries.load([COMMITTED_RESULTS])
    by_spec = {t.task_spec: t for t in tables.build(runs)}
    cc = by_spec["compositional_celebrities"]
    md = tables.to_markdown(cc)
    smol = entries.load([COMMITTED_RESULTS / "compositional_celebrities" / "smollm2-135m"])[0].result
    em, gap = smol.metrics["exact_match"], smol.metrics["compositionality_gap"]
    # "-": the full set, no sample size, no token counts (run before they existed); the EM cell is
    # the result's value and CI in percent
    assert f"| smollm2-135m | - | 135M | {em['n']} | - | {100 * em['value']:.1f}% [{100 * em['ci'][0]:.1f}%, {100 * em['ci'][1]:.1f}%]" in md
    assert "| gemma3-270m:backend=llamacpp | 1200 | 268M | 1200 |" in md  # the seeded sample: a row, not a table
    assert f"{100 * gap['value']:.1f}% [{100 * gap['ci'][0]:.1f}%, {100 * gap['ci'][1]:.1f}%]" in md  # the gap with its CI
    rows = list(csv.DictReader(io.StringIO(tables.to_csv(cc))))
    gemma = next(r for r in rows if r["model"] == "gemma3-270m:backend=llamacpp")
    result = entries.load([COMMITTED_RESULTS / "compositional_celebrities" / folder_name("gemma3-270m:backend=llamacpp")])[0]
    assert float(gemma["compositionality_gap"]) == result.metric("compositionality_gap")["value"]
    assert gemma["parameters"] == "268098176"
    fid = next(t for spec, t in by_spec.items() if spec.startswith("fid:") and "[0:2500]" in spec)
    assert "network" in fid.columns
    assert "default sha256:7ff4a85c3a63 clean" in tables.to_markdown(fid)  # the network: name, hash, resize mode


def test_tables_show_generated_tokens_per_row_where_runs_counted_them():
    by_spec = {t.task_spec: t for t in tables.build(entries.load([COMMITTED_RESULTS]))}
    per_method = {}
    for spec in ("compositional_celebrities", "compositional_celebrities:method=chain_of_thought",
                 "compositional_celebrities:method=self_ask"):
        table = by_spec[spec]
        col = table.columns.index(tables.COST)
        e = next(e for e in table.entries if e.model_label == "smollm2-135m:backend=llamacpp")
        tok = e.result.counts["tokens"]
        per_method[spec] = tok["generated_tokens"] / e.result.counts["rows"]
        assert table.rows[table.entries.index(e)][col].text == f"{per_method[spec]:.1f}"
        assert tok["requests"] == e.result.counts["requests"]["total"]  # every asked request counted
    # the elicitive methods write their reasoning out: more tokens per question than a direct answer
    direct = per_method.pop("compositional_celebrities")
    assert all(direct < elicitive for elicitive in per_method.values())


def test_leaderboard_site_pages_link_every_value_to_an_existing_report(committed_site):
    index = (committed_site / "index.html").read_text()
    links = set(re.findall(r'href="(runs/[^"]+\.html)"', index))
    assert len(links) == len(entries.load([COMMITTED_RESULTS]))
    assert all((committed_site / link).is_file() for link in links)
    claims_page = (committed_site / "claims.html").read_text()
    assert claims_page.count('<tr class="claim">') == len(claims.load())
    assert "no comparable run" in claims_page
    relations = claims_page.count('<tr class="relation">')
    assert relations == len(claims.relations()) and claims_page.count('<section class="evidence"') == relations
    for anchor in re.findall(r'href="#(ev-[^"]+)"', claims_page):
        assert f'id="{anchor}"' in claims_page
    plots_page = (committed_site / "plots.html").read_text()
    for title in ("compositionality gap: against model size", "logit-lens curves: the target layer by layer",
                  "FID: against the settings that differ between runs"):
        assert title in plots_page
    assert plots_page.count('src="data:image/png;base64,') == 5  # gap, gap[leak_free], lens, FID, KID
    report = (committed_site / "runs" / "idiomem" / "smollm2-135m.html").read_text()
    assert "logit-lens curves: the target layer by layer" in report and "memorized by source: by source" in report
    assert "Failures on memorized" in report
    assert (committed_site / "tables" / "compositional_celebrities.csv").is_file()
    assert sum(1 for _ in (committed_site / "tables").glob("*.md")) == len(tables.build(entries.load([COMMITTED_RESULTS])))


def test_readme_is_a_front_door_that_links_the_generated_table():
    """The generated table lives in the site (summary.md, checked current below); the README links it,
    stays short, and every relative link in it points to a file of the repository."""
    readme = (REPO / "README.md").read_text()
    assert "leaderboards/site/summary.md" in readme and "<!-- leaderboard:start -->" not in readme
    assert len(readme.splitlines()) <= 250
    for target in re.findall(r"\]\(((?!https?:|#)[^)#\s]+)", readme):
        assert (REPO / target).exists() or target.startswith("../"), target


def test_committed_site_is_current(committed_site):
    """leaderboards/site/ is what the builder writes from the committed results and claims."""
    committed = REPO / "leaderboards" / "site"
    for page in ("index.html", "claims.html", "sensitivity.html", "leaderboard.md", "summary.md", "verdicts.md"):
        assert (committed / page).read_text() == (committed_site / page).read_text(), (
            f"leaderboards/site/{page} is stale; rebuild: claimbench leaderboard leaderboards/results "
            "--out leaderboards/site --sensitivity leaderboards/sensitivity --readme README.md")
    readme = (REPO / "README.md").read_text()
    block = readme.split(site.VERDICTS_START, 1)[1].split(site.VERDICTS_END, 1)[0]
    assert block == (committed_site / "verdicts.md").read_text(), "the README's verdicts are stale; rebuild as above"


def test_the_published_site_stays_under_its_stated_size():
    """docs/leaderboards.md promises a site under 20 MB: thumbnails, browser data and pages together."""
    site = REPO / "leaderboards" / "site"
    assert sum(f.stat().st_size for f in site.rglob("*") if f.is_file()) < 20_000_000


def untrusted_results(tmp_path: Path) -> Path:
    """A committed result whose model label and one answer are hostile markup."""
    src = COMMITTED_RESULTS / "idiomem" / "smollm2-135m"
    dest = tmp_path / "results" / "idiomem" / "evil"
    shutil.copytree(src, dest)
    with gzip.open(src / "samples.jsonl.gz", "rt") as f:
        samples = [json.loads(line) for line in f]
    text = "".join(json.dumps({**s, "prediction": '<img src=x onerror="window.__pwned=2">'}) + "\n" for s in samples)
    (dest / "samples.jsonl.gz").write_bytes(gzip.compress(text.encode()))
    data = json.loads((src / "results.json").read_text())
    data["model"]["label"] = SCRIPT
    data["samples"] = {"file": "samples.jsonl", "sha256": hashlib.sha256(text.encode()).hexdigest(), "rows": len(samples)}
    (dest / "results.json").write_text(json.dumps(data))
    return tmp_path / "results"


def test_untrusted_strings_are_escaped(tmp_path):
    out = tmp_path / "site"
    res = run_cli("leaderboard", str(untrusted_results(tmp_path)), "--out", str(out), "--no-progress")
    assert res.returncode == 0, res.stderr
    pages = [out / "index.html", *(out / "runs").rglob("*.html")]
    for page in pages:
        html = page.read_text()
        assert "<script>window.__pwned" not in html and "<img src=x" not in html, page
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;evil-model" in (out / "index.html").read_text()
    report = next((out / "runs").rglob("*.html")).read_text()
    assert "&lt;img src=x onerror=" in report


def test_rebuild_removes_its_own_stale_pages_and_nothing_else(tmp_path):
    out = tmp_path / "site"
    site.build(entries.load([COMMITTED_RESULTS / "idiomem"]), [], out, progress=False)
    (out / "notes.txt").write_text("mine")
    gemma = out / "runs" / "idiomem" / "gemma3-270m.html"
    assert gemma.is_file()
    site.build(entries.load([COMMITTED_RESULTS / "idiomem" / "smollm2-135m"]), [], out, progress=False)
    assert not gemma.exists() and (out / "runs" / "idiomem" / "smollm2-135m.html").is_file()
    assert (out / "notes.txt").read_text() == "mine"


def test_committed_run_names_carry_no_machine_path():
    """Folder names, task specs and model labels are the same on every machine."""
    machine = ("/usr/", "/home/", "/tmp/", "/root/", "/work/", "_usr_", "runs/", "runs_")
    for f in COMMITTED_RESULTS.glob("*/*/results.json"):
        r = json.loads(f.read_text())
        names = [str(f.parent.relative_to(COMMITTED_RESULTS)), r["task"]["spec"], r["model"]["label"]]
        assert not any(m in n for n in names for m in machine), names


def test_testing_adapter_runs_never_reach_a_leaderboard(tmp_path):
    run = tmp_path / "runs"
    res = run_cli("run", "--model", "scripted", "--tasks", "demo_arithmetic", "--output", str(run), "--cache", ":memory:",
                  "--no-progress", "--limit", "5")
    assert res.returncode == 0, res.stderr
    shutil.copytree(COMMITTED_RESULTS / "idiomem" / "smollm2-135m", run / "idiomem")
    lb = run_cli("leaderboard", str(run), "--out", str(tmp_path / "site"), "--no-progress")
    assert lb.returncode == 2 and "testing-only adapter" in lb.stderr and "demo_arithmetic" in lb.stderr, lb.stderr
    assert not (tmp_path / "site" / "index.html").exists()


def test_two_results_for_one_task_and_model_are_refused(tmp_path):
    for name in ("a", "b"):
        shutil.copytree(COMMITTED_RESULTS / "idiomem" / "smollm2-135m", tmp_path / "r" / name)
    with pytest.raises(ConfigError, match="two results for task 'idiomem' on model 'smollm2-135m'"):
        entries.load([tmp_path / "r"])
