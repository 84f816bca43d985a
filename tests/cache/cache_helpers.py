"""Small loopback HTTP servers that misbehave like real registries do (for the remote cache's fault tests)."""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Recorder(BaseHTTPRequestHandler):
    """Counts requests and their Authorization headers on the server; subclasses answer."""

    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, str, str]]  # (method, path, authorization), set per server

    def log_message(self, *args: object) -> None:
        pass

    def _note(self) -> None:
        self.seen.append((self.command, self.path, self.headers.get("Authorization", "")))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)

    def answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._note()
        self.handle_request()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_GET

    def handle_request(self) -> None:
        raise NotImplementedError


class Always500(Recorder):
    def handle_request(self) -> None:
        self.answer(500, b"internal error")


class Trickle(Recorder):
    """200 with a long body, one byte every ``interval`` seconds (HEADs answer 200 at once)."""

    interval = 0.2

    def handle_request(self) -> None:
        if self.command == "HEAD":
            self.answer(200, headers={"Content-Type": "application/octet-stream"})
            return
        self.send_response(200)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        try:
            for _ in range(100000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(self.interval)
        except OSError:
            pass  # the client gave up


class Unauthorized(Recorder):
    def handle_request(self) -> None:
        self.answer(401, b"{}", {"WWW-Authenticate": 'Basic realm="test"'})


@contextmanager
def serve(handler: type[Recorder]) -> Iterator[tuple[str, list[tuple[str, str, str]]]]:
    """``(host:port, requests seen)`` of a server with ``handler`` on 127.0.0.1 until the block ends."""
    seen: list[tuple[str, str, str]] = []
    cls = type(handler.__name__, (handler,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), cls)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def hanging_accept() -> Iterator[str]:
    """A port that completes TCP handshakes (the kernel's backlog) but never accepts or answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class TokenProxy(Recorder):
    """A bearer-token registry: ``/token`` wants basic ``user:pass`` and hands out a token; ``/v2/``
    wants that token and forwards to the real registry ``upstream``."""

    upstream = "127.0.0.1:5000"
    credentials = basic("builder", "s3cret-pass")
    token = "tok-0123456789"

    def handle_request(self) -> None:
        host = self.headers["Host"]
        if self.path.startswith("/token"):
            if self.headers.get("Authorization") != self.credentials:
                self.answer(401, b"{}")
            else:
                self.answer(200, b'{"token": "%s"}' % self.token.encode(), {"Content-Type": "application/json"})
            return
        if self.headers.get("Authorization") != f"Bearer {self.token}":
            challenge = f'Bearer realm="http://{host}/token",service="test",scope="repository:x:pull"'
            self.answer(401, b"{}", {"WWW-Authenticate": challenge})
            return
        self._forward()

    def _forward(self) -> None:
        import http.client
        conn = http.client.HTTPConnection(self.upstream, timeout=10)
        body = getattr(self, "_body", None)
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("accept", "content-type")}
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        keep = {k: v for k, v in resp.getheaders()
                if k.lower() in ("content-type", "docker-content-digest", "location")}
        if self.command == "HEAD":
            keep["Content-Length"] = resp.getheader("Content-Length") or "0"
            self.send_response(resp.status)
            for k, v in keep.items():
                self.send_header(k, v)
            self.end_headers()
        else:
            self.answer(resp.status, data, keep)
        conn.close()

    def _note(self) -> None:
        self.seen.append((self.command, self.path, self.headers.get("Authorization", "")))
        length = int(self.headers.get("Content-Length") or 0)
        self._body = self.rfile.read(length) if length else None
