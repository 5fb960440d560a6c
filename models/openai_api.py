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

AnswerImageQuestion is opt-in too (`images=true`): it goes to /chat/completions as one user
message holding the image as a base64 data URL (MIME type read from the file's magic bytes:
PNG, JPEG, WebP or GIF) and the question, put through `question_template`, greedy, and the
answer is the message content stripped. Opt-in, not always advertised, because a server whose
model takes no images does not reliably say so: llama-cpp-python's server (0.3.36) with a
text-only model answers HTTP 500, which reads as an outage, is retried and exits 3. Without
the option an image task is refused before any request, naming the model; with it, a server
that still rejects images gets an error naming the model, the server and the image.

Errors: a 4xx answer other than 408 / 409 / 429 (prompt longer than the server's
context, unknown model, bad API key), an image file that is missing, changed since the
dataset was read or of another type, and a `base_url` that is not an http(s) URL are
bad input that a rerun would repeat, so they raise ConfigError (CLI exit 2) naming the
request and what to fix. Only 408 / 409 / 429, 5xx, connection errors and timeouts that
outlast the retries raise BackendError (exit 3): finished responses are cached and a
rerun resumes. So does an HTTP 200 that holds no completion (a non-JSON or HTML body, no
`choices`, empty `choices`, a completion whose text is null), after being asked again up to
`max_retries` times: it is the server's fault, never an empty answer scored as wrong.

The cache key covers `model` and `identity`, not the URL: a server restarted on
another port still hits the cache. Give `identity=` (e.g. the weights' sha256) when
one model name can mean different weights.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from claimbench.harness.errors import BackendError, ConfigError, RequestRejected
from claimbench.harness.model import ModelAdapter, option
from claimbench.harness.requests import AnswerImageQuestion, Generate, LogLikelihood, Request

from .lm.text import truncate_at_stop


class OpenAIAdapter(ModelAdapter):
    kinds = frozenset({"generate"})  # + loglikelihood / answer_image_question with their options

    @dataclass(frozen=True)
    class Options:
        model: str = option(doc="model name sent to the server")
        base_url: str = option("http://127.0.0.1:8000/v1", fingerprint=False, doc="server URL up to /v1")
        api_key_env: str = option("OPENAI_API_KEY", fingerprint=False, doc="environment variable holding the API key")
        identity: str | None = option(None, doc="what identifies the weights behind `model` (goes into the cache key)")
        extra_body: str | None = option(None, doc="JSON object of server-specific request fields")
        loglikelihood: bool = option(False, doc="serve loglikelihood from echoed prompt logprobs (servers that get them right)")
        images: bool = option(False, fingerprint=False,
                              doc="serve answer_image_question: the server's model takes images (changes no response)")
        question_template: str = option("{question}", doc="text part sent with each image, {question} replaced by "
                                                          "the question, e.g. '{question} Answer with a single word.'")
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
        if "{question}" not in options.question_template:
            raise ConfigError(f"openai: question_template must contain {{question}}, where each image's question "
                              f"goes; got {options.question_template!r}.")
        self.kinds = (frozenset({"generate"}) | ({"loglikelihood"} if options.loglikelihood else set())
                      | ({"answer_image_question"} if options.images else set()))
        self.client = openai.OpenAI(base_url=options.base_url, api_key=os.environ.get(options.api_key_env) or "not-needed",
                                    max_retries=options.max_retries, timeout=options.timeout)

    def identity(self) -> dict[str, Any]:
        return {"model": self.options.model, "identity": self.options.identity}

    def serve(self, kind: str, requests: Sequence[Request]) -> list[Any]:
        fn = {"generate": self._generate, "loglikelihood": self._loglikelihood,
              "answer_image_question": self._answer_image_question}[kind]
        with ThreadPoolExecutor(max_workers=self.options.concurrency) as pool:
            return list(pool.map(lambda r: self._call(fn, r), requests))

    def _call(self, fn: Callable[[Any], Any], r: Request) -> Any:
        """One request; a client error names the request, since a rerun would send it again unchanged.
        An answer that is no completion (HTTP 200 with HTML, no `choices`, a null text) is the
        server's fault: asked again up to max_retries times, then a BackendError (exit 3)."""
        import openai  # installed: __init__ checked

        attempt = 0
        while True:
            try:
                return fn(r)
            except openai.APIStatusError as e:
                if 400 <= e.status_code < 500 and e.status_code not in (408, 409, 429):
                    raise RequestRejected(self._client_error(e, r), r) from None
                raise self._backend_error(e, r) from None
            except (openai.APIConnectionError, openai.APITimeoutError) as e:
                raise self._backend_error(e, r) from None
            except (_Malformed, openai.APIResponseValidationError, json.JSONDecodeError) as e:
                if attempt == self.options.max_retries:
                    raise self._backend_error(e, r) from None
                time.sleep(min(2.0, 0.1 * 2**attempt))
                attempt += 1

    def _backend_error(self, e: Exception, r: Request) -> BackendError:
        """A 5xx on an image question may be a text-only model, not an outage (see the module docstring)."""
        hint = ""
        if isinstance(r, AnswerImageQuestion) and getattr(e, "status_code", 0) >= 500:
            hint = (f" The request was an image question: if model {self.options.model!r} takes no images, serve "
                    "a vision-language model there (llama.cpp's server needs --mmproj) or drop images=true.")
        return BackendError(f"openai server at {self.options.base_url} failed after {self.options.max_retries} "
                            f"retries: {e}. Finished responses are cached; fix the server and rerun to resume.{hint}")

    def _client_error(self, e: Any, r: Request) -> str:
        if isinstance(r, AnswerImageQuestion):
            what = f"question {r.question[:80]!r} about image file {r.image.path!r}"
        else:
            text = r.prompt if isinstance(r, Generate) else r.context + r.continuation
            what = f"prompt of {len(text)} characters starting {text[:80]!r}"
        said = str((e.body.get("message") if isinstance(e.body, dict) else None) or e.message).rstrip(".")
        if e.status_code in (401, 403):
            fix = f"check the API key in ${self.options.api_key_env} and its access to model {self.options.model!r}"
        elif e.status_code == 404:
            fix = f"check model={self.options.model!r} and that base_url={self.options.base_url} ends in /v1"
        elif isinstance(r, AnswerImageQuestion):
            fix = (f"check that model {self.options.model!r} takes images (a vision-language model; llama.cpp's "
                   "server needs --mmproj) of this type, and that image + question + max_tokens fit its context")
        else:
            fix = ("shorten the prompt or lower max_tokens if prompt + max_tokens exceed the server's context "
                   "(or start the server with a longer one), or drop request fields it rejects (extra_body)")
        return (f"openai server at {self.options.base_url} rejected a {r.kind} request ({what}) with HTTP "
                f"{e.status_code}: {said}. A rerun would send it unchanged: {fix}. Responses of earlier batches "
                "are cached.")

    def _params(self, max_tokens: int, temperature: float = 0.0) -> dict[str, Any]:
        params: dict[str, Any] = {"model": self.options.model, "max_tokens": max_tokens, "temperature": temperature}
        if self._extra:
            params["extra_body"] = self._extra
        return params

    def _sampling(self, r: Generate) -> dict[str, Any]:
        params = self._params(r.max_tokens, r.temperature)
        if r.stop:
            params["stop"] = list(r.stop)
        if r.temperature > 0:
            params.update(seed=r.seed, top_p=r.top_p)
        return params

    def _generate(self, r: Generate) -> str:
        if r.chat:
            res = self.client.chat.completions.create(messages=r.messages(), **self._sampling(r))
            text = _chat_text(res)
        else:
            text = getattr(_first_choice(self.client.completions.create(prompt=r.prompt, **self._sampling(r))), "text", None)
            if not isinstance(text, str):
                raise _Malformed(f"its completion has no text (got {text!r})")
        return truncate_at_stop(text, r.stop)

    def _answer_image_question(self, r: AnswerImageQuestion) -> str:
        """Greedy chat answer; None content reads as "", as for chat generate."""
        question = self.options.question_template.replace("{question}", r.question)
        content = [{"type": "image_url", "image_url": {"url": _data_url(r)}}, {"type": "text", "text": question}]
        res = self.client.chat.completions.create(messages=[{"role": "user", "content": content}],
                                                  **self._params(r.max_tokens))
        return _chat_text(res).strip()

    def _loglikelihood(self, r: LogLikelihood) -> dict:
        """Prompt logprobs of context + continuation; the continuation's tokens are those past len(context)."""
        res = self.client.completions.create(model=self.options.model, prompt=r.context + r.continuation, max_tokens=1,
                                             temperature=0.0, echo=True, logprobs=1)
        lp = getattr(_first_choice(res), "logprobs", None)
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


class _Malformed(Exception):
    """A 200 answer that holds no completion."""


def _first_choice(res: Any) -> Any:
    """The first choice of a completion, or _Malformed saying what came instead (a non-JSON or HTML
    body reaches us as text, a JSON one without `choices` as an object lacking them)."""
    if isinstance(res, (str, bytes)):
        raise _Malformed(f"it answered with a non-JSON body starting {str(res)[:60]!r}")
    choices = getattr(res, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise _Malformed(f"its answer has no choices (got {choices!r})")
    return choices[0]


def _chat_text(res: Any) -> str:
    """A chat completion's text; no content (a refusal, a tool call) reads as ""."""
    message = getattr(_first_choice(res), "message", None)
    if message is None:
        raise _Malformed("its chat choice has no message")
    content = getattr(message, "content", None)
    return content if isinstance(content, str) else ""


_MIME_BY_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
                  (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))


def _data_url(r: AnswerImageQuestion) -> str:
    """The image file as a data URL; its bytes must still be those the request's sha256 names,
    or the answer would be cached under another image's key."""
    path = r.image.path
    if not path:
        raise RequestRejected(f"image {r.image.sha256[:12]}... of an image question has no local file to send.", r)
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise RequestRejected(f"image file {path!r} of an image question cannot be read: {e}.", r) from None
    if hashlib.sha256(data).hexdigest() != r.image.sha256:
        raise RequestRejected(f"image file {path!r} changed after the dataset was read (its sha256 is no longer "
                              f"{r.image.sha256[:12]}...); rerun so that its current content is hashed.", r)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        mime = "image/webp"
    else:
        mime = next((m for magic, m in _MIME_BY_MAGIC if data.startswith(magic)), None)
    if mime is None:
        raise RequestRejected(f"image file {path!r} is not a PNG, JPEG, WebP or GIF image (it starts with "
                              f"{data[:8]!r}); the openai adapter sends only these; convert the image.", r)
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


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
