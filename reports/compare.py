"""`claimbench compare BASE NEW`: did a change make a model worse?

Runs are paired task by task (same task spec) and sample by sample (same sample id).
Metrics with a per-sample score get the mean paired difference with a paired bootstrap
CI (harness.stats.paired_bootstrap): resampling whole pairs keeps the correlation between
the runs, so the interval is far tighter than two independent CIs. Corpus metrics (FID,
the compositionality gap) have no per-sample score; they are compared by value, and a
change counts as significant only when the two runs' own 95% CIs do not overlap (or, with
no CIs, whenever it exceeds the tolerance).

A regression: the difference goes the metric's bad way by more than its tolerance AND is
significant (the paired CI excludes zero).

As a gate it also checks that the two runs measured the same thing: a task or a row present in
one run only, or another model fingerprint, is a finding named in the summary and fails the gate
unless its flag allows it; samples whose primary score changed ("flips") are listed, and
`max_flips` fails on too many that got worse even when no mean moved significantly.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from claimbench.harness import results, stats
from claimbench.harness.errors import ConfigError, did_you_mean

from . import markdown as md
from . import samples as sample_logs
from .formatting import fmt, is_rate, unit_of


@dataclass
class Row:
    task: str
    metric: str
    base: float | None
    new: float | None
    diff: float | None
    ci: tuple[float, float] | None
    n: int
    paired: bool
    higher_is_better: bool
    tolerance: float
    significant: bool
    unit: str = "rate"
    config_changed: bool = False  # the two runs used different task configs (--across-versions)

    @property
    def regression(self) -> bool:
        if self.diff is None:
            return False
        worse = -self.diff if self.higher_is_better else self.diff
        return self.significant and worse > self.tolerance

    @property
    def verdict(self) -> str:
        if self.diff is None:
            return "not comparable"
        if self.regression:
            return "REGRESSION"
        better = self.diff if self.higher_is_better else -self.diff
        if self.significant and better > self.tolerance:
            return "improved"
        return "no significant change" if not self.significant else "within tolerance"


# what a finding is, and the flag that accepts it (claimbench compare --allow-...)
ALLOW = {"missing task": "missing-tasks", "added task": "missing-tasks", "dropped rows": "subset",
         "added rows": "subset", "model changed": "model-change"}


@dataclass(frozen=True)
class Finding:
    """The two runs did not measure the same thing: a task or rows in one only, another model."""

    kind: str
    task: str
    detail: str
    allowed: bool

    @property
    def flag(self) -> str:
        return f"--allow-{ALLOW[self.kind]}"


@dataclass(frozen=True)
class Flip:
    """A sample whose primary score changed between the runs."""

    task: str
    metric: str
    id: str
    before: float
    after: float
    worse: bool
    record: str  # where the new run's record of the sample is: samples file and id


@dataclass
class Comparison:
    base: str
    new: str
    rows: list[Row]
    findings: list[Finding]
    flips: list[Flip]

    def exit_code(self, fail_on_regression: bool, max_flips: int | None) -> int:
        """0, or the first that applies: 4 a metric regressed, 6 the runs differ in what they
        evaluated, 7 more samples got worse than max_flips (these two need their flags)."""
        if fail_on_regression and any(r.regression for r in self.rows):
            return 4
        if fail_on_regression and any(not f.allowed for f in self.findings):
            return 6
        if max_flips is not None and sum(f.worse for f in self.flips) > max_flips:
            return 7
        return 0

    def to_json(self) -> dict:
        return {"base": self.base, "new": self.new,
                "rows": [{**asdict(r), "regression": r.regression, "verdict": r.verdict} for r in self.rows],
                "findings": [{**asdict(f), "flag": f.flag} for f in self.findings],
                "flips": [asdict(f) for f in self.flips]}


def parse_tolerances(items: list[str]) -> tuple[float, dict[str, float]]:
    """['0.01', 'fid=2'] -> (default 0.01, {'fid': 2.0}); values are in the metric's own units."""
    default, per = 0.0, {}
    for item in items:
        name, eq, value = item.rpartition("=")
        try:
            v = float(value)
        except ValueError:
            raise ConfigError(f"--tolerance {item!r}: expected a number (0.01) or METRIC=NUMBER (fid=2).") from None
        if v < 0:
            raise ConfigError(f"--tolerance {item!r}: a tolerance cannot be negative.")
        if eq:
            per[name] = v
        else:
            default = v
    return default, per


def _runs(root: str | Path) -> dict[str, tuple[Path, results.RunResult]]:
    """Each task's folder and result under a run folder, by task spec."""
    out = {}
    for f in results.find_required(root):
        r = results.read(f)
        out[r.task["spec"]] = (f.parent, r)
    return out


def _scores(samples: list[dict], metric: str) -> dict[tuple[str, int], float]:
    """Per-sample scores keyed by row (sample_logs.row_keys: id and occurrence)."""
    return {key: float(s["scores"][metric]) for key, s in zip(sample_logs.row_keys(samples), samples)
            if isinstance(s.get("scores", {}).get(metric), (int, float))}


def compare_task(base_run: tuple[Path, results.RunResult], new_run: tuple[Path, results.RunResult],
                 default_tol: float, tols: dict[str, float], seed: int, across_versions: bool,
                 logs: tuple[list[dict], list[dict]]) -> list[Row]:
    """One task's rows; `logs` are the two runs' samples logs."""
    base, new = base_run[1], new_run[1]
    changed = base.task["config_hash"] != new.task["config_hash"]
    if changed and not across_versions:
        raise ConfigError(f"task {base.task['spec']!r}: the two runs used different task configs "
                          f"({base.task['config_hash'][:12]} vs {new.task['config_hash'][:12]}, versions "
                          f"{base.task['version']} vs {new.task['version']}); compare runs of the same task version, "
                          "or pass --across-versions to measure what a protocol change did.")
    base_samples, new_samples = logs
    rows: list[Row] = []
    for name, bm in base.metrics.items():
        nm = new.metrics.get(name)
        tol = tols.get(name, default_tol)
        if nm is None or bm["value"] is None or nm["value"] is None:
            rows.append(Row(base.task["spec"], name, bm["value"], nm and nm["value"], None, None, 0, False,
                            bm["higher_is_better"], tol, False, unit_of(bm), changed))
            continue
        b, n = _scores(base_samples, name), _scores(new_samples, name)
        ids = sorted(b.keys() & n.keys())
        if ids:
            before, after = [b[i] for i in ids], [n[i] for i in ids]
            est = stats.paired_bootstrap(before, after, seed=seed)
            significant = est.ci is not None and (est.ci[0] > 0 or est.ci[1] < 0)
            # both means over the rows both runs scored, so a smaller run is never shown against
            # the larger run's value (the rows either lacks are findings)
            rows.append(Row(base.task["spec"], name, sum(before) / len(ids), sum(after) / len(ids), est.value, est.ci,
                            est.n, True, bm["higher_is_better"], tol, significant, unit_of(bm), changed))
        else:
            diff = nm["value"] - bm["value"]
            if bm["ci"] and nm["ci"]:
                significant = nm["ci"][0] > bm["ci"][1] or nm["ci"][1] < bm["ci"][0]
            else:
                significant = diff != 0
            rows.append(Row(base.task["spec"], name, bm["value"], nm["value"], diff, None, min(bm["n"], nm["n"]), False,
                            bm["higher_is_better"], tol, significant, unit_of(bm), changed))
    return rows


def _findings(spec: str, base: tuple[Path, results.RunResult], new: tuple[Path, results.RunResult],
              logs: tuple[list[dict], list[dict]], allow: set[str]) -> list[Finding]:
    out = []
    base_keys, new_keys = (set(sample_logs.row_keys(log)) for log in logs)
    for kind, keys, total, other in (("dropped rows", base_keys - new_keys, len(base_keys), "new"),
                                     ("added rows", new_keys - base_keys, len(new_keys), "base")):
        if keys:
            shown = ", ".join(i for i, _ in sorted(keys)[:5]) + (", ..." if len(keys) > 5 else "")
            out.append(Finding(kind, spec, f"{len(keys)} of {total} rows are not in the {other} run ({shown})",
                               ALLOW[kind] in allow))
    bm, nm = base[1].model, new[1].model
    if bm["fingerprint"] != nm["fingerprint"]:
        out.append(Finding("model changed", spec, f"{bm['label']} ({bm['fingerprint'][:12]}) -> {nm['label']} "
                           f"({nm['fingerprint'][:12]})", ALLOW["model changed"] in allow))
    return out


def _flips(spec: str, base: tuple[Path, results.RunResult], new: tuple[Path, results.RunResult],
           logs: tuple[list[dict], list[dict]]) -> list[Flip]:
    """Samples whose primary score differs, paired by row."""
    result = base[1]
    primary = result.task["config"].get("primary_metric") or next(iter(result.metrics), None)
    if primary is None or primary not in new[1].metrics:
        return []
    higher = result.metrics[primary]["higher_is_better"]
    b, n = _scores(logs[0], primary), _scores(logs[1], primary)
    log = next((new[0] / f for f in ("samples.jsonl", "samples.jsonl.gz") if (new[0] / f).is_file()), new[0])
    return [Flip(spec, primary, key[0], b[key], n[key], (n[key] < b[key]) if higher else (n[key] > b[key]),
                 f"{log} id={key[0]}") for key in sorted(b.keys() & n.keys()) if b[key] != n[key]]


def compare(base_root: str | Path, new_root: str | Path, tolerances: list[str] | None = None, seed: int = 0,
            across_versions: bool = False, allow: set[str] | frozenset[str] = frozenset()) -> Comparison:
    """`allow` holds the findings accepted: 'missing-tasks', 'subset', 'model-change'."""
    unknown = set(allow) - set(ALLOW.values())
    if unknown:
        raise ConfigError(f"compare: unknown allowance {sorted(unknown)}; known: {sorted(set(ALLOW.values()))}.")
    default_tol, tols = parse_tolerances(tolerances or [])
    base, new = _runs(base_root), _runs(new_root)
    common = sorted(base.keys() & new.keys())
    if not common:
        raise ConfigError(f"no task is in both runs: {sorted(base)} vs {sorted(new)}; compare runs of the same tasks.")
    findings = [Finding("missing task", spec, "in the base run, not in the new one", "missing-tasks" in allow)
                for spec in sorted(base.keys() - new.keys())]
    findings += [Finding("added task", spec, "in the new run, not in the base one", "missing-tasks" in allow)
                 for spec in sorted(new.keys() - base.keys())]
    measured = {m for spec in common for r in (base[spec][1], new[spec][1]) for m in r.metrics}
    if unknown := sorted(set(tols) - measured):  # a typo would leave the metric at the default tolerance
        raise ConfigError(f"--tolerance names {', '.join(map(repr, unknown))}, which neither run measured; "
                          f"the runs measured {', '.join(sorted(measured))}.{did_you_mean(unknown[0], measured)}")
    rows: list[Row] = []
    flips: list[Flip] = []
    for spec in common:
        logs = (results.read_samples(base[spec][0]), results.read_samples(new[spec][0]))  # each log read once
        rows.extend(compare_task(base[spec], new[spec], default_tol, tols, seed, across_versions, logs))
        findings.extend(_findings(spec, base[spec], new[spec], logs, set(allow)))
        flips.extend(_flips(spec, base[spec], new[spec], logs))
    return Comparison(_describe(base_root, base), _describe(new_root, new), rows, findings, flips)


def _describe(root: str | Path, runs: dict[str, tuple[Path, results.RunResult]]) -> str:
    """A run as the summary names it: its folder and its model(s)."""
    labels = sorted({r.model["label"] for _, r in runs.values()})
    return f"{root} ({', '.join(labels)})"


def _diff_text(row: Row) -> str:
    if row.diff is None:
        return "-"
    scale, unit = (100, " pp") if is_rate(row.unit) else (1, "")
    text = f"{scale * row.diff:+.3g}{unit}"
    if row.ci:
        text += f" [{scale * row.ci[0]:+.3g}, {scale * row.ci[1]:+.3g}]"
    return text


def markdown(c: Comparison, flip_limit: int = 10) -> str:
    """A summary for a terminal or $GITHUB_STEP_SUMMARY."""
    rows = c.rows
    bad = [r for r in rows if r.regression]
    unmet = [f for f in c.findings if not f.allowed]
    status = [f"❌ {len(bad)} regression(s)"] if bad else []
    status += [f"❌ {len(unmet)} difference(s) in what was evaluated"] if unmet else []
    head = (f"### ClaimBench compare: {'; '.join(status) if status else '✅ no regression'}\n\n"
            f"base {md.text(c.base)} → new {md.text(c.new)}; Δ = new − base over the rows both runs scored, with a "
            "paired bootstrap 95% CI (corpus metrics: by value, significant when the runs' CIs do not overlap).\n\n")
    if c.findings:
        head += "".join(f"- **{f.kind}** `{md.text(f.task)}`: {md.text(f.detail)}"
                        + (f" (allowed by {f.flag})" if f.allowed else f" (fails the gate; {f.flag} accepts it)") + "\n"
                        for f in c.findings) + "\n"
    lines = ["| task | metric | base | new | Δ [95% CI] | n | paired | tolerance | verdict |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        verdict = f"**{r.verdict}**" if r.regression else r.verdict
        task = md.text(r.task) + (" (config changed)" if r.config_changed else "")
        lines.append(" | ".join(["", task, md.text(r.metric), fmt(r.unit, r.base), fmt(r.unit, r.new),
                                 _diff_text(r), str(r.n), "yes" if r.paired else "no", f"{r.tolerance:g}", verdict, ""]).strip())
    return head + "\n".join(lines) + "\n" + _flips_text(c.flips, flip_limit)


def _flips_text(flips: list[Flip], limit: int) -> str:
    if not flips:
        return ""
    worse = sum(f.worse for f in flips)
    out = [f"\n{len(flips)} sample(s) changed their primary score ({worse} worse, {len(flips) - worse} better)"
           + (f"; the first {limit} of each task:" if len(flips) > limit else ":"), "",
           "| task | metric | sample | before | after | record |", "|---|---|---|---|---|---|"]
    shown: dict[str, int] = {}
    for f in flips:
        shown[f.task] = shown.get(f.task, 0) + 1
        if shown[f.task] <= limit:
            out.append(f"| {md.text(f.task)} | {md.text(f.metric)} | {md.text(f.id)} | {f.before:g} | {f.after:g}"
                       f"{' (worse)' if f.worse else ''} | {md.text(f.record)} |")
    return "\n".join(out) + "\n"
