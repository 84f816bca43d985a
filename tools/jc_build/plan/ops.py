"""Plan operations: one class per node operation, each knowing its digest inputs (``attrs``),
its Dockerfile lines (``render``) and the named inputs it adds to its stage's key (``inputs``).

The Dockerfile uses only what the daemon-embedded BuildKit (~v0.8, Docker 20.10) understands
without a ``# syntax=`` line: ``RUN --mount=type=cache|secret|bind``. Its frontend rejects
``RUN --network=`` ("Unknown flag: network"), so a step's network mode is keyed but applied per
stage (``Stage.network``, ``docker build --network``). The base is a build-arg placeholder
(``ARG JCB_BASE`` / ``FROM ${JCB_BASE}``) so the text depends only on keyed data; the executor
passes the base image.

To add an operation: subclass ``Operation`` here (``OP``, ``attrs``, and ``render`` /
``inputs`` / ``extra`` where it has them) and make the planner add it (``plan/planner.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import SECRET_CABUNDLE, Input, Node, Operation
from .shell import PREBUILT_MARKER

SECRETS_DIR = "/run/secrets"
CA_ENV_VARS = ("PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "GIT_SSL_CAINFO", "CURL_CA_BUNDLE")
CCACHE_DIR = "/root/.ccache"


def render_dockerfile(nodes: Iterable[Node]) -> str:
    """The Dockerfile of a stage's nodes, in order."""
    lines: list[str] = []
    for node in nodes:
        if node.operation is not None:
            lines.extend(node.operation.render())
    return "\n".join(lines) + "\n"


def _quote(value: str, literal: bool = False) -> str:
    """A double-quoted Dockerfile word; ``literal`` also escapes ``$`` (no substitution)."""
    text = value.replace("\\", "\\\\").replace('"', '\\"')
    if literal:
        text = text.replace("$", "\\$")
    return f'"{text}"'


def _needs_json(*paths: str) -> bool:
    return any(c.isspace() or c in "\"'\\" for c in "".join(paths))


def _named(name: str, node: Node, default_prefix: str, value: str) -> Input:
    return Input(name or f"{default_prefix}:{node.digest[:12]}", value)


# -- sources and the base -------------------------------------------------------------------
@dataclass(frozen=True)
class BaseImage(Operation):
    """The platform's base image, by reference and (when known) digest."""

    OP = "source.image"
    ref: str
    digest: str = ""

    def attrs(self) -> dict[str, Any]:
        return {"ref": self.ref, "digest": self.digest}

    def describe(self) -> str:
        return self.ref + (f"@{self.digest}" if self.digest else "")


@dataclass(frozen=True)
class PlatformValues(Operation):
    """The platform values every stage's key holds (l4t, cuda, arch, ...)."""

    OP = "platform"
    values: Mapping[str, Any]

    def attrs(self) -> dict[str, Any]:
        return dict(self.values)

    def inputs(self, node: Node, stage_nodes: Mapping[str, Node]) -> list[Input]:
        return [Input(f"platform:{k}", ",".join(v) if isinstance(v, list) else str(v), "platform", k)
                for k, v in sorted(self.values.items())]


@dataclass(frozen=True)
class SourceFile(Operation):
    """A package file by content; ``abspath`` locates it on this machine (not keyed)."""

    OP = "source.file"
    path: str
    digest: str
    abspath: str

    def attrs(self) -> dict[str, Any]:
        return {"path": self.path, "digest": self.digest}

    def extra(self) -> dict[str, Any]:
        return {"abspath": self.abspath}


@dataclass(frozen=True)
class GitSource(Operation):
    """A git_repository pinned by tag and/or commit."""

    OP = "source.git"
    remote: str
    tag: str
    commit: str
    submodules: bool
    name: str

    def attrs(self) -> dict[str, Any]:
        return {"remote": self.remote, "tag": self.tag, "commit": self.commit, "submodules": self.submodules}

    def extra(self) -> dict[str, Any]:
        return {"name": self.name}

    def inputs(self, node: Node, stage_nodes: Mapping[str, Node]) -> list[Input]:
        pin = "@".join(filter(None, [self.remote, self.tag]))
        text = pin + (f"/{self.commit}" if self.commit else "") + (" (submodules)" if self.submodules else "")
        return [_named(self.name, node, "source", text)]


@dataclass(frozen=True)
class HttpSource(Operation):
    """An http_archive verified by sha256."""

    OP = "source.http"
    url: str
    sha256: str
    strip_prefix: str
    name: str

    def attrs(self) -> dict[str, Any]:
        return {"url": self.url, "sha256": self.sha256, "strip_prefix": self.strip_prefix}

    def extra(self) -> dict[str, Any]:
        return {"name": self.name}

    def inputs(self, node: Node, stage_nodes: Mapping[str, Node]) -> list[Input]:
        text = f"{self.url}#sha256={self.sha256}" + (f" strip_prefix={self.strip_prefix}" if self.strip_prefix else "")
        return [_named(self.name, node, "source", text)]


# -- the stage's start ------------------------------------------------------------------------
@dataclass(frozen=True)
class From(Operation):
    """``FROM`` the base (its first input: the base image's node or the base stage's key)."""

    OP = "from"
    as_: str = ""

    def attrs(self) -> dict[str, Any]:
        return {"as": self.as_}

    def render(self) -> list[str]:
        return ["ARG JCB_BASE", "FROM ${JCB_BASE}" + (f" AS {self.as_}" if self.as_ else "")]

    def inputs(self, node: Node, stage_nodes: Mapping[str, Node]) -> list[Input]:
        base = stage_nodes.get(node.inputs[0])
        if base is not None and isinstance(base.operation, BaseImage):
            text = base.operation.describe()
            return [Input("base", f"image:{text}", "base", "image", text)]
        return [Input("base", f"stage:{node.inputs[0]}", "base", "stage", node.inputs[0])]


@dataclass(frozen=True)
class Args(Operation):
    """Build arguments (``ARG``), keyed by value."""

    OP = "args"
    build_args: Mapping[str, str]

    def attrs(self) -> dict[str, Any]:
        return {"build_args": dict(self.build_args)}

    def render(self) -> list[str]:
        return [f"ARG {k}={_quote(v, literal=True)}" for k, v in sorted(self.build_args.items())]

    def inputs(self, node: Node, stage_nodes: Mapping[str, Node]) -> list[Input]:
        return [Input(f"build_arg:{k}", v, "build_arg", k) for k, v in sorted(self.build_args.items())]


@dataclass(frozen=True)
class Env(Operation):
    """``ENV`` variables: the target's ``env`` (unnamed) or an ``env()`` step (named ``step:N``)."""

    OP = "env"
    vars: Mapping[str, str]
    name: str = ""

    def attrs(self) -> dict[str, Any]:
        return {"vars": dict(self.vars)}

    def extra(self) -> dict[str, Any]:
        return {"name": self.name} if self.name else {}

    def render(self) -> list[str]:
        return [f"ENV {k}={_quote(v)}" for k, v in sorted(self.vars.items())]

    def inputs(self, node: Node, stage_nodes: Mapping[str, Node]) -> list[Input]:
        if self.name:
            return [Input(self.name, "; ".join(self.render()))]
        return [Input(f"env:{k}", v, "env", k) for k, v in sorted(self.vars.items())]


@dataclass(frozen=True)
class Context(Operation):
    """The package files staged into the build context, by context path and digest."""

    OP = "context"
    files: Mapping[str, str]

    def attrs(self) -> dict[str, Any]:
        return {"files": dict(self.files)}

    def inputs(self, node: Node, stage_nodes: Mapping[str, Node]) -> list[Input]:
        return [Input(f"file:{p}", d, "file", p) for p, d in sorted(self.files.items())]


# -- steps ------------------------------------------------------------------------------------
def ca_prefix() -> str:
    """Point the usual CA variables (and apt, via $JCB_APT_CA) at the mounted host CA bundle, if any."""
    bundle = f"{SECRETS_DIR}/{SECRET_CABUNDLE}"
    assigns = " ".join(f"{var}={bundle}" for var in CA_ENV_VARS)
    return (f"if [ -f {bundle} ]; then export {assigns} "
            f"JCB_APT_CA=\"-o Acquire::https::CAInfo={bundle}\"; fi")


def guard_prefix() -> str:
    """Skip a compile step when the wheel was found on the index."""
    return (f"if [ -e {PREBUILT_MARKER} ]; then echo 'jcb: wheel taken from the index; step skipped'; "
            "exit 0; fi")


def _shell(parts: list[str]) -> str:
    """The RUN command: shell form on one line, or exec form when a part spans lines."""
    if any("\n" in p or p.rstrip().endswith("\\") for p in parts):
        return json.dumps(["/bin/sh", "-c", "\n".join(parts)])
    return "; ".join(parts)


@dataclass(frozen=True)
class Exec(Operation):
    """A ``RUN``: the command, its network mode and secrets, an index guard, bind mounts.

    ``cache`` mounts (BuildKit cache dirs) are never keyed.
    """

    OP = "exec"
    cmd: str
    name: str
    network: str = "default"
    secrets: tuple[str, ...] = ()
    guard: bool = False
    mounts: tuple[Mapping[str, str], ...] = ()
    cache: tuple[Mapping[str, str], ...] = ()

    def attrs(self) -> dict[str, Any]:
        return {"cmd": self.cmd, "network": self.network, "secrets": sorted(self.secrets), "guard": self.guard,
                "mounts": [dict(m) for m in self.mounts]}

    def extra(self) -> dict[str, Any]:
        return {"name": self.name, "cache": [dict(c) for c in self.cache]}

    def render(self) -> list[str]:
        return [self.instruction()]

    def instruction(self, with_cache: bool = True) -> str:
        """``RUN [--mount=..]... CMD`` (its network mode applies to the stage)."""
        caches = list(self.cache) if with_cache else []
        flags = [f"--mount=type=cache,target={c['target']},id={c['id']},sharing={c['sharing']}" for c in caches]
        flags += [",".join(["--mount=type=" + m["type"]] + [f"{k}={m[k]}" for k in ("source", "target") if m.get(k)])
                  for m in self.mounts]
        flags += [f"--mount=type=secret,id={s}" for s in sorted(self.secrets)]
        parts: list[str] = []
        if self.guard:
            parts.append(guard_prefix())
        if SECRET_CABUNDLE in self.secrets:
            parts.append(ca_prefix())
        if any(c["target"] == CCACHE_DIR for c in caches):
            parts.append(f"export CCACHE_DIR={CCACHE_DIR}")
        parts.append(self.cmd)
        return " ".join(["RUN", *flags, _shell(parts)])

    def inputs(self, node: Node, stage_nodes: Mapping[str, Node]) -> list[Input]:
        return [_named(self.name, node, "run", self.instruction(with_cache=False))]


@dataclass(frozen=True)
class WheelInstall(Exec):
    """Installing a layer's input wheels (its inputs after the first are the wheel stages' keys)."""

    OP = "wheel.install"
    wheel_labels: tuple[str, ...] = ()

    def extra(self) -> dict[str, Any]:
        return {**super().extra(), "wheel_labels": [f"wheel:{w}" for w in self.wheel_labels]}

    def inputs(self, node: Node, stage_nodes: Mapping[str, Node]) -> list[Input]:
        wheels = [Input(f"wheel:{label}", key, "wheel", label) for label, key in zip(self.wheel_labels, node.inputs[1:])]
        return wheels + super().inputs(node, stage_nodes)


@dataclass(frozen=True)
class Copy(Operation):
    """``COPY`` of a context file into the image."""

    OP = "copy"
    src: str
    dst: str
    name: str = ""

    def attrs(self) -> dict[str, Any]:
        return {"src": self.src, "dst": self.dst}

    def extra(self) -> dict[str, Any]:
        return {"name": self.name}

    def render(self) -> list[str]:
        if _needs_json(self.src, self.dst):
            return ["COPY " + json.dumps([self.src, self.dst])]
        return [f"COPY {self.src} {self.dst}"]

    def inputs(self, node: Node, stage_nodes: Mapping[str, Node]) -> list[Input]:
        return [_named(self.name, node, self.OP, self.render()[0])]


@dataclass(frozen=True)
class Workdir(Operation):
    """``WORKDIR`` of the following steps and of the image."""

    OP = "workdir"
    path: str
    name: str = ""

    def attrs(self) -> dict[str, Any]:
        return {"path": self.path}

    def extra(self) -> dict[str, Any]:
        return {"name": self.name}

    def render(self) -> list[str]:
        return [f"WORKDIR {json.dumps(self.path) if _needs_json(self.path) else self.path}"]

    def inputs(self, node: Node, stage_nodes: Mapping[str, Node]) -> list[Input]:
        return [_named(self.name, node, self.OP, self.render()[0])]


@dataclass(frozen=True)
class Fragment(Operation):
    """A package's Dockerfile fragment, keyed by its file's digest; ``text`` is rendered as is."""

    OP = "fragment"
    path: str
    digest: str
    text: str = field(repr=False, default="")

    def attrs(self) -> dict[str, Any]:
        return {"path": self.path, "digest": self.digest}

    def extra(self) -> dict[str, Any]:
        return {"text": self.text}

    def render(self) -> list[str]:
        return [f"# dockerfile: {self.path}", *self.text.rstrip("\n").split("\n")]

    def inputs(self, node: Node, stage_nodes: Mapping[str, Node]) -> list[Input]:
        return [Input(f"dockerfile:{self.path}", self.digest, "dockerfile", self.path)]


# -- results ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LayerResult(Operation):
    """The end of a layer stage: its image."""

    OP = "layer.result"
    label: str

    def attrs(self) -> dict[str, Any]:
        return {"label": self.label}


@dataclass(frozen=True)
class WheelExport(Operation):
    """The end of a wheel stage: check the wheel is there, export ``dir`` from stage ``from_``."""

    OP = "wheel.export"
    label: str
    dist: str
    python_tag: str
    dir: str
    check: str
    from_: str = "build"

    def attrs(self) -> dict[str, Any]:
        return {"label": self.label, "dist": self.dist, "python_tag": self.python_tag, "from": self.from_,
                "dir": self.dir, "check": self.check}

    def render(self) -> list[str]:
        return [f"RUN {self.check}", "", "FROM scratch", f"COPY --from={self.from_} {self.dir}/ /"]

    def inputs(self, node: Node, stage_nodes: Mapping[str, Node]) -> list[Input]:
        return [Input("wheel:dist", self.dist), Input("wheel:python_tag", self.python_tag)]
