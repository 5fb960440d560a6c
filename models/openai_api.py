"""`openai`: any OpenAI-compatible HTTP server (completions and chat endpoints), extra `api`.

Requests go through the official `openai` client, which retries 429, 5xx and
connection errors with exponential backoff (honouring Retry-After); a thread pool
keeps at most `concurrency` requests in flight. Generate uses /completions, or
/chat/completions when the task asks for chat. LogLikelihood is opt-in
(`loglikelihood=true`): it reads prompt logprobs from /completions with echo, which
only some servers compute correctly (vLLM's does). llama-cpp-python's server 0.3.36
returns them shifted by one position (each prompt token's logprob is taken from the
distribution that predicts the next token), so do not enable it there; use the
`llamacpp` adapter on the GGUF file instead. `extra_body` passes server-specific
sampling fields, e.g. extra_body='{"repeat_penalty": 1.0}' for llama-cpp-python,
whose server otherwise penalises repeats even at temperature 0.

Errors: a 4xx answer other than 408 / 409 / 429 (prompt longer than the server's
context, unknown model, bad API key) and a `base_url` that is not an http(s) URL are
bad input that a rerun would repeat, so they raise ConfigError (CLI exit 2) naming the
request and what to fix. Only 408 / 409 / 429, 5xx, connection errors and timeouts that
outlast the retries raise BackendError (exit 3): finished responses are cached and a
rerun resumes.

The cache key covers `model` and `identity`, not the URL: a server restarted on
another port still hits the cache. Give `identity=` (e.g. the weights' sha256) when
one model name can mean different weights.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from harness.errors import BackendError, ConfigError, RequestRejected
from harness.model import ModelAdapter, option
from harness.requests import Generate, LogLikelihood, Request

from .text import truncate_at_stop


class OpenAIAdapter(ModelAdapter):
    kinds = frozenset({"generate"})  # + loglikelihood with the loglikelihood=true option

    @dataclass(frozen=True)
    class Options:
        model: str = option(doc="model name sent to the server")
        base_url: str = option("http://127.0.0.1:8000/v1", fingerprint=False, doc="server URL up to /v1")
        api_key_env: str = option("OPENAI_API_KEY", fingerprint=False, doc="environment variable holding the API key")
        identity: str | None = option(None, doc="what identifies the weights behind `model` (goes into the cache key)")
        extra_body: str | None = option(None, doc="JSON object of server-specific request fields")
        loglikelihood: bool = option(False, doc="serve loglikelihood from echoed prompt logprobs (servers that get them right)")
        concurrency: int = option(4, fingerprint=False, doc="requests in flight at once")
        timeout: float = option(60.0, fingerprint=False, doc="seconds per HTTP request")
        max_retries: int = option(5, fingerprint=False, doc="retries on 429 / 5xx / connection errors")

    def __init__(self, options: Options, spec, label=None):
        super().__init__(options, spec, label)
        try:
            import openai
        except ImportError:
            raise ConfigError("the openai backend needs the openai client: pip install 'claimbench[api]'.") from None
        if options.concurrency < 1 or options.max_retries < 0 or options.timeout <= 0:
            raise ConfigError("openai: concurrency must be >= 1, max_retries >= 0 and timeout > 0.")
        _check_base_url(options.base_url)
        try:
            self._extra = json.loads(options.extra_body) if options.extra_body else None
        except json.JSONDecodeError as e:
            raise ConfigError(f"openai: extra_body is not valid JSON ({e}); quote it like extra_body='{{\"key\": 1}}'.") from None
        if self._extra is not None and not isinstance(self._extra, dict):
            raise ConfigError("openai: extra_body must be a JSON object.")
        if options.loglikelihood:
            self.kinds = frozenset({"generate", "loglikelihood"})
        self.client = openai.OpenAI(base_url=options.base_url, api_key=os.environ.get(options.api_key_env) or "not-needed",
                                    max_retries=options.max_retries, timeout=options.timeout)

    def identity(self) -> dict[str, Any]:
        return {"model": self.options.model, "identity": self.options.identity}

    def serve(self, kind: str, requests: Sequence[Request]) -> list[Any]:
        fn = self._generate if kind == "generate" else self._loglikelihood
        with ThreadPoolExecutor(max_workers=self.options.concurrency) as pool:
            return list(pool.map(lambda r: self._call(fn, r), requests))

    def _call(self, fn: Callable[[Any], Any], r: Request) -> Any:
        """One request; a client error names the request, since a rerun would send it again unchanged."""
        import openai  # installed: __init__ checked

        try:
            return fn(r)
        except openai.APIStatusError as e:
            if 400 <= e.status_code < 500 and e.status_code not in (408, 409, 429):
                raise RequestRejected(self._client_error(e, r), r) from None
            raise self._backend_error(e) from None
        except (openai.APIConnectionError, openai.APITimeoutError) as e:
            raise self._backend_error(e) from None

    def _backend_error(self, e: Exception) -> BackendError:
        return BackendError(f"openai server at {self.options.base_url} failed after {self.options.max_retries} "
                            f"retries: {e}. Finished responses are cached; fix the server and rerun to resume.")

    def _client_error(self, e: Any, r: Request) -> str:
        text = r.prompt if isinstance(r, Generate) else r.context + r.continuation
        said = str((e.body.get("message") if isinstance(e.body, dict) else None) or e.message).rstrip(".")
        if e.status_code in (401, 403):
            fix = f"check the API key in ${self.options.api_key_env} and its access to model {self.options.model!r}"
        elif e.status_code == 404:
            fix = f"check model={self.options.model!r} and that base_url={self.options.base_url} ends in /v1"
        else:
            fix = ("shorten the prompt or lower max_tokens if prompt + max_tokens exceed the server's context "
                   "(or start the server with a longer one), or drop request fields it rejects (extra_body)")
        return (f"openai server at {self.options.base_url} rejected a {r.kind} request (prompt of {len(text)} "
                f"characters starting {text[:80]!r}) with HTTP {e.status_code}: {said}. A rerun would send it "
                f"unchanged: {fix}. Responses of earlier batches are cached.")

    def _sampling(self, r: Generate) -> dict[str, Any]:
        params: dict[str, Any] = {"model": self.options.model, "max_tokens": r.max_tokens, "temperature": r.temperature}
        if r.stop:
            params["stop"] = list(r.stop)
        if r.temperature > 0:
            params.update(seed=r.seed, top_p=1.0)
        if self._extra:
            params["extra_body"] = self._extra
        return params

    def _generate(self, r: Generate) -> str:
        if r.chat:
            res = self.client.chat.completions.create(messages=[{"role": "user", "content": r.prompt}], **self._sampling(r))
            text = res.choices[0].message.content or ""
        else:
            res = self.client.completions.create(prompt=r.prompt, **self._sampling(r))
            text = res.choices[0].text
        return truncate_at_stop(text, r.stop)

    def _loglikelihood(self, r: LogLikelihood) -> dict:
        """Prompt logprobs of context + continuation; the continuation's tokens are those past len(context)."""
        res = self.client.completions.create(model=self.options.model, prompt=r.context + r.continuation, max_tokens=1,
                                             temperature=0.0, echo=True, logprobs=1)
        lp = res.choices[0].logprobs
        if lp is None or not lp.token_logprobs or lp.text_offset is None:
            raise BackendError(f"openai server at {self.options.base_url} returned no prompt logprobs; loglikelihood "
                               "needs echo + logprobs support (llama-cpp-python server: --logits_all true).")
        start = len(r.context.rstrip(" "))
        total, greedy = 0.0, True
        n_prompt = len(lp.text_offset) - 1  # the last entry is the generated token
        for i in range(n_prompt):
            if lp.text_offset[i] < start:
                continue
            if lp.token_logprobs[i] is None:
                raise BackendError("openai server returned no logprob for a continuation token.")
            total += lp.token_logprobs[i]
            top = lp.top_logprobs[i] if lp.top_logprobs else None
            if top:
                best = max(top, key=top.get)
                greedy = greedy and best == lp.tokens[i]
        return {"logprob": float(min(total, 0.0)), "is_greedy": greedy}


def _check_base_url(url: str) -> None:
    """Refuse a malformed URL now: the client would fail every request with a retried connection error."""
    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port is None or parts.port > 0)
    except ValueError:  # a non-numeric or out-of-range port, a bad IPv6 literal
        ok = False
    if not ok:
        raise ConfigError(f"openai: option 'base_url' must be an http(s) URL with a host, up to /v1, "
                          f"e.g. base_url=http://127.0.0.1:8000/v1; got {url!r}.")
