"""`wandb`: each finished task as one Weights & Biases run (config, summary metrics with CIs,
the results file and samples log as an artifact). `mode=offline` writes the run under `dir`
for a later `wandb sync`; online needs `wandb login` (or $WANDB_API_KEY)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from claimbench.harness import experiment_log
from claimbench.harness.errors import ConfigError
from claimbench.harness.results import RunResult


class WandbLogger(experiment_log.ExperimentLogger):
    """Logs each finished task to W&B as one run."""

    @dataclass(frozen=True)
    class Options:
        project: str = "claimbench"
        entity: str = ""
        mode: Literal["online", "offline"] = "online"
        dir: str = ""            # where W&B writes its files (default: its own, ./wandb)
        artifacts: bool = True

    def __init__(self, options: Options):
        super().__init__(options)
        try:
            import wandb
        except ImportError:
            raise ConfigError("the wandb logger needs wandb: pip install 'claimbench[loggers]'.") from None
        self.wandb = wandb

    def log(self, result: RunResult, folder: Path | None) -> None:
        o = self.options
        run = self.wandb.init(project=o.project, entity=o.entity or None, mode=o.mode, dir=o.dir or None,
                              name=f"{result.task['spec']} / {result.model['label']}", config=experiment_log.params(result),
                              reinit="create_new")
        try:
            run.summary.update(experiment_log.metrics(result))
            files = experiment_log.artifacts(folder) if o.artifacts else []
            if files:
                artifact = self.wandb.Artifact(f"claimbench-{result.task['name']}", type="claimbench-result")
                for path in files:
                    artifact.add_file(str(path))
                run.log_artifact(artifact)
        finally:
            run.finish()
