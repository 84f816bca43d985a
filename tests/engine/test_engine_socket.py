"""Image lookups over the daemon's socket: which socket the CLI would use, the answers a daemon
gives (a fake one on a unix socket here; the e2e builds use the real one), and None when unsure."""

from __future__ import annotations

import json
import socketserver
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from jc_build.engine.engine_socket import DEFAULT_SOCKET, inspect_images, socket_path

IMAGES = {"jcb/debian:bookworm": ("sha256:" + "a" * 64, ["jcb/debian:bookworm"]),
          "sha256:" + "b" * 64: ("sha256:" + "b" * 64, [])}


class _Daemon(BaseHTTPRequestHandler):
    status_for_all: int | None = None

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        name = self.path.removeprefix("/images/").removesuffix("/json")
        found = IMAGES.get(name)
        status = self.status_for_all or (200 if found else 404)
        body = json.dumps({"Id": found[0], "RepoTags": found[1]} if found and status == 200
                          else {"message": f"No such image: {name}"}).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):  # http.server wants a (host, port) client address
        request, _ = super().get_request()
        return request, ("local", 0)


@pytest.fixture
def daemon(tmp_path: Path):
    path = str(tmp_path / "docker.sock")
    server = _UnixServer(path, _Daemon)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield path
    server.shutdown()
    server.server_close()
    _Daemon.status_for_all = None


def test_existing_images_come_back_with_their_tags_and_missing_ones_are_left_out(daemon: str) -> None:
    found = inspect_images(daemon, ["jcb/debian:bookworm", "nope:1", "sha256:" + "b" * 64])
    assert found == {"sha256:" + "a" * 64: ("jcb/debian:bookworm",), "sha256:" + "b" * 64: ()}


def test_many_refs_are_asked_over_several_connections_with_every_answer_kept(daemon: str, monkeypatch) -> None:
    from jc_build.engine import engine_socket
    many = [f"missing:{n}" for n in range(3 * engine_socket.CONNECTIONS)] + ["jcb/debian:bookworm", "sha256:" + "b" * 64]
    parts: list[list[str]] = []
    real = engine_socket._inspect_on_one

    def recorded(path: str, refs: list[str]):
        parts.append(list(refs))
        return real(path, refs)

    monkeypatch.setattr(engine_socket, "_inspect_on_one", recorded)
    found = inspect_images(daemon, many)
    assert found == {"sha256:" + "a" * 64: ("jcb/debian:bookworm",), "sha256:" + "b" * 64: ()}
    assert len(parts) == engine_socket.CONNECTIONS and sorted(sum(parts, [])) == sorted(many)
    _Daemon.status_for_all = 500
    assert inspect_images(daemon, many) is None  # one part unanswered: the CLI is asked


def test_an_unexpected_answer_or_no_socket_is_none_so_the_cli_is_asked(daemon: str, tmp_path: Path) -> None:
    _Daemon.status_for_all = 500
    assert inspect_images(daemon, ["jcb/debian:bookworm"]) is None
    assert inspect_images(str(tmp_path / "absent.sock"), ["jcb/debian:bookworm"]) is None


@pytest.mark.parametrize(("host", "env", "config", "expected"), [
    ("", {}, None, DEFAULT_SOCKET),
    ("unix:///run/b.sock", {}, None, "/run/b.sock"),
    ("tcp://10.0.0.2:2375", {}, None, None),
    ("lab-b", {}, None, None),  # a docker context's name
    ("", {"DOCKER_HOST": "unix:///tmp/d.sock"}, None, "/tmp/d.sock"),
    ("", {"DOCKER_HOST": "ssh://me@host"}, None, None),
    ("", {"DOCKER_CONTEXT": "lab"}, None, None),
    ("", {}, {"currentContext": "lab"}, None),
    ("", {}, {"currentContext": "default", "auths": {}}, DEFAULT_SOCKET),
    ("", {}, "not json", None),
])
def test_the_socket_is_the_one_the_cli_would_use(host: str, env: dict[str, str], config: object,
                                                  expected: str | None, tmp_path: Path) -> None:
    if config is not None:
        (tmp_path / "config.json").write_text(config if isinstance(config, str) else json.dumps(config))
    assert socket_path(host, {**env, "DOCKER_CONFIG": str(tmp_path)}) == expected
