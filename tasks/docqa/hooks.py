"""One image question per row, for DocVQA- and ChartQA-style data in either public layout.

The field names come from the task's params (DocVQA says `question`/`answers`, ChartQA
`query`/`label`), so one hook reads the original folder layouts, the hub copies and the
project-made sets. The question goes to the model as text; a model that renders it onto the
image (Pix2Struct) does so itself. `type_labels` names the values of the breakdown field
(ChartQA's hub copy says 0/1 where its folder layout says test_human/test_augmented).
"""
from __future__ import annotations

from claimbench.harness.requests import AnswerImageQuestion
from claimbench.harness.task import History, TaskHooks, Unscorable


class ImageQuestions(TaskHooks):
    """AnswerImageQuestion(image, question) per row; the answer is scored against all gold answers."""

    kinds = frozenset({"answer_image_question"})
    fields = {"question_type": ("question type", "The dataset's type of the question (e.g. form, table, layout).")}
    param_types = {"image": str, "question": str, "answers": str, "types": str | None, "max_tokens": int}
    kinds_help = "an image-question model: pix2struct:path=..., ocr-baseline, or openai:...,images=true (a vision model)"

    def __init__(self, config):
        super().__init__(config)
        p = config.params
        self.image, self.question, self.answers = p["image"], p["question"], p["answers"]
        self.types = p.get("types") or ""
        self.type_labels = {str(k): str(v) for k, v in (p.get("type_labels") or {}).items()}
        self.max_tokens = int(p["max_tokens"])

    def requests(self, row: dict, history: History) -> list:
        if history:
            return []
        return [AnswerImageQuestion(row[self.image], str(row[self.question]), self.max_tokens)]

    def process(self, row: dict, history: History) -> dict:
        gold = row[self.answers]
        refs = [str(a) for a in (gold if isinstance(gold, (list, tuple)) else [gold])]
        if not refs:
            raise Unscorable(f"no gold answer in field {self.answers!r}")
        fields = {}
        if self.types:
            value = row[self.types]
            names = value if isinstance(value, (list, tuple)) else [value]
            fields["question_type"] = [self.type_labels.get(str(v), str(v)) for v in names]
        return {"prediction": str(history[0][1]).strip(), "references": refs, "fields": fields}
