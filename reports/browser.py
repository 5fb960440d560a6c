"""The sample browser's data: every logged sample of a run, compacted, gzipped and base64-encoded.

A report page loads it only when the reader opens the browser, so a 10,000-sample run costs
nothing until asked for. On the site it is a script file beside the page (a <script> tag loads
from disk as well as from a server, where fetch() of a file:// URL is refused); a standalone
report carries it inline. Prompts usually share a long few-shot prefix: it is stored once.
"""
from __future__ import annotations

import base64
import gzip
import json
import os

from claimbench.harness.requests import canonical_json

from .samples import exchange, prompt_text, rounded

CLIP = 4000  # characters kept of one prompt's own part or one output


def _text(value: object) -> str:
    text = value if isinstance(value, str) else canonical_json(value)
    return text if len(text) <= CLIP else text[:CLIP] + f"… ({len(text) - CLIP} more characters)"


_SKIP = object()


def _field(v: object) -> object:
    """A field as the browser filters it: a scalar, or a list of scalars (categories) joined by commas."""
    if isinstance(v, list) and all(isinstance(x, (str, int, float, bool)) for x in v):
        return ", ".join(map(str, v))
    return rounded(v) if isinstance(v, (str, int, float, bool)) or v is None else _SKIP


def records(rows: list[dict]) -> dict:
    """{"prefix": the prompts' shared start, "rows": [{"id", "prompt" (after the prefix), "output" (the raw
    response of the sample's exchange, samples.exchange), "prediction" (what the task extracted), "references", "scores", "fields"}]}."""
    exchanges = [exchange(s) for s in rows]
    prompts = [prompt_text(e.get("request") or {}) for e in exchanges]
    prefix = os.path.commonprefix(prompts) if len(prompts) > 1 else ""
    if len(set(prompts)) > 1:  # whole lines: never cut a word (one prompt for all, e.g. an image task's, is all prefix)
        prefix = prefix[:prefix.rfind("\n") + 1] if "\n" in prefix else ""
    out = []
    for s, last, prompt in zip(rows, exchanges, prompts):
        fields = {k: _field(v) for k, v in (s.get("fields") or {}).items()}
        out.append({"id": str(s.get("id")), "prompt": _text(prompt[len(prefix):]), "output": _text(rounded(last.get("response", ""))),
                    "prediction": _text(s.get("prediction", "")),
                    "references": [_text(r) for r in s.get("references") or []],
                    "scores": {k: rounded(v) for k, v in (s.get("scores") or {}).items() if isinstance(v, (int, float))},
                    "fields": {k: v for k, v in fields.items() if v is not _SKIP}})
    return {"prefix": prefix, "rows": out}


def encode(rows: list[dict]) -> str:
    """`records(rows)` as base64 of gzipped JSON (mtime 0: the same samples give the same bytes)."""
    data = json.dumps(records(rows), ensure_ascii=False, separators=(",", ":")).encode()
    return base64.b64encode(gzip.compress(data, compresslevel=9, mtime=0)).decode("ascii")


def script(rows: list[dict], key: str) -> str:
    """The data file a site's report page loads: it hands the encoded samples to the page's browser under `key`."""
    return f"window.claimbenchSamples({json.dumps(key)}, \"{encode(rows)}\");\n"
