"""The OpenAI-compatible adapter's image questions, against a stdlib server on 127.0.0.1 that
checks the chat request's structure and answers from the decoded image bytes, so the tests
see exactly what was sent."""
from __future__ import annotations

import base64
import hashlib
import http.server
import io
import json
import re
import threading
from pathlib import Path

import pytest
from canned_http import CannedServer
from lm_fixtures import require

from claimbench.harness import evaluate
from claimbench.harness.errors import BackendError, ConfigError, IncompatibleError
from claimbench.harness.model import load_model
from claimbench.harness.requests import AnswerImageQuestion, ImageRef


@pytest.fixture
def api():
    require("openai", "'claimbench[api]'")


DATA_URL = re.compile(r"data:(image/[a-z]+);base64,([A-Za-z0-9+/=]+)")


def echo_answer(image: bytes, mime: str, text: str) -> str:
    """What the vision server says: everything the tests need to check, padded to test the stripping."""
    return f"  {hashlib.sha256(image).hexdigest()[:8]} {mime} {text}\n"


class VisionServer:
    """POST /v1/chat/completions with one user message of an image_url data URL and a text part;
    answers `answer(image bytes, mime, text)` and records what came; a malformed request gets 400
    saying what is wrong, which the adapter reports."""

    def __init__(self, answer=echo_answer):
        self.posts: list[dict] = []
        vision = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status: int, payload: dict):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                try:
                    assert self.path == "/v1/chat/completions", self.path
                    [message] = body["messages"]
                    assert message["role"] == "user"
                    image_part, text_part = message["content"]
                    assert image_part["type"] == "image_url" and text_part["type"] == "text"
                    m = DATA_URL.fullmatch(image_part["image_url"]["url"])
                    assert m, "the image_url is not a base64 data URL"
                    image = base64.b64decode(m.group(2), validate=True)
                except (AssertionError, KeyError, TypeError, ValueError) as e:
                    return self._reply(400, {"error": {"message": f"malformed request: {e!r}"}})
                vision.posts.append({"body": body, "mime": m.group(1), "image": image, "text": text_part["text"]})
                content = answer(image, m.group(1), text_part["text"])
                self._reply(200, {"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                                  "choices": [{"index": 0, "finish_reason": "stop",
                                               "message": {"role": "assistant", "content": content}}]})

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> VisionServer:
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def write_image(path: Path, fmt: str, seed: int = 0) -> bytes:
    """A small real image in `fmt` (a Pillow format name) at `path`, whatever its extension says."""
    Image = pytest.importorskip("PIL.Image")
    import numpy as np

    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 255, (8, 8, 3), dtype=np.uint8)).save(buf, format=fmt)
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


def test_image_question_sends_the_file_with_its_mime_type_greedy(api, tmp_path):
    files = {"image/png": ("a.png", "PNG"), "image/jpeg": ("b.png", "JPEG"),  # a JPEG named .png: the bytes decide
             "image/webp": ("c.webp", "WEBP"), "image/gif": ("d.gif", "GIF")}
    written = {mime: write_image(tmp_path / name, fmt, seed=i) for i, (mime, (name, fmt)) in enumerate(files.items())}
    requests = [AnswerImageQuestion(ImageRef.from_file(tmp_path / name), f"what is in {name}?", max_tokens=7)
                for name, _ in files.values()]
    with VisionServer() as srv:
        adapter = load_model(f"openai:model=vlm,base_url={srv.url},images=true,concurrency=2")
        answers = adapter.serve("answer_image_question", requests)
    assert answers == [f"{hashlib.sha256(data).hexdigest()[:8]} {mime} {r.question}"  # stripped, in request order
                       for (mime, data), r in zip(written.items(), requests)]
    by_mime = {p["mime"]: p for p in srv.posts}
    assert set(by_mime) == set(files)
    for mime, data in written.items():
        post = by_mime[mime]
        assert post["image"] == data  # exactly the file's bytes
        assert post["body"]["temperature"] == 0 and post["body"]["max_tokens"] == 7 and post["body"]["model"] == "vlm"


def test_question_template_fills_the_text_part_and_joins_the_fingerprint(api, tmp_path):
    write_image(tmp_path / "a.png", "PNG")
    template = "Look: {question} Answer with a single word, or number."
    with VisionServer() as srv:
        spec = f"openai:model=vlm,base_url={srv.url},images=true"
        [answer] = load_model(f'{spec},question_template="{template}"').serve(
            "answer_image_question", [AnswerImageQuestion(ImageRef.from_file(tmp_path / "a.png"), "what is it?")])
    assert srv.posts[0]["text"] == "Look: what is it? Answer with a single word, or number."
    assert answer.endswith("image/png Look: what is it? Answer with a single word, or number.")
    assert srv.posts[0]["body"]["max_tokens"] == 64  # the request's default
    plain = load_model("openai:model=vlm").fingerprint()
    assert load_model("openai:model=vlm,images=true").fingerprint() == plain  # enabling a kind changes no response
    assert load_model(f'openai:model=vlm,question_template="{template}"').fingerprint() != plain
    with pytest.raises(ConfigError, match=r"question_template must contain \{question\}.*'Answer briefly\.'"):
        load_model("openai:model=vlm,question_template=Answer briefly.")


def test_image_question_with_no_content_answers_empty_like_chat_generate(api, tmp_path):
    write_image(tmp_path / "a.png", "PNG")
    with VisionServer(answer=lambda image, mime, text: None) as srv:
        adapter = load_model(f"openai:model=vlm,base_url={srv.url},images=true")
        assert adapter.serve("answer_image_question",
                             [AnswerImageQuestion(ImageRef.from_file(tmp_path / "a.png"), "what?")]) == [""]


def test_image_task_end_to_end_through_the_harness(api, tmp_path):
    from test_media import image_task  # its gold answer is each image's sha256[:8]

    task = image_task(tmp_path, "tiny_vqa", "ImageQuestionHooks", "exact_match")
    with VisionServer(answer=lambda image, mime, text: f" {hashlib.sha256(image).hexdigest()[:8]}\n") as srv:
        [r] = evaluate(f"openai:model=vlm,base_url={srv.url},images=true", [str(task)], output=tmp_path / "out",
                       cache=":memory:")
    assert r.metrics["exact_match"]["value"] == 1.0
    assert sorted(p["image"] for p in srv.posts) == sorted(p.read_bytes() for p in (tmp_path / "data" / "images").iterdir())
    assert {p["text"] for p in srv.posts} == {"what is it?"}


def test_image_tasks_are_refused_unless_images_is_on(api, tmp_path):
    from test_media import image_task

    task = image_task(tmp_path, "tiny_vqa", "ImageQuestionHooks", "exact_match")
    with VisionServer() as srv:
        with pytest.raises(IncompatibleError, match=r"model 'openai:model=vlm.*' serves only generate; "
                                                    r"task 'tiny_vqa' needs answer_image_question"):
            evaluate(f"openai:model=vlm,base_url={srv.url}", [str(task)], cache=":memory:")
    assert srv.posts == []  # refused before any request


def test_unsupported_image_file_is_a_clear_error_naming_it(api, tmp_path):
    fake = tmp_path / "notes.png"
    fake.write_text("just text, renamed .png\n")
    with VisionServer() as srv:
        adapter = load_model(f"openai:model=vlm,base_url={srv.url},images=true")
        with pytest.raises(ConfigError, match=r"is not a PNG, JPEG, WebP or GIF image \(it starts with b'just tex'\)") as err:
            adapter.serve("answer_image_question", [AnswerImageQuestion(ImageRef.from_file(fake), "what?")])
        assert repr(str(fake)) in str(err.value)
        edited = tmp_path / "a.png"
        write_image(edited, "PNG")
        ref = ImageRef.from_file(edited)
        write_image(edited, "PNG", seed=1)  # another image under the same name, after its hash was taken
        with pytest.raises(ConfigError, match=r"changed after the dataset was read"):
            adapter.serve("answer_image_question", [AnswerImageQuestion(ref, "what?")])
    assert srv.posts == []  # nothing was sent


@pytest.mark.parametrize("status, error, says", [
    (400, ConfigError, "check that model 'vlm' takes images"),
    (500, BackendError, "if model 'vlm' takes no images, serve a vision-language model there"),
])
def test_a_server_that_rejects_images_names_model_server_and_image(api, tmp_path, status, error, says):
    write_image(tmp_path / "a.png", "PNG")
    with CannedServer(status, "image input is not supported") as srv:
        adapter = load_model(f"openai:model=vlm,base_url={srv.url},images=true,max_retries=0")
        with pytest.raises(error) as err:
            adapter.serve("answer_image_question", [AnswerImageQuestion(ImageRef.from_file(tmp_path / "a.png"), "what?")])
    msg = str(err.value)
    assert says in msg and f"openai server at {srv.url}" in msg and "image input is not supported" in msg
    if status == 400:
        assert f"question 'what?' about image file {str(tmp_path / 'a.png')!r}" in msg
