"""The `claimbench` command: what list, data, run, show, publish, rescore, sensitivity, explain,
report, leaderboard, claims and compare do (their grammar is harness.cli_parser).

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
from .cli_parser import build_parser
from .errors import BackendError, ClaimBenchError, ConfigError
from .runner import evaluate
from .visible import visible


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
    if Path(args.run_b).exists():
        from .explain import explain

        lines = explain(args.run_a, args.run_b, metrics=args.metric or (), model=args.model, cache=args.cache).lines()
    else:  # a published number's claim id
        from claimbench.leaderboards.claims import against_run, catalog

        if args.metric:
            raise ConfigError("--metric: a claim states its own metric; drop --metric to explain a run against a claim.")
        claim = against_run.find(catalog.load(args.claims), args.run_b)
        lines = against_run.explain(args.run_a, claim, model=args.model, cache=args.cache).lines()
    print(visible("\n".join(lines)))
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


def _os_error(e: OSError) -> str:
    """An operating-system refusal in words, with the file and what to do."""
    where = f" {e.filename!r}" if e.filename else ""
    full = "free disk space, or point --output/--cache at another disk"
    fix = {errno.ENOSPC: full, errno.EFBIG: full, errno.EDQUOT: full,
           errno.EACCES: "check the file's permissions, or choose another path",
           errno.ENOTDIR: "a path component is a file, not a folder; choose another path",
           errno.EISDIR: "that is a folder; give a file", errno.EEXIST: "remove it or choose another path"}
    return f"{e.strerror or e}:{where}" + (f"; {fix[e.errno]}." if e.errno in fix else ".")


COMMANDS = {  # what each subcommand of cli_parser does
    "list": listing.cmd_list,
    "data": cmd_data,
    "run": cmd_run,
    "show": cmd_show,
    "publish": cmd_publish,
    "rescore": cmd_rescore,
    "sensitivity": cmd_sensitivity,
    "explain": cmd_explain,
    "report": cmd_report,
    "leaderboard": cmd_leaderboard,
    "claims": cmd_claims,
    "compare": cmd_compare,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "include_path", None):
            from .task_folders import include

            include(args.include_path)
        return COMMANDS[args.command](args)
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
