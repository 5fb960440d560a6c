"""The site's sensitivity page: each published sweep (`claimbench sensitivity --out ...`), its
metrics' spread across protocol settings beside the row CI, and a plot of the primary metric."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claimbench.harness.errors import ConfigError
from claimbench.reports.formatting import fmt, fmt_ci
from claimbench.reports.plots import new_figure, to_data_uri

from ..entries import Entry
from ..entries import load as load_entries

FILE = "sensitivity.json"


@dataclass
class Published:
    sweep: dict[str, Any]   # sensitivity.json
    runs: list[Entry]       # its settings' runs

    @property
    def title(self) -> str:
        return f"{self.sweep['model']} on {self.sweep['task']}"

    @property
    def primary(self) -> str:
        config = self.runs[0].result.task["config"] if self.runs else {}
        return config.get("primary_metric") or next(iter(self.sweep["summary"]))

    def tests(self, e: Entry) -> bool:
        """Whether the sweep moved the protocol of run `e`: its model (the same weights, not only the
        same name), and the task as `e` ran it."""
        first = self.sweep["settings"][0]
        return (self.sweep["model"] == e.model_label and first["config_hash"] == e.result.task["config_hash"]
                and bool(self.runs) and self.runs[0].result.model["fingerprint"] == e.result.model["fingerprint"])

    def labels(self) -> list[str]:
        return [", ".join(f"{k}={v}" for k, v in s["moves"].items()) or "as the task is" for s in self.sweep["settings"]]

    def rows(self) -> list[list[str]]:
        """Per metric: the task's own value and CI, the range and SD across settings, the range
        against the CI's width, and the axis that moves it most."""
        out = []
        for name, s in self.sweep["summary"].items():
            ci = s["ci"]
            width = ci[1] - ci[0] if ci else None
            ratio = f"{s['range'] / width:.2f}" if width and s["range"] is not None else "-"
            out.append([name, fmt("", s["value"]), fmt_ci("", ci) if ci else "-",
                        fmt("", s["range"]), fmt("", s["sd"]), ratio, s["most"] or "-"])
        return out

    def plot(self) -> str:
        """The primary metric in each setting, the task-as-is value's 95% row CI as a band."""
        s = self.sweep["summary"][self.primary]
        fig, [ax] = new_figure(max(4.0, 0.5 * len(s["values"]) + 2), 3.0)
        xs = range(len(s["values"]))
        if s["ci"]:
            ax.axhspan(*s["ci"], color="0.85", label="row CI (95%) of the task as it is")
        ax.plot(xs, [v if v is not None else float("nan") for v in s["values"]], "o", color="C0", label="value in the setting")
        ax.set_xticks(list(xs), self.labels(), rotation=90, fontsize=7)  # upright labels never overlap their neighbours
        ax.set_xlim(-0.5, len(s["values"]) - 0.5)
        ax.set_ylabel(self.primary, fontsize=8)
        legend = ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.02, 1.0))  # beside, off the data
        legend.set_in_layout(False)
        return to_data_uri(fig)


def load(folders: list[str | Path]) -> list[Published]:
    """Every sweep under the folders: each sensitivity.json with the runs beside it."""
    found = []
    for folder in folders:
        if not Path(folder).is_dir():
            raise ConfigError(f"--sensitivity {str(folder)!r} is not a folder; give the folder `claimbench sensitivity --out` wrote.")
        for path in sorted(Path(folder).rglob(FILE)):
            try:
                sweep = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as e:
                raise ConfigError(f"{path}: not a sweep's sensitivity.json ({e}).") from None
            found.append(Published(sweep, load_entries([path.parent / "runs"])))
    return found
