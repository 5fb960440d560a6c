"""Relational claims: each kind on constructed runs (the scripted adapter with planted wrong
answers, whose truth is known) and on the committed runs, the CLI, and the YAML schema."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import COMMITTED_RESULTS, run_cli

from claimbench.harness import results
from claimbench.harness.errors import ConfigError
from claimbench.harness.safe_paths import folder_name
from claimbench.leaderboards import entries
from claimbench.leaderboards.claims import catalog as claims
from claimbench.leaderboards.claims import verdicts
from claimbench.leaderboards.claims import views as verdict_views
from claimbench.leaderboards.claims.evidence import Side, measure
from claimbench.leaderboards.entries import Entry

PAPER = {"id": "mine", "title": "T", "authors": "Us", "year": 2026, "version": "arXiv v1"}
SOURCE = {"where": "Table 1", "quote": "Table 1, row Self-ask, column 2Wiki: 30.0"}


def _run(root: Path, name: str, model: str) -> Entry:
    out = root / name
    res = run_cli("run", "--model", model, "--tasks", "demo_arithmetic", "--output", str(out), "--cache", ":memory:",
                  "--no-progress")
    assert res.returncode == 0, res.stderr
    (path,) = results.find(out)
    return Entry(path, results.read(path))  # scripted runs never reach a leaderboard, so not entries.load


@pytest.fixture(scope="module")
def constructed(tmp_path_factory) -> dict[str, Entry]:
    """Scripted tables that answer the 60 questions with their references, except the first 30
    ('half'), the first one ('one_off') or none ('right')."""
    root = tmp_path_factory.mktemp("constructed")
    probe = _run(root, "probe", "scripted")
    rows = [json.loads(line) for line in (probe.path.parent / "samples.jsonl").read_text().splitlines()]
    answers = [(s["requests"][0]["request"]["prompt"], str(s["references"][0])) for s in rows]
    runs = {}
    for name, wrong in (("right", 0), ("half", 30), ("one_off", 1)):
        table = root / f"{name}.yaml"
        table.write_text(yaml.safe_dump({"generate": {p: "no idea" if i < wrong else a for i, (p, a) in enumerate(answers)}}))
        runs[name] = _run(root, name, f"scripted:table={table}")
        assert runs[name].metric("exact_match")["value"] == (60 - wrong) / 60
    return runs


def _relation(kind: str, **fields) -> claims.Relation:
    sides = {k: Side(**v) for k, v in fields.pop("sides").items()}
    return claims.Relation(id="r", paper=PAPER, kind=kind, statement="s", source=SOURCE, paper_scope="p", sides=sides, **fields)


def _model(runs, name):
    return runs[name].model_label


def test_ordering_holds_is_contradicted_or_stays_inconclusive_as_planted(constructed):
    runs = list(constructed.values())
    side = lambda name: {"model": _model(constructed, name), "metric": "exact_match"}  # noqa: E731
    holds = verdicts.evaluate(_relation("ordering", sides={"greater": side("right"), "less": side("half")}), runs)
    assert holds.status == "holds"
    (test,) = holds.tests
    assert test.estimate == pytest.approx(0.5) and test.ci[0] > 0.3
    assert "paired bootstrap over 60 rows" in test.method

    reversed_ = verdicts.evaluate(_relation("ordering", sides={"greater": side("half"), "less": side("right")}), runs)
    assert reversed_.status == "contradicted" and reversed_.tests[0].ci[1] < 0

    # One planted error in 60: the paired CI of 1/60 reaches 0, so no verdict either way.
    close = verdicts.evaluate(_relation("ordering", sides={"greater": side("right"), "less": side("one_off")}), runs)
    assert close.status == "inconclusive" and "spans a difference of 0" in close.reason
    assert close.tests[0].ci[0] == 0.0

    margin = verdicts.evaluate(_relation("ordering", margin=0.7, sides={"greater": side("right"), "less": side("half")}), runs)
    assert margin.status == "contradicted"  # right beats half by 0.5 (CI within 0.3 to 0.7), never by 0.7


def test_parity_and_threshold_verdicts(constructed):
    runs = list(constructed.values())
    side = lambda name: {"model": _model(constructed, name), "metric": "exact_match"}  # noqa: E731
    near = _relation("parity", tolerance=0.1, sides={"a": side("right"), "b": side("one_off")})
    assert verdicts.evaluate(near, runs).status == "holds"
    far = _relation("parity", tolerance=0.1, sides={"a": side("right"), "b": side("half")})
    assert verdicts.evaluate(far, runs).status == "contradicted"
    edge = _relation("parity", tolerance=0.01, sides={"a": side("right"), "b": side("one_off")})
    assert verdicts.evaluate(edge, runs).status == "inconclusive"  # 1/60 > 0.01 but the CI reaches 0

    above = _relation("threshold", above=0.9, sides={"side": side("right")})
    assert verdicts.evaluate(above, runs).status == "holds"
    below = _relation("threshold", below=0.3, sides={"side": side("half")})
    assert verdicts.evaluate(below, runs).status == "contradicted"
    spans = _relation("threshold", below=0.55, sides={"side": side("half")})
    assert verdicts.evaluate(spans, runs).status == "inconclusive"


def test_where_restricts_rows_within_one_run():
    """Sides on one run: each group's rate equals the run's own breakdown, and the rows resample jointly."""
    (run,) = entries.load([COMMITTED_RESULTS / "idiomem" / "smollm2-135m"])
    groups = run.metric("memorized_by_hard_to_guess")["extra"]["groups"]
    easy, hard = (Side(metric="memorized", where=(("hard_to_guess", flag),)) for flag in (False, True))
    assert measure(easy, run).value == pytest.approx(groups["False"]["value"])
    assert measure(hard, run).value == pytest.approx(groups["True"]["value"])
    v = verdicts.evaluate(_relation("ordering", sides={"greater": {**_side(easy), "task": "idiomem"},
                                                       "less": {**_side(hard), "task": "idiomem"}}), [run])
    assert v.status == "holds" and "bootstrap over the run's 852 rows" in v.tests[0].method
    with pytest.raises(ConfigError, match="no sample has the field 'nope'"):
        measure(Side(metric="memorized", where=(("nope", 1),)), run)


def _side(side: Side) -> dict:
    return {"metric": side.metric, "where": side.where}


def test_no_run_and_unmeasurable_runs_are_inconclusive_with_the_reason(constructed):
    runs = list(constructed.values())
    missing = _relation("ordering", sides={"greater": {"model": "nobody", "metric": "exact_match"},
                                           "less": {"model": _model(constructed, "half"), "metric": "exact_match"}})
    v = verdicts.evaluate(missing, runs)
    assert v.status == "inconclusive" and v.reason.startswith("no run") and v.models == []
    wrong_metric = _relation("threshold", above=0.5, sides={"side": {"model": _model(constructed, "right"), "metric": "fid"}})
    v = verdicts.evaluate(wrong_metric, runs)
    assert v.status == "inconclusive" and "has no metric 'fid'" in v.reason


def test_ratio_metric_terms_reproduce_the_committed_gap():
    """The compositionality gap resampled through its per-sample terms starts from the run's own value."""
    (run,) = entries.load([COMMITTED_RESULTS / "compositional_celebrities" / "smollm2-135m"])
    for name in ("compositionality_gap", "compositionality_gap[leak_free]"):
        stat = measure(Side(metric=name), run)
        assert stat.resamplable
        assert stat.value == pytest.approx(run.metric(name)["value"], abs=1e-12)


def test_lens_quantity_agrees_with_the_lens_curves_metric():
    (run,) = entries.load([COMMITTED_RESULTS / "idiomem" / "gemma3-270m"])
    curves = run.metric("lens_curves")["extra"]
    for group, key in ((1, "1.0"), (0, "0.0")):
        stat = measure(Side(quantity="lens_top1_depth", where=(("memorized", group),)), run)
        layer = curves["groups"][key]["first_median_top1_layer"]
        assert stat.value == (layer / curves["layers"] if layer else float("inf"))
    layers = curves["layers"]
    start = round(0.75 * layers) - 1  # the 0-based layer at depth 3/4, as the quantity takes it
    for group, key in ((1, "1.0"), (0, "0.0")):
        gain = measure(Side(quantity="lens_prob_gain:from_depth=0.75", where=(("memorized", group),)), run)
        probs = curves["groups"][key]["mean_prob"]
        assert gain.value == pytest.approx(probs[-1] - probs[start])
    plain = entries.load([COMMITTED_RESULTS / folder_name("idiomem:lens=false")])[0]  # any model: none has a lens
    with pytest.raises(ConfigError, match="no sample of this run carries 'lens'"):
        measure(Side(quantity="lens_top1_depth"), plain)


FID_SERIES = "fid:reference=fashion-mnist/t10k-images-idx3-ubyte.gz[0:1000],num_samples=1000,chunk=100"


def _fid_trend(direction: str) -> claims.Relation:
    return _relation("trend", axis="steps", log_x=True, direction=direction,
                     sides={"runs": {"task": FID_SERIES, "model": "fashion-unet-ddim", "metric": "fid"}})


def test_trend_on_committed_runs(monkeypatch):
    runs = entries.load([COMMITTED_RESULTS])
    falls = verdicts.evaluate(_fid_trend("decreasing"), runs)
    (test,) = falls.tests
    assert falls.status == "holds" and len(test.stats) == 6
    assert "Kendall's tau over 6 runs" in test.method and "p = 0.00833" in test.method  # one inversion of 15 pairs: 6/720, to 3 figures
    assert verdicts.evaluate(_fid_trend("increasing"), runs).status == "contradicted"

    gap = _relation("trend", axis="parameters", log_x=True, direction="non_decreasing", tolerance=0.05,
                    sides={"runs": {"task": "compositional_celebrities", "metric": "compositionality_gap"}})
    v = verdicts.evaluate(gap, runs)  # two families on two backends: no series over size
    assert v.status == "out of scope" and v.models == []
    # were the two one family on one backend, they would make a series, tested by paired bootstrap
    facts = {name: {**info, "family": "one"} for name, info in entries.model_facts().items()}
    monkeypatch.setattr(entries, "model_facts", lambda: facts)
    monkeypatch.setattr(entries.Entry, "backend", property(lambda self: "one"))
    v = verdicts.evaluate(gap, runs)
    assert v.status == "contradicted" and v.models == ["gemma3-270m:backend=llamacpp", "smollm2-135m"]
    assert "paired bootstrap over 8,271 rows" in v.tests[0].method
    loose = _relation("trend", axis="parameters", log_x=True, direction="non_decreasing", tolerance=2.0,
                      sides={"runs": {"task": "compositional_celebrities", "metric": "compositionality_gap"}})
    assert verdicts.evaluate(loose, runs).status == "holds"


def test_a_trend_on_two_runs_without_samples_scores_is_inconclusive(tmp_path):
    for steps in (1, 50):
        spec = f"{FID_SERIES},steps={steps}"
        src = next(p for p in COMMITTED_RESULTS.iterdir() if p.name.startswith(folder_name(spec)[:60])
                   and f"steps={steps}-" in p.name)
        shutil.copytree(src, tmp_path / src.name)
    v = verdicts.evaluate(_fid_trend("decreasing"), entries.load([tmp_path]))
    assert v.status == "inconclusive" and "with 2 runs no order can reach p < 0.025" in v.reason


def _claims_file(tmp_path: Path, relations: list[dict]) -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump({"paper": PAPER, "relations": relations}))
    return path


SELF_ASK_OVER_DIRECT = {"id": "sa", "kind": "ordering", "statement": "self-ask beats direct", "source": SOURCE,
                        "paper_scope": "text-davinci-002", "metric": "exact_match",
                        "greater": {"task": "2wikimultihopqa:method=self_ask"}, "less": {"task": "2wikimultihopqa"}}


def test_cli_prints_verdicts_and_fails_on_a_contradicted_claim(tmp_path):
    contradicted = _claims_file(tmp_path, [SELF_ASK_OVER_DIRECT])
    res = run_cli("claims", str(COMMITTED_RESULTS), "--claims", str(contradicted), "--fail-on-contradicted",
                  env={"GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")})
    assert res.returncode == 5, res.stdout + res.stderr
    assert "| mine | sa: self-ask beats direct | ordering | CONTRADICTED | gemma3-270m:backend=llamacpp, smollm2-135m |" in res.stdout
    assert "1 relational claims: 0 hold, 1 contradicted, 0 inconclusive" in res.stdout
    assert "CONTRADICTED" in (tmp_path / "summary.md").read_text()
    assert run_cli("claims", str(COMMITTED_RESULTS), "--claims", str(contradicted)).returncode == 0


def test_relation_schema_errors_name_the_file_and_the_fix(tmp_path):
    def bad(**changes):
        return _claims_file(tmp_path, [{**SELF_ASK_OVER_DIRECT, **changes}])
    with pytest.raises(ConfigError, match=r"breaks claims.schema.json at relations/0/kind"):
        claims.load_all([bad(kind="vibes")])
    with pytest.raises(ConfigError, match=r"relations/0"):
        claims.load_all([bad(less=None)])
    with pytest.raises(ConfigError, match=r"has \['axis'\], which a ordering claim does not use"):
        claims.load_all([bad(axis="steps")])
    with pytest.raises(ConfigError, match=r"has \['side'\], which a ordering claim does not use"):
        claims.load_all([bad(side={"task": "x"})])  # another kind's side, not a crash
    threshold = {k: v for k, v in SELF_ASK_OVER_DIRECT.items() if k not in ("greater", "less")}
    with pytest.raises(ConfigError, match="exactly one of 'below' or 'above'"):
        claims.load_all([_claims_file(tmp_path, [{**threshold, "kind": "threshold", "side": {"task": "x"},
                                                  "below": 1, "above": 0}])])


def test_every_seeded_relation_gets_a_verdict_on_the_committed_runs():
    relations = claims.relations()
    assert len(relations) >= 2 * 6  # at least two per seed paper
    assert {r.paper["id"] for r in relations} == {"self_ask", "idioms", "distillation", "ddim", "forward_gradient",
                                                  "pix2struct", "digiface"}
    runs = entries.load([COMMITTED_RESULTS])
    by_id = {f"{r.paper['id']}/{r.id}": verdicts.evaluate(r, runs) for r in relations}
    assert all(v.status in ("holds", "contradicted", "inconclusive", "out of scope") and v.reason for v in by_id.values())
    assert by_id["forward_gradient/t3.mnist.fg-a-below-fg-w"].status == "holds"
    assert by_id["self_ask/t1.2wiki.self-ask-over-direct"].status == "contradicted"
    assert by_id["pix2struct/t1.docvqa.large-over-base"].reason.startswith("no run")


def test_runs_of_different_protocol_versions_are_not_compared(tmp_path):
    for spec in ("2wikimultihopqa", "2wikimultihopqa:method=self_ask"):
        src = next(p for p in COMMITTED_RESULTS.iterdir() if p.name.split("-")[0] == folder_name(spec).split("-")[0]
                   and (p / "smollm2-135m").is_dir())
        shutil.copytree(src / "smollm2-135m", tmp_path / src.name / "smollm2-135m")
    old = next(tmp_path.glob("2wikimultihopqa/smollm2-135m/results.json"))
    data = json.loads(old.read_text())
    data["task"]["version"] = "1.0"
    old.write_text(json.dumps(data))
    v = verdicts.evaluate(claims._relation(SELF_ASK_OVER_DIRECT, PAPER, tmp_path / "x.yaml"), entries.load([tmp_path]))
    assert v.status == "inconclusive" and "different versions of its protocol (2wikimultihopqa v1.0, 2wikimultihopqa v1.2)" in v.reason


def test_verdicts_stay_in_the_claims_scope():
    """A trend over model size is tested within one family and backend; runs outside it are 'out of
    scope', never a contradiction; a claim tested on a dataset the paper did not use is a transfer test."""
    runs = entries.load([COMMITTED_RESULTS])
    by_id = {r.id: r for r in claims.relations()}
    size = verdicts.evaluate(by_id["fig1.gap-vs-size"], runs)
    assert size.status == verdicts.OUT_OF_SCOPE and "one family growing" in size.reason
    assert {t.scope.split(", ")[1] for t in size.tests} >= {"SmolLM2 on hf", "Gemma 3 on llamacpp"}
    fashion = verdicts.evaluate(by_id["t3.fashion.lg-fg-a-near-bp"], runs)
    assert fashion.transfer and "Fashion-MNIST" in fashion.transfer
    line = verdict_views.counts([size, fashion])
    assert line.startswith("0 hold, 0 contradicted, 0 inconclusive, 1 out of scope; transfer tests")
