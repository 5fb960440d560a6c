"""The library of uniform metrics any task may use, in the torchmetrics shape.

`base` holds the Metric API (update / compute, MetricValue, make_metric); the other
modules are metrics: QA matching (qa), accuracy, field means, and the generative image
metrics (image: FID, KID, IS, over frechet, kernel_distance, inception_score and the
feature network). Metrics that serve one task family only live with that family under
tasks/. All are found through the `claimbench.metrics` entry-point group.
"""
from .base import Metric, MetricValue, PerSampleMetric, make_metric

__all__ = ["Metric", "MetricValue", "PerSampleMetric", "make_metric"]
