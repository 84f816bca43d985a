"""A lab of real parts on loopback: a second dockerd (builder B) and Debian's docker-registry with
htpasswd auth and TLS from a private CA, each with names, paths and ports of its own, stopped by PID."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from collections.abc import Callable
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(check: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.3)
    raise RuntimeError(f"{what} did not come up")


def stop(pid: int, timeout_s: float = 30) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)


@dataclass
class Daemon:
    """A second dockerd: own data root, exec root, pidfile, socket and bridge (10.213.N.1/24)."""

    root: Path
    sock: str
    bridge: str
    exec_root: str
    proc: subprocess.Popen[bytes]

    @property
    def host(self) -> str:
        return f"unix://{self.sock}"

    def docker(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["docker", "-H", self.host, *args], capture_output=True, text=True, check=check,
                              timeout=300)


def start_daemon(root: Path) -> Daemon:
    tag = uuid.uuid4().hex[:6]
    bridge, sock = f"jcbr{tag}", f"/tmp/jcb-reg-{tag}.sock"
    subnet = 100 + int(tag, 16) % 150
    subprocess.run(["ip", "link", "add", bridge, "type", "bridge"], check=True)
    subprocess.run(["ip", "addr", "add", f"10.213.{subnet}.1/24", "dev", bridge], check=True)
    subprocess.run(["ip", "link", "set", bridge, "up"], check=True)
    root.mkdir(parents=True, exist_ok=True)
    exec_root = f"/tmp/jcb-reg-x{tag}"  # short: containerd's socket path lives under it
    log = (root / "dockerd.log").open("wb")
    proc = subprocess.Popen(["dockerd", "--host", f"unix://{sock}", "--data-root", str(root / "data"),
                             "--exec-root", exec_root, "--pidfile", str(root / "dockerd.pid"), "--bridge", bridge,
                             "--iptables=false", "--ip-masq=false"], stdout=log, stderr=log,
                            start_new_session=True)
    daemon = Daemon(root, sock, bridge, exec_root, proc)
    _wait(lambda: daemon.docker("info", check=False).returncode == 0, "the second dockerd")
    return daemon


def stop_daemon(daemon: Daemon) -> None:
    stop(daemon.proc.pid)
    subprocess.run(["ip", "link", "delete", daemon.bridge], capture_output=True, check=False)
    Path(daemon.sock).unlink(missing_ok=True)
    shutil.rmtree(daemon.exec_root, ignore_errors=True)


@dataclass
class Registry:
    """Debian's docker-registry on 127.0.0.1:<port>, optionally with htpasswd auth and TLS."""

    port: int
    proc: subprocess.Popen[bytes]
    config: Path
    ca: Path | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"


def start_registry(root: Path, *, user: str = "", password: str = "", tls: bool = False) -> Registry:
    port = free_port()
    data = root / "registry-data"
    data.mkdir(parents=True, exist_ok=True)
    config = {"version": 0.1, "log": {"level": "warn"}, "storage": {"filesystem": {"rootdirectory": str(data)},
                                                                   "delete": {"enabled": True}},
              "http": {"addr": f"127.0.0.1:{port}"}}
    ca = None
    if tls:
        ca, cert, key = make_tls(root)
        config["http"]["tls"] = {"certificate": str(cert), "key": str(key)}
    if user:
        import bcrypt
        hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=5)).decode()
        (root / "htpasswd").write_text(f"{user}:{hashed}\n")
        config["auth"] = {"htpasswd": {"realm": "jcb-test", "path": str(root / "htpasswd")}}
    path = root / "registry.yml"
    path.write_text(json.dumps(config))  # YAML is a superset of JSON
    log = (root / "registry.log").open("wb")
    proc = subprocess.Popen(["docker-registry", "serve", str(path)], stdout=log, stderr=log,
                            start_new_session=True)
    registry = Registry(port, proc, path, ca)
    _wait(lambda: _connects(port), "docker-registry")
    return registry


def untag(host: str, docker: str = "docker") -> None:
    """Remove the shared daemon's tags for images of the registry at ``host`` (pushed by a test)."""
    refs = subprocess.run([docker, "images", "--format", "{{.Repository}}:{{.Tag}}"], capture_output=True,
                          text=True, check=False).stdout.split()
    mine = [ref for ref in refs if ref.startswith(f"{host}/")]
    if mine:
        subprocess.run([docker, "rmi", *mine], capture_output=True, check=False)


def restart_registry(registry: Registry) -> None:
    log = (registry.config.parent / "registry.log").open("ab")
    registry.proc = subprocess.Popen(["docker-registry", "serve", str(registry.config)], stdout=log, stderr=log,
                                     start_new_session=True)
    _wait(lambda: _connects(registry.port), "docker-registry (restarted)")


def _connects(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def make_tls(root: Path) -> tuple[Path, Path, Path]:
    """A private CA and a certificate for 127.0.0.1 signed by it: (ca.crt, server.crt, server.key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jcb test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = root / "ca.crt", root / "server.crt", root / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    return paths


def docker_config(root: Path, host: str, user: str, password: str) -> Path:
    """A DOCKER_CONFIG directory holding a login for ``host`` (as `docker login` writes it)."""
    root.mkdir(parents=True, exist_ok=True)
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    (root / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    return root
