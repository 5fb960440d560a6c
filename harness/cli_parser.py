"""The `claimbench` command line's grammar: every subcommand, its arguments and their help.
Kept apart from harness.cli, which says what each subcommand does."""
from __future__ import annotations

import argparse

from .runner import DEFAULT_SEED, default_cache_path

EPILOG = """\
examples:
  claimbench list tasks
  claimbench run --model scripted --tasks demo_arithmetic
  claimbench run --model scripted --tasks demo_arithmetic:method=decompose,demo_choice --limit 10
  claimbench show runs/scripted
  claimbench report runs/scripted
  claimbench leaderboard leaderboards/results --out site/
  claimbench claims leaderboards/results --fail-on-contradicted
  claimbench compare runs/base runs/new --tolerance 0.01 --fail-on-regression
  claimbench rescore leaderboards/results/synthetic_docvqa --out runs/rescored
  claimbench sensitivity --model smollm2-135m --task bamboogle --axis exemplar_seed
  claimbench explain runs/a/bamboogle runs/b/bamboogle

model specs: NAME or NAME:key=value,... (e.g. hf:path=model.gguf,dtype=float32); NAME is a
backend or a preset from `claimbench list models`.
task specs: NAME, NAME:key=value,... (overrides such as method=..., limit=..., path=...), or a YAML file.
"""


def _version() -> str:
    from claimbench import __version__
    return __version__


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="claimbench", description="Evaluate models on the tasks behind published claims, "
                                "with one registry of tasks, model adapters and metrics.",
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"claimbench {_version()}")
    sub = p.add_subparsers(dest="command", required=True,
                         metavar="{list,data,run,show,publish,rescore,sensitivity,explain,report,leaderboard,claims,compare}")

    ls = sub.add_parser("list", help="list what is registered: tasks, models, metrics, request kinds, view kinds, ... "
                                     "(every `claimbench.*` entry-point group installed; no argument: the groups)")
    ls.add_argument("what", nargs="?", metavar="WORD", help="tasks, models, metrics, requests, views, search, ...")
    ls.add_argument("--include-path", action="append", metavar="DIR", help="also list the task YAML files under DIR")
    ls.add_argument("--json", action="store_true", help="print the entries as JSON (for scripts)")

    data = sub.add_parser("data", help="where each task's data comes from, its license, whether it is here; fetch; verify")
    data.add_argument("action", choices=["list", "fetch", "verify"],
                      help="list: every task's dataset, source, license and local copy; fetch: download TASKS' data into "
                           "the cache; verify: re-check local copies against their pinned sha256")
    data.add_argument("tasks", nargs="*", help="task names (default: every registered task; fetch needs at least one)")

    run = sub.add_parser("run", help="evaluate a model on tasks", epilog=EPILOG,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("--model", required=True, help="model spec: preset or backend:key=value,...")
    run.add_argument("--tasks", required=True, action="append", help="comma-separated task specs (repeatable)")
    run.add_argument("--limit", type=int, help="evaluate only the first N rows of each task")
    run.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"seed for subsampling and bootstrap (default {DEFAULT_SEED})")
    run.add_argument("--batch-size", type=int, default=None,
                     help="requests per model call and cache write (default: the backend's: 8; llamacpp its parallel)")
    run.add_argument("--output", help="folder for <task>/results.json and samples.jsonl (default runs/<model>)")
    run.add_argument("--cache", help=f"response cache file (default {default_cache_path()}; ':memory:' for none)")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    run.add_argument("--executor", default="serial", metavar="SPEC",
                     help="who serves the batches: serial (default) or a plug-in executor (`claimbench list executors`); "
                          "results and the cache do not depend on it")
    run.add_argument("--apply-chat-template", action="store_true",
                     help="send every text prompt as a user turn of the model's chat template (task option generation.chat=true)")
    run.add_argument("--system-instruction", metavar="TEXT", help="a system turn before each chat prompt (needs --apply-chat-template)")
    run.add_argument("--fewshot-as-multiturn", action="store_true",
                     help="send each few-shot exemplar as an earlier user turn and assistant reply (needs --apply-chat-template; "
                          "task option generation.multiturn=true)")
    run.add_argument("--gen-kwargs", metavar="K=V,...",
                     help="generation settings for every text request: max_tokens, temperature, top_p, stop (';'-separated), "
                          "seed (needed with temperature > 0)")
    run.add_argument("--log-to", action="append", metavar="SPEC",
                     help="send each task's result to an experiment tracker: mlflow[:tracking_uri=...,experiment=...] or "
                          "wandb[:project=...,mode=offline]; `claimbench list loggers` (repeatable)")
    run.add_argument("--num-fewshot", type=int, metavar="N",
                     help="exemplars per prompt, for tasks whose prompts draw them (multi-hop, Compositional Celebrities)")
    run.add_argument("--include-path", action="append", metavar="DIR",
                     help="register every task YAML under DIR by its task name; hooks resolve beside each file (repeatable)")
    run.add_argument("--dry-run", action="store_true",
                     help="show per task the rows, requests, repeats, cached answers and the cost of the rest; send nothing")
    run.add_argument("--write-out", type=int, metavar="N", help="with --dry-run: print the first N requests as the model receives them")
    run.add_argument("--sweep", action="append", metavar="KEY=V1,V2,...",
                     help="run every task once per value (repeatable: the grid of all combinations); writes grid.json")

    show = sub.add_parser("show", help="print the metrics of a finished run")
    show.add_argument("run_dir", help="a run folder (or a results.json)")

    pub = sub.add_parser("publish", help="copy a run's results into leaderboards/results/<task>/<model>/")
    pub.add_argument("run_dir", help="a run folder (or one task's folder)")
    pub.add_argument("--dest", default="leaderboards/results", help="results root (default leaderboards/results)")

    res = sub.add_parser("rescore", help="score finished runs again with today's task code and metrics, from their "
                                         "recorded responses (no model)")
    res.add_argument("run_dir", help="a run folder, a task's folder or a results root (e.g. leaderboards/results)")
    res.add_argument("--out", required=True, help="folder for the rescored runs (<model>/<task>/); compare or publish them from there")

    sen = sub.add_parser("sensitivity", help="how far a task's numbers move when its declared protocol choices move "
                                             "(exemplars, matching rule, chat template...), beside the row CI")
    sen.add_argument("run_dir", nargs="?", help="a finished run's folder: its task, model and recorded answers (then no --task)")
    sen.add_argument("--model", help="the model (with RUN_DIR: answers what the run never asked; it loads only then)")
    sen.add_argument("--task", help="the task spec to sweep (without RUN_DIR)")
    sen.add_argument("--axis", action="append", metavar="NAME[=V1,V2,...]",
                     help="a declared protocol axis to move, with its declared values or these (repeatable; none: every "
                          "declared axis; `claimbench list tasks` shows them)")
    sen.add_argument("--grid", action="store_true", help="every combination of the axes' values (default: one axis at a time)")
    sen.add_argument("--metric", action="append", help="print only these metrics (all are written)")
    sen.add_argument("--limit", type=int, help="the first N rows (without RUN_DIR)")
    sen.add_argument("--seed", type=int, help=f"row sampling and bootstrap seed (default {DEFAULT_SEED}; a run's own with RUN_DIR)")
    sen.add_argument("--cache", help="response cache file; ':memory:' for none")
    sen.add_argument("--out", help="folder for sensitivity.json and each setting's run (default runs/sensitivity/<model>/<task>)")
    sen.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    sen.add_argument("--include-path", action="append", metavar="DIR", help="register the task YAMLs under DIR (as run does)")

    exp = sub.add_parser("explain", help="how two runs' protocols differ, or a run's and what a paper says it did for a "
                                         "published number, and each differing task option's share of the change")
    exp.add_argument("run_a", help="a run's folder (one task)")
    exp.add_argument("run_b", help="another run's folder, or a published-number claim's id (PAPER/ID, e.g. "
                                   "self_ask/cc.gap-roughly-40) whose stated protocol the run is held against")
    exp.add_argument("--metric", action="append", help="the metric(s) to attribute (default: B's primary metric; a claim's own)")
    exp.add_argument("--model", help="the runs' model, for configurations whose requests neither run made (loads only then)")
    exp.add_argument("--cache", help="response cache file for those (default: none kept)")
    exp.add_argument("--claims", action="append", help="claims YAML files or folders (default leaderboards/claims/)")

    rep = sub.add_parser("report", help="write a self-contained HTML report (report.html) for each task of a run")
    rep.add_argument("run_dir", help="a run folder (or one task's folder)")
    rep.add_argument("--out", help="write the reports under this folder instead of beside each results.json")

    lb = sub.add_parser("leaderboard", help="build Markdown/CSV tables and a static HTML site from result files")
    lb.add_argument("results", nargs="+", help="result folders or results.json files (e.g. leaderboards/results)")
    lb.add_argument("--out", required=True, help="folder for the site (index.html, claims.html, plots.html, runs/, tables/)")
    lb.add_argument("--claims", action="append", help="claims YAML files or folders (default leaderboards/claims/)")
    lb.add_argument("--readme", help="also rewrite the table between <!-- leaderboard:start/end --> in this file")
    lb.add_argument("--sensitivity", action="append", metavar="DIR",
                    help="published protocol sensitivity sweeps (folders `claimbench sensitivity --out` wrote): their page, and "
                         "each relational claim tested across their settings")
    lb.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    cl = sub.add_parser("claims", help="test the relational claims on result files and print their verdicts")
    cl.add_argument("results", nargs="*", default=["leaderboards/results"],
                    help="result folders or results.json files (default leaderboards/results)")
    cl.add_argument("--claims", action="append", help="claims YAML files or folders (default leaderboards/claims/)")
    cl.add_argument("--only", action="append", choices=["holds", "contradicted", "inconclusive"],
                    help="print only claims with this verdict (repeatable)")
    cl.add_argument("--fail-on-contradicted", action="store_true",
                    help="exit with status 5 when a claim is contradicted (for CI)")
    cl.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0, as the site uses)")
    cl.add_argument("--sensitivity", action="append", metavar="DIR",
                    help="also test each claim in every protocol setting of these published sensitivity sweeps")

    cmp = sub.add_parser("compare", help="paired comparison of two runs of the same tasks; flags regressions")
    cmp.add_argument("base", help="the baseline run folder")
    cmp.add_argument("new", help="the run to check")
    cmp.add_argument("--tolerance", action="append", default=[], metavar="[METRIC=]X",
                     help="allowed worsening in the metric's units (0.01 = 1 point of a rate); repeatable, "
                          "METRIC=X for one metric (default 0)")
    cmp.add_argument("--fail-on-regression", action="store_true",
                     help="exit with status 4 when a metric regresses significantly beyond its tolerance, and 6 when "
                          "the runs differ in what they evaluated (a task, rows, the model) without an --allow flag")
    cmp.add_argument("--allow-missing-tasks", action="store_true", help="a task in one run only does not fail the gate")
    cmp.add_argument("--allow-subset", action="store_true",
                     help="rows in one run only (e.g. a --limit run against a full one) do not fail the gate")
    cmp.add_argument("--allow-model-change", action="store_true",
                     help="another model fingerprint (new weights, options, library build) does not fail the gate")
    cmp.add_argument("--max-flips", type=int, metavar="N",
                     help="exit with status 7 when more than N samples' primary score got worse, even if no mean moved")
    cmp.add_argument("--json", metavar="FILE", help="also write everything (metrics, findings, flipped samples) as JSON")
    cmp.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"bootstrap seed (default {DEFAULT_SEED})")
    cmp.add_argument("--across-versions", action="store_true",
                     help="compare runs whose task configs differ (e.g. a protocol fix); samples still pair by id, "
                          "and each such task is marked 'config changed'")
    return p
