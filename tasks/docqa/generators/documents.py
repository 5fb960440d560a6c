"""Project-made document pages with known answers, in DocVQA's original layout
(`val/val_v1.0.json` beside `val/documents/`), so offline document QA runs use the same loader
as the public set: the set writer, which renders each page and writes the questions of all.
"""
from __future__ import annotations

import json
from pathlib import Path

from claimbench.harness import atomic

from ..synthetic_set import render_set
from .document_items import Document
from .document_layouts import document
from .document_rendering import render_document

DATASET = "claimbench_docs"
ANNOTATIONS = "val/val_v1.0.json"


def document_rows(doc: Document, doc_id: int, image: str) -> list[dict]:
    """The page's questions as DocVQA rows; question ids are doc_id * 10 + k, so they stay put as n grows."""
    return [{"questionId": doc_id * 10 + k, "question": q.question, "question_types": list(q.question_types),
             "image": image, "docId": doc_id, "answers": list(q.answers)} for k, q in enumerate(doc.questions)]


def write_documents(out: Path, n: int, seed: int = 0, progress: bool = False) -> Path:
    """Render n pages under out/claimbench_docs/val/documents/ and write their questions; returns the JSON's path."""
    root = Path(out) / DATASET / "val"

    def one(index: int) -> list[dict]:
        doc = document(seed, index)
        image = f"documents/doc_{index + 1:05d}.png"
        atomic.write_bytes(root / image, render_document(doc))
        return document_rows(doc, index + 1, image)

    data = render_set(n, "documents", "doc", progress, one)
    path = Path(out) / DATASET / ANNOTATIONS
    payload = {"dataset_name": DATASET, "dataset_split": "val", "dataset_version": "1.0", "data": data}
    atomic.write_text(path, json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
    return path
