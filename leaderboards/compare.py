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
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from claimbench.harness import results, stats
from claimbench.harness.errors import ConfigError
from claimbench.reports import markdown as md
from claimbench.reports import samples as sample_logs
from claimbench.reports.formatting import fmt, is_rate, unit_of


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
                 default_tol: float, tols: dict[str, float], seed: int = 0, across_versions: bool = False) -> list[Row]:
    (base_dir, base), (new_dir, new) = base_run, new_run
    changed = base.task["config_hash"] != new.task["config_hash"]
    if changed and not across_versions:
        raise ConfigError(f"task {base.task['spec']!r}: the two runs used different task configs "
                          f"({base.task['config_hash'][:12]} vs {new.task['config_hash'][:12]}, versions "
                          f"{base.task['version']} vs {new.task['version']}); compare runs of the same task version, "
                          "or pass --across-versions to measure what a protocol change did.")
    base_samples, new_samples = sample_logs.read(base_dir), sample_logs.read(new_dir)
    rows = []
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
            est = stats.paired_bootstrap([b[i] for i in ids], [n[i] for i in ids], seed=seed)
            significant = est.ci is not None and (est.ci[0] > 0 or est.ci[1] < 0)
            rows.append(Row(base.task["spec"], name, bm["value"], nm["value"], est.value, est.ci, est.n, True,
                            bm["higher_is_better"], tol, significant, unit_of(bm), changed))
        else:
            diff = nm["value"] - bm["value"]
            if bm["ci"] and nm["ci"]:
                significant = nm["ci"][0] > bm["ci"][1] or nm["ci"][1] < bm["ci"][0]
            else:
                significant = diff != 0
            rows.append(Row(base.task["spec"], name, bm["value"], nm["value"], diff, None, min(bm["n"], nm["n"]), False,
                            bm["higher_is_better"], tol, significant, unit_of(bm), changed))
    return rows


def compare(base_root: str | Path, new_root: str | Path, tolerances: list[str] | None = None, seed: int = 0,
            across_versions: bool = False) -> list[Row]:
    default_tol, tols = parse_tolerances(tolerances or [])
    base, new = _runs(base_root), _runs(new_root)
    common = sorted(base.keys() & new.keys())
    if not common:
        raise ConfigError(f"no task is in both runs: {sorted(base)} vs {sorted(new)}; compare runs of the same tasks.")
    rows: list[Row] = []
    for spec in common:
        rows.extend(compare_task(base[spec], new[spec], default_tol, tols, seed, across_versions))
    return rows


def _diff_text(row: Row) -> str:
    if row.diff is None:
        return "-"
    scale, unit = (100, " pp") if is_rate(row.unit) else (1, "")
    text = f"{scale * row.diff:+.3g}{unit}"
    if row.ci:
        text += f" [{scale * row.ci[0]:+.3g}, {scale * row.ci[1]:+.3g}]"
    return text


def markdown(rows: list[Row], base_label: str, new_label: str) -> str:
    """A summary for a terminal or $GITHUB_STEP_SUMMARY."""
    bad = [r for r in rows if r.regression]
    head = (f"### ClaimBench compare: {'❌ ' + str(len(bad)) + ' regression(s)' if bad else '✅ no regression'}\n\n"
            f"base {md.text(base_label)} → new {md.text(new_label)}; Δ = new − base with a paired bootstrap 95% CI "
            "(corpus metrics: by value, significant when the runs' CIs do not overlap).\n\n")
    lines = ["| task | metric | base | new | Δ [95% CI] | n | paired | tolerance | verdict |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        verdict = f"**{r.verdict}**" if r.regression else r.verdict
        task = md.text(r.task) + (" (config changed)" if r.config_changed else "")
        lines.append(" | ".join(["", task, md.text(r.metric), fmt(r.unit, r.base), fmt(r.unit, r.new),
                                 _diff_text(r), str(r.n), "yes" if r.paired else "no", f"{r.tolerance:g}", verdict, ""]).strip())
    return head + "\n".join(lines) + "\n"
