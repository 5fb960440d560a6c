"""Task files outside any package (lm-eval's --include_path): hooks beside the YAML, no PYTHONPATH."""
from __future__ import annotations

import json

from conftest import run_cli

from claimbench.harness import evaluate

YAML = """task: {name}
version: "1.0"
hooks: {hooks}
description: how many words a sentence has
dataset:
  name: {name}
  path: sentences.jsonl
  fields: [text, count]
metrics: [exact_match]
"""
HOOKS = '''from claimbench.harness.requests import Generate
from claimbench.harness.task import TaskHooks


class WordCountHooks(TaskHooks):
    kinds = frozenset({"generate"})

    def requests(self, row, history):
        return [] if history else [Generate(f"How many words are in: {row['text']}\\nAnswer:", max_tokens=4)]

    def process(self, row, history):
        return {"prediction": history[0][1].strip(), "references": [str(row["count"])], "fields": {}}
'''


def _folder(root, name="word_count", hooks="counting:WordCountHooks", module="counting.py"):
    folder = root / "my_tasks" / "nested"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text(YAML.format(name=name, hooks=hooks))
    if module:
        (folder / module).write_text(HOOKS)
    (folder / "sentences.jsonl").write_text("".join(json.dumps({"text": t, "count": len(t.split())}) + "\n"
                                                    for t in ("the cat sat", "hello", "one two three four")))
    return root / "my_tasks"


def test_include_path_registers_the_folders_tasks_with_hooks_beside_them(tmp_path):
    folder = _folder(tmp_path)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    res = run_cli("run", "--model", "scripted", "--tasks", "word_count", "--include-path", str(folder),
                  "--output", str(tmp_path / "out"), "--cache", ":memory:", "--no-progress",
                  cwd=elsewhere, env={"PYTHONPATH": ""})
    assert res.returncode == 0, res.stderr
    result = json.loads((tmp_path / "out" / "word_count" / "results.json").read_text())
    assert result["counts"]["rows"] == 3 and result["task"]["config"]["hooks"] == "counting:WordCountHooks"
    listed = run_cli("list", "tasks", "--include-path", str(folder), cwd=elsewhere)
    assert listed.returncode == 0 and "word_count" in listed.stdout


def test_a_task_file_by_path_finds_its_hooks_beside_it(tmp_path):
    yaml = _folder(tmp_path) / "nested" / "word_count.yaml"
    [r] = evaluate("scripted", [str(yaml)], cache=":memory:")
    assert r.counts["rows"] == 3


def test_a_missing_hooks_file_says_where_to_put_it(tmp_path):
    folder = _folder(tmp_path, hooks="word_hooks:WordCountHooks")
    res = run_cli("run", "--model", "scripted", "--tasks", "word_count", "--include-path", str(folder),
                  "--output", str(tmp_path / "out"), "--cache", ":memory:")
    assert res.returncode == 2 and "put word_hooks.py in" in res.stderr and "Traceback" not in res.stderr


def test_a_name_an_installed_task_has_is_refused_naming_both(tmp_path):
    folder = _folder(tmp_path, name="bamboogle")
    res = run_cli("list", "tasks", "--include-path", str(folder))
    assert res.returncode == 2 and "'bamboogle' is registered twice" in res.stderr and "bamboogle.yaml" in res.stderr


def test_an_include_path_that_is_not_a_folder_of_tasks_is_refused(tmp_path):
    res = run_cli("list", "tasks", "--include-path", str(tmp_path / "nope"))
    assert res.returncode == 2 and "is not a folder" in res.stderr
    (tmp_path / "empty").mkdir()
    res = run_cli("list", "tasks", "--include-path", str(tmp_path / "empty"))
    assert res.returncode == 2 and "holds no task YAML" in res.stderr
