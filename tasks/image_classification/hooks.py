"""One image per row: the model's top_k labels, scored against the row's class index.

The prediction is the model's label list (most likely first) so the metrics read top-1 and
top-k from it; `confidence` (the top label's probability) feeds calibration, `label` the
per-class breakdowns.
"""
from __future__ import annotations

from claimbench.harness.options import convert
from claimbench.harness.requests import ClassifyImage
from claimbench.harness.task import History, TaskHooks, Unscorable


class ImageLabels(TaskHooks):
    """ClassifyImage(image, top_k) per row; scored against the row's label."""

    kinds = frozenset({"classify_image"})
    param_types = {"top_k": int}
    kinds_help = "an image classifier: timm:model=..., torch-module:path=MODEL.pt, onnx:path=MODEL.onnx or efficientnet-lite0"

    def __init__(self, config):
        super().__init__(config)
        self.top_k = convert(config.params.get("top_k", 5), int, f"task {config.task!r} option top_k")

    def requests(self, row: dict, history: History) -> list:
        return [] if history else [ClassifyImage(row["image"], self.top_k)]

    def process(self, row: dict, history: History) -> dict:
        answer = history[0][1]
        if not isinstance(row.get("label"), int):
            raise Unscorable(f"label {row.get('label')!r} is not a class index")
        return {"prediction": list(answer["labels"]), "references": [row["label"]],
                "fields": {"confidence": answer["probs"][0], "label": row["label"]}}
