"""A stdlib HTTP server on 127.0.0.1 that answers every POST with one canned status and body:
the OpenAI adapter's error-handling tests talk to it."""
from __future__ import annotations

import http.server
import json
import threading


class CannedServer:
    """Answers every POST with `status` and an OpenAI-style error body (or `body`, of `content_type`);
    records the request bodies."""

    def __init__(self, status: int, message: str = "canned", body: bytes | None = None,
                 content_type: str = "application/json"):
        self.posts: list[dict] = []
        canned = self
        if body is None:
            body = json.dumps({"error": {"message": message, "type": "invalid_request_error", "code": None}}).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                canned.posts.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0)))))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("retry-after-ms", "10")  # keeps the client's retries of 408/429/5xx fast
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> CannedServer:
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
