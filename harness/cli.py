"""The `claimbench` command: list, data, run, show, publish, report, leaderboard, claims, compare.

Exit codes: 0 success; 2 a problem with the input (the message says what to fix);
3 the model backend failed mid-run (a server went away...); 4 `compare
--fail-on-regression` found a significant regression; 5 `claims --fail-on-contradicted` found
a contradicted claim; 6 `compare --fail-on-regression`: the runs differ in what they evaluated
(a task, rows, the model) without an --allow flag; 7 `compare --max-flips N`: more samples got
worse; 1 an unexpected internal error (with traceback); 130 interrupted. After 3 or 130, rerun
the same command: it resumes from the cache.
"""
from __future__ import annotations

import argparse
import errno
import json
import os
import sys
from pathlib import Path

from . import listing, results, safe_paths, sweep, task_groups
from .errors import BackendError, ClaimBenchError, ConfigError
from .runner import DEFAULT_SEED, default_cache_path, evaluate
from .visible import visible

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

model specs: NAME or NAME:key=value,... (e.g. hf:path=model.gguf,dtype=float32); NAME is a
backend or a preset from `claimbench list models`.
task specs: NAME, NAME:key=value,... (overrides such as method=..., limit=..., path=...), or a YAML file.
"""


def _split_tasks(values: list[str]) -> list[str]:
    """Split comma lists; an item that is only key=value belongs to the task before it."""
    out: list[str] = []
    for value in values:
        for item in value.split(","):
            item = item.strip()
            if not item:
                continue
            if out and "=" in item and ":" not in item.split("=")[0]:
                out[-1] += "," + item
            else:
                out.append(item)
    return out


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.4g}"


def _print_result(r: results.RunResult) -> None:
    req = r.counts["requests"]
    print(visible(f"\n{r.task['name']} (v{r.task['version']}) on {r.model['label']}")
          + (" [testing adapter]" if r.model["testing_only"] else ""))
    print(f"  rows {r.counts['rows']}, scored {r.counts['scored']}, unscored {r.counts['unscored']}; "
          f"requests {req['total']}: {req['total'] - req['unique']} deduplicated, {req['cached']} cached, {req['new']} new; "
          f"{r.timings['total_s']:.2f}s wall: {r.timings['model_s']:.2f}s serving"
          + (f", {r.timings['load_s']:.2f}s loading weights" if r.timings.get("load_s") else ""))
    tok = r.counts.get("tokens")
    if tok:
        print(f"  tokens: {tok['prompt_tokens']} prompt ({tok['reused_prompt_tokens']} reused, {tok['new_prompt_tokens']} "
              f"evaluated), {tok['generated_tokens']} generated ({tok['generated_tokens'] / max(r.counts['rows'], 1):.1f} "
              f"per row), {tok['seconds']:.1f}s of model time when computed")
    for name, why in r.counts["unscored_reasons"].items():
        print(visible(f"  unscored x{why}: {name}"))
    rows = []
    for name, m in r.metrics.items():
        rows.append((name, m, "↑" if m["higher_is_better"] else "↓"))
        groups = m["extra"].get("groups", {})
        if groups and all("value" in g for g in groups.values()):  # a breakdown of rates (mean:...,by=FIELD)
            rows.extend((f"  {name.rsplit('_by_', 1)[-1]}={key}", g, "") for key, g in groups.items())
    width = max(len(row[0]) for row in rows)
    print(f"  {'metric':<{width}}  {'value':>8}  {'stderr':>8}  {'95% CI':>19}  {'n':>6}")
    for name, m, arrow in rows:
        ci = f"[{_fmt(m['ci'][0])}, {_fmt(m['ci'][1])}]" if m["ci"] else "-"
        print(visible(f"  {name:<{width}}  {_fmt(m['value']):>8}  {_fmt(m['stderr']):>8}  {ci:>19}  {m['n']:>6} {arrow}"))


def cmd_data(args: argparse.Namespace) -> int:
    from . import data_catalog

    found = data_catalog.entries(_split_tasks(args.tasks) if args.tasks else None)
    if args.action == "list":
        rows = data_catalog.table(found)
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
        for r in rows:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1])
        return 0
    if args.action == "fetch":
        if not args.tasks:
            raise ConfigError("claimbench data fetch needs the tasks whose data to fetch, e.g. `claimbench data fetch bamboogle`.")
        for e in found:
            print(f"{e.task}: {data_catalog.fetch(e)}")
        return 0
    bad = 0
    for e in found:
        outcome = data_catalog.verify(e)
        if outcome is not None:
            print(f"{e.task}: {outcome}")
            bad += outcome != "ok"
    if bad:
        print(f"{bad} dataset(s) differ from their pinned sha256: delete them and run `claimbench data fetch`.", file=sys.stderr)
    return 2 if bad else 0


def cmd_run(args: argparse.Namespace) -> int:
    tasks, groups = task_groups.expand(_split_tasks(args.tasks))
    controls = dict(apply_chat_template=args.apply_chat_template, system_instruction=args.system_instruction,
                    fewshot_as_multiturn=args.fewshot_as_multiturn, gen_kwargs=args.gen_kwargs, num_fewshot=args.num_fewshot)
    if args.log_to and args.dry_run:
        raise ConfigError("--log-to records finished runs; a --dry-run finishes none: drop one of them.")
    if args.write_out and not args.dry_run:
        raise ConfigError("--write-out N shows the requests of a --dry-run; add --dry-run.")
    if args.dry_run:
        from . import dry_run

        for p in dry_run.plan(args.model, tasks, limit=args.limit, seed=args.seed, cache=args.cache,
                              write_out=args.write_out or 0, **controls):
            print(visible("\n".join(p.lines())))
            for i, text in enumerate(p.shown, 1):
                print(f"--- {p.task}: request {i} ---\n{text}")
        print("dry run: nothing was sent to the model.")
        return 0
    axes = sweep.parse_axes(args.sweep or [])
    grid = [(t, cell, sweep.cell_spec(t, cell)) for t in tasks for cell in sweep.cells(axes)] if axes else []
    output = Path(args.output) if args.output else Path("runs") / safe_paths.folder_name(args.model)
    out = evaluate(args.model, [spec for _, _, spec in grid] or tasks, limit=args.limit, seed=args.seed,
                   batch_size=args.batch_size, output=output, cache=args.cache, progress=not args.no_progress,
                   executor=args.executor, command=["claimbench", *sys.argv[1:]], loggers=args.log_to or (), **controls)
    for r in out:
        _print_result(r)
    for group in groups:
        print("\n" + visible("\n".join(task_groups.table(group, out))))
    print("\nresults written to:")
    for r in out:
        print(f"  {output / safe_paths.folder_name(r.task['spec']) / 'results.json'}")
    if grid:
        sweep.write_grid(output / "grid.json", axes, [(t, cell, r) for (t, cell, _), r in zip(grid, out)])
        print(f"  {output / 'grid.json'} (the sweep's {len(grid)} cells)")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    for f in results.find_required(args.run_dir):
        _print_result(results.read(f))
        print(f"  ({f})")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from claimbench.leaderboards.publish import publish

    for f in results.find_required(args.run_dir):
        print(f"published {publish(f.parent, args.dest)}")
    return 0


def _print_changes(old: results.RunResult, new: results.RunResult) -> None:
    """Each metric before and after a rescore: what today's code changed in the published numbers."""
    names = list(dict.fromkeys([*old.metrics, *new.metrics]))
    width = max(map(len, names))
    print(f"  {'metric':<{width}}  {'before':>8}  {'after':>8}  change")
    for name in names:
        a, b = (old.metric(name) if name in old.metrics else None), (new.metric(name) if name in new.metrics else None)
        change = ("new" if a is None and b is not None else "gone" if b is None and a is not None else
                  "-" if a == b else f"{b - a:+.4g}" if isinstance(a, (int, float)) and isinstance(b, (int, float)) else "changed")
        print(visible(f"  {name:<{width}}  {_fmt(a):>8}  {_fmt(b):>8}  {change}"))


def cmd_rescore(args: argparse.Namespace) -> int:
    from .rescore import rescore

    failed = []
    for f in results.find_required(args.run_dir):
        try:  # one run that cannot be replayed here does not stop the others
            r, written = rescore(f.parent, args.out)
        except ClaimBenchError as e:
            failed.append(f"{f.parent}: {str(e).removeprefix(f'{f.parent}: ')}")
            continue
        _print_result(r)
        print(f"  rescored {f.parent} -> {written}")
        _print_changes(results.read(f.parent), r)
    if failed:
        raise ConfigError(f"{len(failed)} run(s) not rescored:\n  " + "\n  ".join(failed))
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from . import sensitivity

    if args.run_dir is None and (args.model is None or args.task is None):
        raise ConfigError("claimbench sensitivity needs a finished run's folder (RUN_DIR), or --model and --task.")
    label = results.read(Path(args.run_dir)).model["label"] if args.run_dir else args.model
    out = Path(args.out) if args.out else sensitivity.default_output(label, args.task or Path(args.run_dir).name)
    sweep = sensitivity.run(args.task, args.model, from_run=args.run_dir, axes=args.axis or (), grid=args.grid,
                            limit=args.limit, seed=args.seed,
                            cache=args.cache, output=out, progress=not args.no_progress)
    print(visible("\n".join(sensitivity.lines(sweep, args.metric or ()))))
    print(f"\nsensitivity written to: {out / 'sensitivity.json'} (each setting's run under {out / 'runs'})")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from .explain import explain

    found = explain(args.run_a, args.run_b, metrics=args.metric or (), model=args.model, cache=args.cache)
    print(visible("\n".join(found.lines())))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from claimbench.reports.report import write_reports

    for path in write_reports(args.run_dir, args.out):
        print(f"report: {path}")
    return 0


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from claimbench.leaderboards import entries
    from claimbench.leaderboards.builder import site
    from claimbench.leaderboards.claims import catalog as claims

    runs = entries.load(args.results)
    from claimbench.leaderboards.builder import sensitivity_page

    sweeps = sensitivity_page.load(args.sensitivity or [])
    index = site.build(runs, claims.load_all(args.claims), args.out, progress=not args.no_progress, sweeps=sweeps)
    if args.readme:
        site.update_readme(args.readme, runs, args.out)
        print(f"updated the generated blocks (run table, verdicts) in {args.readme}")
    print(f"leaderboard: {index} (open it in a browser; no server needed)")
    print(f"tables: {index.parent / 'leaderboard.md'}, {index.parent / 'tables'}/*.md|csv")
    return 0


def cmd_claims(args: argparse.Namespace) -> int:
    from claimbench.leaderboards import entries
    from claimbench.leaderboards.claims import catalog as claims
    from claimbench.leaderboards.claims import verdicts
    from claimbench.leaderboards.claims import views as verdict_views

    runs = entries.load(args.results)
    tested = [verdicts.evaluate(r, runs, seed=args.seed) for r in claims.relations(args.claims)]
    if args.only:
        tested = [v for v in tested if v.status in args.only]
    text = verdict_views.table(tested)
    if args.sensitivity:
        from claimbench.leaderboards.builder import sensitivity_page
        from claimbench.leaderboards.claims import across

        sweep_runs = [e for p in sensitivity_page.load(args.sensitivity) for e in p.runs]
        crossed = [(v, across.evaluate(v.claim, sweep_runs, seed=args.seed)) for v in tested]
        text += "\nAcross protocol settings (sensitivity sweeps):\n" + "".join(
            f"- {v.claim.paper['id']}/{v.claim.id}: {a.summary()}\n" for v, a in crossed if a)  # type: ignore[attr-defined]
    print(text)
    print(f"{len(tested)} relational claims: {verdict_views.counts(tested)}")
    _step_summary(text)
    return 5 if args.fail_on_contradicted and any(v.status == "contradicted" for v in tested) else 0


def _step_summary(text: str) -> None:
    """Append to $GITHUB_STEP_SUMMARY when set: GitHub Actions shows that file on the run's page."""
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as f:
            f.write(text + "\n")


def cmd_compare(args: argparse.Namespace) -> int:
    from claimbench.reports import compare

    allow = {name for name, on in (("missing-tasks", args.allow_missing_tasks), ("subset", args.allow_subset),
                                   ("model-change", args.allow_model_change)) if on}
    if args.max_flips is not None and args.max_flips < 0:
        raise ConfigError(f"--max-flips must be 0 or more, got {args.max_flips}.")
    result = compare.compare(args.base, args.new, args.tolerance, seed=args.seed, across_versions=args.across_versions,
                             allow=allow)
    text = compare.markdown(result)
    print(text)
    _step_summary(text)
    if args.json:
        from .atomic import write_text
        write_text(Path(args.json), json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
    return result.exit_code(args.fail_on_regression, args.max_flips)


def _version() -> str:
    from claimbench import __version__
    return __version__


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="claimbench", description="Evaluate models on the tasks behind published claims, "
                                "with one registry of tasks, model adapters and metrics.",
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"claimbench {_version()}")
    sub = p.add_subparsers(dest="command", required=True, metavar="{list,data,run,show,publish,rescore,report,leaderboard,claims,compare}")

    ls = sub.add_parser("list", help="list what is registered: tasks, models, metrics, request kinds, view kinds, ... "
                                     "(every `claimbench.*` entry-point group installed; no argument: the groups)")
    ls.add_argument("what", nargs="?", metavar="WORD", help="tasks, models, metrics, requests, views, search, ...")
    ls.add_argument("--include-path", action="append", metavar="DIR", help="also list the task YAML files under DIR")
    ls.add_argument("--json", action="store_true", help="print the entries as JSON (for scripts)")
    ls.set_defaults(func=listing.cmd_list)

    data = sub.add_parser("data", help="where each task's data comes from, its license, whether it is here; fetch; verify")
    data.add_argument("action", choices=["list", "fetch", "verify"],
                      help="list: every task's dataset, source, license and local copy; fetch: download TASKS' data into "
                           "the cache; verify: re-check local copies against their pinned sha256")
    data.add_argument("tasks", nargs="*", help="task names (default: every registered task; fetch needs at least one)")
    data.set_defaults(func=cmd_data)

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
    run.set_defaults(func=cmd_run)

    show = sub.add_parser("show", help="print the metrics of a finished run")
    show.add_argument("run_dir", help="a run folder (or a results.json)")
    show.set_defaults(func=cmd_show)

    pub = sub.add_parser("publish", help="copy a run's results into leaderboards/results/<task>/<model>/")
    pub.add_argument("run_dir", help="a run folder (or one task's folder)")
    pub.add_argument("--dest", default="leaderboards/results", help="results root (default leaderboards/results)")
    pub.set_defaults(func=cmd_publish)

    res = sub.add_parser("rescore", help="score finished runs again with today's task code and metrics, from their "
                                         "recorded responses (no model)")
    res.add_argument("run_dir", help="a run folder, a task's folder or a results root (e.g. leaderboards/results)")
    res.add_argument("--out", required=True, help="folder for the rescored runs (<model>/<task>/); compare or publish them from there")
    res.set_defaults(func=cmd_rescore)

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
    sen.set_defaults(func=cmd_sensitivity)

    exp = sub.add_parser("explain", help="how two runs' protocols differ, and each differing task option's share of a "
                                         "metric's change (evaluated from their recorded answers)")
    exp.add_argument("run_a", help="a run's folder (one task)")
    exp.add_argument("run_b", help="another run's folder")
    exp.add_argument("--metric", action="append", help="the metric(s) to attribute (default: B's primary metric)")
    exp.add_argument("--model", help="the runs' model, for configurations whose requests neither run made (loads only then)")
    exp.add_argument("--cache", help="response cache file for those (default: none kept)")
    exp.set_defaults(func=cmd_explain)

    rep = sub.add_parser("report", help="write a self-contained HTML report (report.html) for each task of a run")
    rep.add_argument("run_dir", help="a run folder (or one task's folder)")
    rep.add_argument("--out", help="write the reports under this folder instead of beside each results.json")
    rep.set_defaults(func=cmd_report)

    lb = sub.add_parser("leaderboard", help="build Markdown/CSV tables and a static HTML site from result files")
    lb.add_argument("results", nargs="+", help="result folders or results.json files (e.g. leaderboards/results)")
    lb.add_argument("--out", required=True, help="folder for the site (index.html, claims.html, plots.html, runs/, tables/)")
    lb.add_argument("--claims", action="append", help="claims YAML files or folders (default leaderboards/claims/)")
    lb.add_argument("--readme", help="also rewrite the table between <!-- leaderboard:start/end --> in this file")
    lb.add_argument("--sensitivity", action="append", metavar="DIR",
                    help="published protocol sensitivity sweeps (folders `claimbench sensitivity --out` wrote): their page, and "
                         "each relational claim tested across their settings")
    lb.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    lb.set_defaults(func=cmd_leaderboard)

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
    cl.set_defaults(func=cmd_claims)

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
    cmp.set_defaults(func=cmd_compare)
    return p


def _os_error(e: OSError) -> str:
    """An operating-system refusal in words, with the file and what to do."""
    where = f" {e.filename!r}" if e.filename else ""
    full = "free disk space, or point --output/--cache at another disk"
    fix = {errno.ENOSPC: full, errno.EFBIG: full, errno.EDQUOT: full,
           errno.EACCES: "check the file's permissions, or choose another path",
           errno.ENOTDIR: "a path component is a file, not a folder; choose another path",
           errno.EISDIR: "that is a folder; give a file", errno.EEXIST: "remove it or choose another path"}
    return f"{e.strerror or e}:{where}" + (f"; {fix[e.errno]}." if e.errno in fix else ".")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "include_path", None):
            from .task_folders import include

            include(args.include_path)
        return args.func(args)
    except BackendError as e:
        print(visible(f"claimbench: backend error: {e}"), file=sys.stderr)
        return 3
    except ClaimBenchError as e:
        print(visible(f"claimbench: error: {e}"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nclaimbench: interrupted; finished responses are cached, rerun the same command to resume.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `claimbench list tasks | head -1`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes stdout
        return 0
    except OSError as e:  # the machine refused a file: full disk, no permission, a file where a folder goes
        print(visible(f"claimbench: error: {_os_error(e)}"), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
