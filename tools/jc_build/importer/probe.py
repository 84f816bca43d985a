"""Reads a jetson-containers tree for one platform, as jetson-containers itself would; run as a subprocess.

``python probe.py SPEC_JSON`` prints one JSON document. It imports the tree's own
``jetson_containers`` module (its values come from ``L4T_VERSION``, ``CUDA_VERSION``,
``PYTHON_VERSION`` and ``LSB_RELEASE`` in the environment; the CPU is the platform's), walks
every package directory, runs each one's Dockerfile header, ``config.py`` (with ``package``
injected) and ``.json``/``.yml`` configs through the tree's ``config_package``, then resolves
every package's chain with the tree's ``resolve_dependencies``. Network look-ups are refused at
once and reported; modules the tree requires but that are not installed are stubbed and
reported. Only the standard library is imported here before the tree's module.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import importlib.util  # the tree uses importlib.util without importing it
import io
import json
import os
import platform
import re
import socket
import subprocess
import sys
import time
import types
from typing import Any

_CURRENT = {"dir": ""}
REFUSED: list[dict[str, str]] = []
STUBBED: set[str] = set()


class NetworkRefused(ConnectionRefusedError):
    """Raised for every network look-up during an import."""


def _refuse(*args: Any, **_: Any) -> Any:
    host = str(args[0][0] if args and isinstance(args[0], tuple) else (args[0] if args else "?"))
    REFUSED.append({"dir": _CURRENT["dir"], "host": host})
    raise NetworkRefused(f"jcb import refuses network look-ups ({host})")


def refuse_network() -> None:
    """Every name look-up and connection fails at once."""
    socket.getaddrinfo = _refuse  # type: ignore[assignment]
    socket.create_connection = _refuse  # type: ignore[assignment]
    socket.socket.connect = lambda self, address: _refuse(address)  # type: ignore[method-assign]
    time.sleep = lambda seconds: None  # retries with back-off would only wait for the same refusal
    os.environ["GIT_TERMINAL_PROMPT"] = "0"


def refuse_requests() -> None:
    """With the real requests installed, refuse at its door, so the report names the URL, not the socket."""
    requests = sys.modules.get("requests")
    if requests is None or requests.__name__.split(".")[0] in STUBBED:
        return

    def request(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        REFUSED.append({"dir": _CURRENT["dir"], "host": str(url)})
        raise requests.ConnectionError(f"jcb import refuses network look-ups ({url})")
    requests.Session.request = request


class _StubError(ConnectionError):
    """What every call into a stubbed module raises."""


class _HTTPStubError(Exception):
    """An exception class of a stubbed module that nothing raises (e.g. ``requests.HTTPError``)."""


_NETWORK_MODULES = ("requests", "urllib3", "wget", "dockerhub_api")


class _Stub:
    """Any attribute of a module that is not installed: calls refuse (network) or pass text through."""

    def __init__(self, path: str):
        self._path = path

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        if key.endswith(("Error", "Exception", "Timeout")):
            return _HTTPStubError if "HTTP" in key else _StubError
        if key in ("close", "mount"):  # clean-up in finally blocks must not fail
            return lambda *a, **k: None
        return _Stub(f"{self._path}.{key}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        last = self._path.rsplit(".", 1)[-1]
        if last[:1].isupper():  # a class: its instances are stubs too
            return _Stub(self._path + "()")
        if self._path.split(".", 1)[0] in _NETWORK_MODULES:
            REFUSED.append({"dir": _CURRENT["dir"], "host": str(args[0]) if args else self._path})
        elif args and isinstance(args[0], str):  # presentation helpers (colored, tabulate): the text itself
            return args[0]
        raise _StubError(f"{self._path} is not available during jcb import (not installed)")


def _stub_module(name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    stub = _Stub(name)
    module.__getattr__ = stub.__getattr__  # type: ignore[method-assign]
    module.__path__ = []  # so submodules import too
    return module


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Supplies empty modules for the tree's requirements that are not installed."""

    def __init__(self, names: set[str]):
        self.names = names

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        top = fullname.split(".", 1)[0]
        if top not in self.names:
            return None
        if importlib.machinery.PathFinder.find_spec(top) is not None and "." not in fullname:
            return None
        if "." not in fullname or top in STUBBED:
            return importlib.machinery.ModuleSpec(fullname, self)
        return None

    def create_module(self, spec: Any) -> types.ModuleType:
        STUBBED.add(spec.name.split(".", 1)[0])
        return _stub_module(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def requirement_names(root: str) -> set[str]:
    """Import names of the tree's requirements.txt entries (and requests, which its network helpers use)."""
    names = {"requests", "urllib3", "dockerhub_api"}
    path = os.path.join(root, "requirements.txt")
    if os.path.isfile(path):
        for line in open(path, encoding="utf-8"):
            word = re.split(r"[<>=\s\[;#@]", line.strip(), maxsplit=1)[0]
            if word and "/" not in word and ":" not in word:
                names.add(word.replace("-", "_").lower())
    return names - {"packaging", "pyyaml", "yaml"}


def fake_host(arch: str) -> None:
    """The CPU jetson-containers sees: the platform's arch; on aarch64 a Jetson (tegra) kernel."""
    platform.machine = lambda: arch  # type: ignore[assignment]
    real = subprocess.check_output

    def check_output(cmd: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(cmd, (list, tuple)) and list(cmd[:2]) == ["uname", "-a"]:
            text = f"Linux jetson 5.15.148-tegra #1 SMP PREEMPT {arch} GNU/Linux\n"
            return text if kwargs.get("encoding") or kwargs.get("text") else text.encode()
        return real(cmd, *args, **kwargs)
    subprocess.check_output = check_output  # type: ignore[assignment]


def new_package(path: str, jcp: Any) -> dict[str, Any] | None:
    """The package dict jetson-containers starts a directory with, or None if it holds no package."""
    package: dict[str, Any] = {"path": path, "requires": ">=32.6", "postfix": "", "config": [], "test": []}
    for entry in sorted(os.listdir(path)):
        full = os.path.join(path, entry)
        if not os.path.isfile(full):
            continue
        if entry.lower() == "dockerfile":
            package["dockerfile"] = entry
        elif entry in ("test.py", "test.sh"):
            package["test"].append(entry)
        elif entry == "config.py":
            package["config"].append(entry)
        elif _quiet(jcp.validate_config, full):
            package["config"].append(entry)
    if "dockerfile" not in package and not package["config"]:
        return None
    package["name"] = os.path.basename(path)
    return package


def _quiet(fn: Any, *args: Any) -> Any:
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args)


def package_dirs(top: str) -> list[str]:
    """Directories under ``top`` in a stable order (jetson-containers' own order is the file system's)."""
    found: list[str] = []
    for path, dirs, _files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith("__") and "vila-microservice/src" not in
                         os.path.join(path, d))
        if path != top:
            found.append(path)
    return found


def configure(path: str, jcp: Any, log: io.StringIO) -> tuple[list[dict[str, Any]], str]:
    """The packages one directory defines (config scripts run with ``package`` injected), and any error."""
    package = new_package(path, jcp)
    if package is None:
        return [], ""
    _CURRENT["dir"] = path
    try:
        with contextlib.redirect_stdout(log):
            return list(jcp.config_package(package)), ""
    except BaseException as exc:  # a config script may raise anything, even SystemExit
        return [], f"{type(exc).__name__}: {exc}".strip()
    finally:
        _CURRENT["dir"] = ""


def _plain(value: Any) -> Any:
    """JSON-safe copy of a config value."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


KEYS = ("name", "alias", "depends", "requires", "build_args", "dockerfile", "test", "notes", "group",
        "docs", "disabled", "prefix", "postfix")


def scan(roots: list[str], jcp: Any) -> dict[str, Any]:
    records: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    log = io.StringIO()
    claimed_dirs: dict[str, str] = {}
    slow: list[dict[str, Any]] = []
    for root_index, top in enumerate(roots):
        for path in package_dirs(top):
            name = os.path.basename(path)
            started = time.perf_counter()
            pkgs, error = configure(path, jcp, log)
            seconds = time.perf_counter() - started
            if seconds > 1:
                slow.append({"dir": path, "seconds": round(seconds, 1)})
            if error:
                errors.append({"dir": path, "error": error})
            if (pkgs or error) and name in claimed_dirs:
                errors.append({"dir": path, "shadowed_by": claimed_dirs[name]})
            for pkg in pkgs:
                record = {key: _plain(pkg.get(key)) for key in KEYS if key in pkg}
                for key in ("requires", "depends", "alias", "test"):
                    if isinstance(record.get(key), str):
                        record[key] = [record[key]]
                record.update(dir=path, root=root_index, path=pkg.get("path", path))
                records.append(record)
                claimed_dirs.setdefault(pkg["name"], path)
    return {"records": records, "errors": errors, "slow": slow}


def chains(records: list[dict[str, Any]], jcp: Any) -> None:
    """Adds each present package's chain (names jetson-containers' find_package gives) to its record."""
    present: dict[str, dict[str, Any]] = {}
    for record in records:
        pkg = dict(record, requires=list(record.get("requires") or []))
        try:
            ok = all(jcp.check_requirement(r, name=record["name"]) for r in pkg["requires"])
        except Exception as exc:  # an unreadable requires string
            record["requires_error"] = f"{type(exc).__name__}: {exc}"
            ok = False
        record["present"] = ok
        if ok:
            present[record["name"]] = pkg  # a later definition silently replaces an earlier one
    jcp._PACKAGES.clear()
    jcp._PACKAGES.update(present)
    jcp._PACKAGE_SCAN = True
    jcp.find_package = indexed_find(present, jcp.find_package)
    for record in records:
        if not record["present"] or present.get(record["name"]) is None:
            continue
        try:
            raw = jcp.resolve_dependencies([record["name"]], check=False)
            record["raw_chain"] = raw
            record["chain"] = [jcp.find_package(entry)["name"] for entry in raw]
        except KeyError as exc:
            record["chain_error"] = str(exc).strip("'\"")
        except Exception as exc:
            record["chain_error"] = f"{type(exc).__name__}: {exc}"


def indexed_find(packages: dict[str, dict[str, Any]], slow: Any) -> Any:
    """find_package() with the same first-match-in-order answer, by index for names without wildcards."""
    index: dict[str, dict[str, Any]] = {}
    for key, pkg in packages.items():
        for name in [key, pkg["name"], *(pkg.get("alias") or [])]:
            index.setdefault(name, pkg)

    def find_package(package: Any, required: bool = True, scan: bool = True) -> Any:
        if not isinstance(package, str) or any(c in package for c in "*?["):
            return slow(package, required=required, scan=scan)
        if package in index:
            return index[package]
        if required:
            raise KeyError(f"couldn't find package:  {package}")
        return None
    return find_package


def find_names(records: list[dict[str, Any]], jcp: Any) -> dict[str, str]:
    """What find_package() returns for every name a package depends on or is known as."""
    names = {d for r in records if r.get("present") for d in (r.get("depends") or [])}
    names |= {a for r in records if r.get("present") for a in (r.get("alias") or [])}
    found: dict[str, str] = {}
    for name in sorted(names):
        pkg = jcp.find_package(name, required=False)
        if pkg is not None:
            found[name] = pkg["name"]
    return found


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    root = spec["root"]
    out = sys.stdout
    sys.stdout = sys.stderr  # what the tree prints must not corrupt the JSON
    refuse_network()
    fake_host(spec["arch"])
    sys.meta_path.append(_StubFinder(requirement_names(root)))
    sys.path.insert(0, root)
    os.chdir(root)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            import jetson_containers.packages as jcp  # noqa: PLC0415 (only importable inside the tree)
    except BaseException as exc:
        json.dump({"fatal": f"cannot import the tree's jetson_containers module: {type(exc).__name__}: {exc}"}, out)
        return 0
    refuse_requests()
    jcp.package_scan_options({"check_l4t_version": False})
    result = scan([os.path.join(root, d) for d in spec["dirs"]], jcp)
    chains(result["records"], jcp)
    result["found"] = find_names(result["records"], jcp)
    result["refused"] = REFUSED
    result["stubbed"] = sorted(STUBBED)
    json.dump(result, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
