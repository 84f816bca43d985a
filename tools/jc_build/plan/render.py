"""Dockerfile text from a stage's nodes, and the named inputs behind a stage's key.

The Dockerfile uses only what the daemon-embedded BuildKit (~v0.8, Docker 20.10) understands
without a ``# syntax=`` line: ``RUN --mount=type=cache|secret|bind``. Its frontend rejects
``RUN --network=`` ("Unknown flag: network"), so a step's network mode is keyed but applied per
stage (``Stage.network``, ``docker build --network``). The base is a build-arg placeholder
(``ARG JCB_BASE`` / ``FROM ${JCB_BASE}``) so the text depends only on keyed data; the executor
passes the base image.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .model import PLAN_FORMAT_VERSION, SECRET_CABUNDLE, Node

if TYPE_CHECKING:
    from .model import Stage

SECRETS_DIR = "/run/secrets"
CA_ENV_VARS = ("PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "GIT_SSL_CAINFO", "CURL_CA_BUNDLE")
PREBUILT_MARKER = "/opt/.jcb-prebuilt"
CCACHE_DIR = "/root/.ccache"

# Ops whose node is rendered as one RUN instruction from the same attrs.
EXEC_OPS = ("exec", "wheel.install")


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


def run_instruction(node: Node, with_cache: bool = True) -> str:
    """``RUN [--mount=..]... CMD`` for an exec-like node (its network mode applies to the stage)."""
    a = node.attrs
    flags: list[str] = []
    caches = list(node.extra.get("cache", ())) if with_cache else []
    for cache in caches:
        flags.append(f"--mount=type=cache,target={cache['target']},id={cache['id']},sharing={cache['sharing']}")
    for mount in a.get("mounts", ()):
        flags.append(",".join(["--mount=type=" + mount["type"]]
                              + [f"{k}={mount[k]}" for k in ("source", "target") if mount.get(k)]))
    for secret in a.get("secrets", ()):
        flags.append(f"--mount=type=secret,id={secret}")
    parts: list[str] = []
    if a.get("guard"):
        parts.append(guard_prefix())
    if SECRET_CABUNDLE in a.get("secrets", ()):
        parts.append(ca_prefix())
    if any(c["target"] == CCACHE_DIR for c in caches):
        parts.append(f"export CCACHE_DIR={CCACHE_DIR}")
    parts.append(a["cmd"])
    return " ".join(["RUN", *flags, _shell(parts)])


def _quote(value: str, literal: bool = False) -> str:
    """A double-quoted Dockerfile word; ``literal`` also escapes ``$`` (no substitution)."""
    text = value.replace("\\", "\\\\").replace('"', '\\"')
    if literal:
        text = text.replace("$", "\\$")
    return f'"{text}"'


def _path_word(path: str) -> str:
    return json.dumps(path) if any(c.isspace() or c in "\"'\\" for c in path) else path


def render_node(node: Node) -> list[str]:
    """Dockerfile lines of one node (none for sources, platform, context and layer results)."""
    a = node.attrs
    op = node.op
    if op == "from":
        return ["ARG JCB_BASE", "FROM ${JCB_BASE}" + (f" AS {a['as']}" if a.get("as") else "")]
    if op == "args":
        return [f"ARG {k}={_quote(v, literal=True)}" for k, v in sorted(a["build_args"].items())]
    if op == "env":
        return [f"ENV {k}={_quote(v)}" for k, v in sorted(a["vars"].items())]
    if op in EXEC_OPS:
        return [run_instruction(node)]
    if op == "copy":
        if any(c.isspace() or c in "\"'\\" for c in a["src"] + a["dst"]):
            return ["COPY " + json.dumps([a["src"], a["dst"]])]
        return [f"COPY {a['src']} {a['dst']}"]
    if op == "workdir":
        return [f"WORKDIR {_path_word(a['path'])}"]
    if op == "fragment":
        return [f"# dockerfile: {a['path']}", *node.extra["text"].rstrip("\n").split("\n")]
    if op == "wheel.export":
        return [f"RUN {a['check']}", "", "FROM scratch", f"COPY --from={a['from']} {a['dir']}/ /"]
    return []


def render_dockerfile(nodes: Iterable[Node]) -> str:
    lines: list[str] = []
    for node in nodes:
        lines.extend(render_node(node))
    return "\n".join(lines) + "\n"


def describe_source(node: Node) -> str:
    a = node.attrs
    if node.op == "source.git":
        pin = "@".join(filter(None, [a["remote"], a.get("tag") or ""]))
        return pin + (f"/{a['commit']}" if a.get("commit") else "") + (" (submodules)" if a.get("submodules") else "")
    if node.op == "source.http":
        return f"{a['url']}#sha256={a['sha256']}" + (f" strip_prefix={a['strip_prefix']}" if a.get("strip_prefix")
                                                     else "")
    if node.op == "source.image":
        return a["ref"] + (f"@{a['digest']}" if a.get("digest") else "")
    return json.dumps(dict(a), sort_keys=True)


def summarize(stage: Stage) -> dict[str, str]:
    """Named inputs of a stage's key (what ``jcb explain`` shows)."""
    by_digest: Mapping[str, Node] = {n.digest: n for n in stage.nodes}
    out: dict[str, str] = {"format": str(PLAN_FORMAT_VERSION), "label": str(stage.label), "kind": stage.kind}
    for node in stage.nodes:
        a: Mapping[str, Any] = node.attrs
        name = node.extra.get("name")
        if node.op == "from":
            base = by_digest.get(node.inputs[0])
            out["base"] = ("image:" + describe_source(base)) if base is not None and base.op == "source.image" \
                else f"stage:{node.inputs[0]}"
        elif node.op == "platform":
            for k, v in sorted(a.items()):
                out[f"platform:{k}"] = ",".join(v) if isinstance(v, list) else str(v)
        elif node.op == "args":
            out.update({f"build_arg:{k}": v for k, v in sorted(a["build_args"].items())})
        elif node.op == "env":
            if name:
                out[name] = render_node(node)[0] if len(a["vars"]) == 1 else "; ".join(render_node(node))
            else:
                out.update({f"env:{k}": v for k, v in sorted(a["vars"].items())})
        elif node.op == "context":
            out.update({f"file:{p}": d for p, d in sorted(a["files"].items())})
        elif node.op in ("source.git", "source.http"):
            out[name or f"source:{node.digest[:12]}"] = describe_source(node)
        elif node.op in EXEC_OPS:
            if node.op == "wheel.install":
                out.update(dict(zip(node.extra.get("wheel_labels", ()), node.inputs[1:])))
            out[name or f"run:{node.digest[:12]}"] = run_instruction(node, with_cache=False)
        elif node.op in ("copy", "workdir"):
            out[name or f"{node.op}:{node.digest[:12]}"] = render_node(node)[0]
        elif node.op == "fragment":
            out[f"dockerfile:{a['path']}"] = a["digest"]
        elif node.op == "wheel.export":
            out["wheel:dist"] = a["dist"]
            out["wheel:python_tag"] = a["python_tag"]
    return out
