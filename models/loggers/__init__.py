"""Experiment loggers (harness/experiment_log.py) for MLflow and Weights & Biases, extra `loggers`."""
