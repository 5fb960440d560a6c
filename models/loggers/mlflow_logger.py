"""`mlflow`: each finished task as one MLflow run (parameters, metrics with CIs, artifacts).

`tracking_uri` is any MLflow tracking URI (a server's http(s) URL, `databricks`, a local
`file:` store); empty means MLflow's own default ($MLFLOW_TRACKING_URI). A database URI
(`sqlite:///...`) needs the full `mlflow` package rather than `mlflow-skinny`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from claimbench.harness import experiment_log
from claimbench.harness.errors import ConfigError
from claimbench.harness.results import RunResult


class MLflowLogger(experiment_log.ExperimentLogger):
    """Logs each finished task to MLflow as one run."""

    @dataclass(frozen=True)
    class Options:
        tracking_uri: str = ""
        experiment: str = "claimbench"
        artifacts: bool = True   # upload results.json and the samples log

    def __init__(self, options: Options):
        super().__init__(options)
        try:
            import mlflow
        except ImportError:
            raise ConfigError("the mlflow logger needs MLflow: pip install 'claimbench[loggers]'.") from None
        self.mlflow = mlflow
        if options.tracking_uri:
            mlflow.set_tracking_uri(options.tracking_uri)
        mlflow.set_experiment(options.experiment)

    def log(self, result: RunResult, folder: Path | None) -> None:
        name = f"{result.task['spec']} / {result.model['label']}"
        with self.mlflow.start_run(run_name=name):
            self.mlflow.log_params(experiment_log.params(result))
            self.mlflow.log_metrics(experiment_log.metrics(result))
            self.mlflow.set_tags({"claimbench.task": result.task["name"], "claimbench.model": result.model["label"]})
            if self.options.artifacts:
                for path in experiment_log.artifacts(folder):
                    self.mlflow.log_artifact(str(path))
