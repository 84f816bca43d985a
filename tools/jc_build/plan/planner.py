"""``make_plan``: the configured graph of one target -> content-addressed stages.

A layer stage builds on the stage of the layer below it in its chain (the chain's first layer
on the platform's base image) and installs its wheels from files the executor stages into the
context. A wheel stage builds in a builder made of only its ``build_deps``' chain. Stages are
identified by their action key, so a layer shared by two chains on the same base is one stage.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..analysis.graph import ConfiguredGraph, Edges
from ..cache.digest import sha256_file
from ..errors import AnalysisError, Location
from ..loading.labels import Label, parse_label
from ..loading.workspace import Workspace, image_name
from ..model import Platform, Target
from . import commands
from .canonical import node_digest
from .chains import builder_chain, check_layer_chain
from .model import (SECRET_CABUNDLE, WHEELS_CONTEXT_DIR, ContextFile, ImageTest, Node, Plan, Stage)
from .render import CCACHE_DIR, render_dockerfile

_FROM_LINE = re.compile(r"^\s*FROM\s", re.I | re.M)
_BASE_IMAGE_FROM = re.compile(r"\s*FROM[ \t]+(\$\{BASE_IMAGE\}|\$BASE_IMAGE)[ \t]*$", re.I | re.M)
_DIST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
_TAG_CHARS = re.compile(r"[^a-z0-9._-]+")


def make_plan(graph: ConfiguredGraph, workspace: Workspace, root: Label, *,
              base_digests: Mapping[str, str] | None = None) -> Plan:
    """The plan that builds ``root`` (a container_layer or wheel, or an alias of one).

    ``base_digests`` maps a base image reference to its digest when known; it becomes part of
    the keys of every stage built on that image.
    """
    return _Planner(graph, workspace, root, base_digests or {}).plan()


class _Planner:
    def __init__(self, graph: ConfiguredGraph, workspace: Workspace, root: Label,
                 base_digests: Mapping[str, str]):
        self.graph = graph
        self.workspace = workspace
        self.platform: Platform = graph.platform
        self.root = graph.resolve_alias(root)
        self.base_digests = dict(base_digests)
        self.nodes: dict[str, Node] = {}
        self.stages: dict[str, Stage] = {}  # insertion order = execution order
        self._layer_memo: dict[tuple[Label, str], Stage] = {}
        self._wheel_memo: dict[tuple[Label, bool], Stage] = {}
        self._file_digests: dict[str, str] = {}
        self.edges: Edges = {}
        p = self.platform
        self.platform_node = self._node("platform", {
            "l4t": p.l4t, "cuda": p.cuda, "cudnn": p.cudnn, "python": p.python, "distro": p.distro,
            "arch": p.arch, "cuda_arch": list(p.cuda_arch), "oci_platform": p.oci_platform})

    # -- entry ----------------------------------------------------------------------
    def plan(self) -> Plan:
        target = self.graph.target(self.root)
        if target.kind not in ("container_layer", "wheel"):
            raise AnalysisError(f"{self.root} is a {target.kind}; only container_layer and wheel targets "
                                "have a build plan", target.location)
        self.graph.check_compatible(self.root)
        self.edges = self.graph.closure(self.root)
        if target.kind == "wheel":
            root_stage = self.wheel_stage(self.root, forced=False)
        else:
            chain = self.graph.chain(self.root, self.edges)
            check_layer_chain(self.graph, chain, f"the image of {self.root}", target.location)
            base: Stage | None = None
            for label in chain:
                base = self.layer_stage(label, base)
            assert base is not None
            self._note_version_skew(chain)
            root_stage = self.stages[base.key]
            name = image_name(self.workspace, target.package_name, target.version, self.platform)
            root_stage = replace(root_stage, image_name=name)
            self.stages[root_stage.key] = root_stage
        return Plan(root=self.root, platform=self.platform, stages=list(self.stages.values()),
                    root_key=root_stage.key, nodes=dict(self.nodes))

    def _note_version_skew(self, chain: list[Label]) -> None:
        """Note wheels compiled against another version of a package than the image below holds."""
        below: dict[tuple[str, str], Label] = {}
        base: Stage | None = None
        for label in chain:
            stage = self.layer_stage(label, base)  # memoized
            notes = []
            for key in stage.wheel_inputs:
                wheel = self.stages[key]
                for builder_key in wheel.builder_chain:
                    used = self.stages[builder_key].label
                    package = self.graph.package_key(used)
                    if package in below and below[package] != used:
                        notes.append(f"{wheel.label} is compiled against {used} (its build_deps) but this image "
                                     f"has {below[package]}; name that version in build_deps, or reach the "
                                     "package's alias from the image chain so the explicit version pins it")
            if notes:
                stage = replace(stage, notes=stage.notes + tuple(notes))
                self.stages[stage.key] = stage
                self._layer_memo[(label, base.key if base else "")] = stage
            below.setdefault(self.graph.package_key(label), label)  # type: ignore[arg-type]
            base = stage

    # -- nodes ----------------------------------------------------------------------
    def _node(self, op: str, attrs: Mapping[str, Any], inputs: tuple[str, ...] | list[str] = (),
              **extra: Any) -> Node:
        node = Node(node_digest(op, attrs, inputs), op, dict(attrs), tuple(inputs), extra)
        self.nodes.setdefault(node.digest, node)
        return node

    def _file_digest(self, path: Path) -> str:
        key = str(path)
        if key not in self._file_digests:
            self._file_digests[key] = sha256_file(path).hex
        return self._file_digests[key]

    def _base_image_node(self) -> Node:
        ref = self.platform.base_image
        return self._node("source.image", {"ref": ref, "digest": self.base_digests.get(ref, "")})

    # -- layers ---------------------------------------------------------------------
    def layer_stage(self, label: Label, base: Stage | None) -> Stage:
        memo = (label, base.key if base else "")
        if memo in self._layer_memo:
            return self._layer_memo[memo]
        target = self.graph.target(label)
        wheels = [self.wheel_stage(w, forced=bool(target.attrs.get("builder"))) for w in self._wheels_of(label)]
        b = _StageBuilder(self, target, "layer", base)
        b.common()
        if wheels:
            b.wheel_install(wheels)
        b.steps(compile=False)
        b.fragment()
        b.add("layer.result", {"label": str(label)})
        stage = b.finish(wheel_inputs=[w.key for w in wheels])
        self._layer_memo[memo] = stage
        return stage

    def _wheels_of(self, label: Label) -> list[Label]:
        target = self.graph.target(label)
        n_deps, n_wheels = len(target.attrs["deps"]), len(target.attrs["wheels"])
        wheels = [self.graph.resolve_alias(w) for w in self.edges[label][n_deps:n_deps + n_wheels]]
        for w in wheels:
            kind = self.graph.target(w).kind
            if kind != "wheel":
                raise AnalysisError(f"{label} lists {w} in wheels, but it is a {kind}, not a wheel",
                                    target.location)
        return wheels

    # -- wheels ---------------------------------------------------------------------
    def wheel_stage(self, label: Label, forced: bool) -> Stage:
        memo = (label, forced)
        if memo in self._wheel_memo:
            return self._wheel_memo[memo]
        target = self.graph.target(label)
        attrs = target.attrs
        dist = attrs["dist"]
        if not _DIST.match(dist):
            raise AnalysisError(f"{label}: dist '{dist}' is not a distribution name", target.location)
        chain = builder_chain(self.graph, label, self.edges)
        base: Stage | None = None
        for layer in chain:
            base = self.layer_stage(layer, base)
        srcs = self._sources_of(label)
        has_steps = bool(attrs["steps"]) or bool(attrs.get("dockerfile"))
        if not srcs and not has_steps:
            raise AnalysisError(f"wheel {label} has no srcs and no steps: nothing to build", target.location)
        build_args = dict(attrs["build_args"])
        index_url = attrs.get("index_url") or ""
        if index_url:
            build_args.setdefault("JCB_FORCE_BUILD", "1" if forced else "0")
        b = _StageBuilder(self, target, "wheel", base, build_args=build_args)
        b.common()
        if index_url:
            spec = attrs.get("index_spec") or (f"{dist}=={attrs['version']}" if attrs.get("version") else dist)
            b.exec(commands.index_lookup(index_url, spec), name="index", cache=("pip",), network_tool=True)
        dests: list[str] = []
        for i, src in enumerate(srcs):
            dest = commands.SRC_DIR if i == 0 else f"{commands.EXTRA_SRC_DIR}/{src.name}"
            dests.append(dest)
            b.source(src, dest, tmp=f"/tmp/jcb-src-{i}", guard=bool(index_url))
        b.steps(compile=True, guard=bool(index_url))
        if not has_steps:
            b.exec(commands.default_wheel_build(dests[0]), name="step:default", cache=("pip", "ccache"),
                   network_tool=True, guard=bool(index_url))
        b.fragment()
        python_tag = attrs.get("python_tag") or self.platform.python_tag
        b.add("wheel.export", {"label": str(label), "dist": dist, "python_tag": python_tag, "from": "build",
                               "dir": commands.WHEELS_DIR,
                               "check": commands.wheel_check(str(label), dist)})
        stage = b.finish(builder_chain=tuple(s.key for s in self._chain_stages(chain)), dist=dist,
                         python_tag=python_tag)
        self._wheel_memo[memo] = stage
        return stage

    def _chain_stages(self, chain: list[Label]) -> list[Stage]:
        stages: list[Stage] = []
        base: Stage | None = None
        for layer in chain:
            base = self.layer_stage(layer, base)  # memoized: no new work
            stages.append(base)
        return stages

    def _sources_of(self, label: Label) -> list[Label]:
        target = self.graph.target(label)
        n = len(target.attrs["build_deps"])
        srcs = [self.graph.resolve_alias(s) for s in self.edges[label][n:n + len(target.attrs["srcs"])]]
        for src in srcs:
            kind = self.graph.target(src).kind
            if kind not in ("git_repository", "http_archive"):
                raise AnalysisError(f"wheel {label} lists {src} in srcs, but it is a {kind}, not a "
                                    "git_repository or http_archive", target.location)
        return srcs


class _StageBuilder:
    """Accumulates one stage's nodes as a chain: each node's first input is the previous one."""

    def __init__(self, planner: _Planner, target: Target, kind: str, base: Stage | None,
                 build_args: Mapping[str, str] | None = None):
        self.p = planner
        self.target = target
        self.kind = kind
        self.base = base
        self.build_args = dict(target.attrs["build_args"] if build_args is None else build_args)
        self.nodes: list[Node] = []
        self.head: Node | None = None
        self.secrets: set[str] = set()
        self.networks: list[tuple[str, str, bool]] = []  # (step name, network, declared in BUILD) per RUN
        self.package_dir = planner.graph.loader.package_dir(target.label.package)
        self.files: dict[str, ContextFile] = {}
        self.step_no = 0

    @property
    def where(self) -> Location:
        return self.target.location

    # -- node helpers ------------------------------------------------------------------
    def keep(self, node: Node) -> Node:
        if all(n.digest != node.digest for n in self.nodes):
            self.nodes.append(node)
        return node

    def add(self, op: str, attrs: Mapping[str, Any], extra_inputs: tuple[str, ...] | list[str] = (),
            **extra: Any) -> Node:
        assert self.head is not None
        node = self.p._node(op, attrs, (self.head.digest, *extra_inputs), **extra)
        self.head = self.keep(node)
        return node

    # -- parts --------------------------------------------------------------------------
    def common(self) -> None:
        """FROM, ARG, ENV and the context files: what every stage starts with."""
        if self.base is None:
            base_digest = self.keep(self.p._base_image_node()).digest
        else:
            base_digest = self.base.key
        self.keep(self.p.platform_node)
        self.head = self.p._node("from", {"as": "build" if self.kind == "wheel" else ""},
                                 (base_digest, self.p.platform_node.digest))
        self.keep(self.head)
        self._check_values("build_args", self.build_args)
        if self.build_args:
            self.add("args", {"build_args": self.build_args})
        env = self.target.attrs["env"]
        self._check_values("env", env)
        if env:
            self.add("env", {"vars": dict(env)})
        files = sorted(set(self.target.attrs["files"]), key=_context_path)  # their order cannot change the output
        if files:
            file_nodes = [self.file_node(f) for f in files]
            self.add("context", {"files": {n.attrs["path"]: n.attrs["digest"] for n in file_nodes}},
                     [n.digest for n in file_nodes])

    def _check_values(self, what: str, values: Mapping[str, str]) -> None:
        for k, v in values.items():
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k):
                raise AnalysisError(f"{self.target.label}: {what} name '{k}' is not a valid variable name",
                                    self.where)
            if any(ord(c) < 32 for c in v):
                raise AnalysisError(f"{self.target.label}: {what} value of '{k}' contains a control character "
                                    "(newline?)", self.where)

    def file_node(self, entry: str) -> Node:
        """A file by content; its context path is its package-relative path (see ``_context_path``)."""
        rel = _context_path(entry)
        if self.kind == "layer" and (rel == WHEELS_CONTEXT_DIR or rel.startswith(WHEELS_CONTEXT_DIR + "/")):
            raise AnalysisError(f"{self.target.label}: file '{rel}' would clash with the wheels/ directory "
                                "jcb stages into the build context; rename it", self.where)
        path = self.p.graph.loader.file_path(self.target.label.package, entry)
        digest = self.p._file_digest(path)
        self.files[rel] = ContextFile(os.fspath(path.absolute()), digest)
        return self.keep(self.p._node("source.file", {"path": rel, "digest": digest},
                                      abspath=os.fspath(path.absolute())))

    def exec(self, cmd: str, *, name: str, network: str = "default", secrets: list[str] | tuple[str, ...] = (),
             cache: tuple[str, ...] = (), network_tool: bool = False, guard: bool = False,
             mounts: list[dict[str, str]] | None = None, op: str = "exec",
             extra_inputs: tuple[str, ...] | list[str] = (), declared: bool = False, **extra: Any) -> Node:
        ids = set(secrets)
        if network_tool and network != "none":
            ids.add(SECRET_CABUNDLE)
        self.secrets |= ids
        self.networks.append((name, network, declared))
        attrs = {"cmd": cmd, "network": network, "secrets": sorted(ids), "guard": guard, "mounts": mounts or []}
        return self.add(op, attrs, extra_inputs, name=name, cache=[self.cache_mount(c) for c in cache], **extra)

    def cache_mount(self, kind: str) -> dict[str, str]:
        """BuildKit cache mounts: never part of a key; ids per distro/arch so caches do not mix."""
        p = self.p.platform
        if kind == "pip":
            return {"target": "/root/.cache/pip", "id": f"jcb-pip-{p.arch}", "sharing": "shared"}
        if kind == "apt-cache":
            return {"target": "/var/cache/apt", "id": f"jcb-apt-cache-{p.distro}-{p.arch}", "sharing": "locked"}
        if kind == "apt-lists":
            return {"target": "/var/lib/apt/lists", "id": f"jcb-apt-lists-{p.distro}-{p.arch}",
                    "sharing": "locked"}
        if kind == "ccache":
            return {"target": CCACHE_DIR, "id": f"jcb-ccache-{p.name}", "sharing": "shared"}
        raise ValueError(kind)

    def wheel_install(self, wheels: list[Stage]) -> None:
        mount = {"type": "bind", "source": WHEELS_CONTEXT_DIR, "target": commands.WHEELS_MOUNT}
        self.exec(commands.wheel_install(), name="wheels", network="none", mounts=[mount], op="wheel.install",
                  extra_inputs=[w.key for w in wheels], wheel_labels=[f"wheel:{w.label}" for w in wheels])

    def source(self, label: Label, dest: str, tmp: str, guard: bool) -> None:
        target = self.p.graph.target(label)
        a = target.attrs
        if target.kind == "git_repository":
            tag, commit = a.get("tag") or "", a.get("commit") or ""
            if not tag and not commit:
                raise AnalysisError(f"{label} pins neither a tag nor a commit; a build needs a fixed source",
                                    target.location)
            node = self.keep(self.p._node("source.git", {"remote": a["remote"], "tag": tag, "commit": commit,
                                                         "submodules": bool(a.get("submodules"))},
                                            name=f"source:{label}"))
            cmd = commands.git_fetch(a["remote"], tag, commit, bool(a.get("submodules")), dest)
        else:
            sha = a["sha256"].lower()
            if not re.fullmatch(r"[0-9a-f]{64}", sha):
                raise AnalysisError(f"{label}: sha256 '{a['sha256']}' is not 64 hex digits", target.location)
            node = self.keep(self.p._node("source.http", {"url": a["url"], "sha256": sha,
                                                          "strip_prefix": a.get("strip_prefix") or ""},
                                            name=f"source:{label}"))
            cmd = commands.http_fetch(a["url"], sha, a.get("strip_prefix") or "", dest, tmp)
        self.exec(cmd, name=f"fetch:{label}", network_tool=True, guard=guard, extra_inputs=[node.digest])

    def steps(self, *, compile: bool, guard: bool = False) -> None:
        """The target's ``steps``; in wheel stages they are compile steps (ccache, index guard)."""
        for step in self.target.attrs["steps"]:
            self.step_no += 1
            name = f"step:{self.step_no}"
            op = step.get("op")
            if op == "run":
                cmd = step["cmd"]
                network = step.get("network") or "default"
                cache = []
                if commands.PIP_TOOLS.search(cmd):
                    cache.append("pip")
                if commands.APT_TOOLS.search(cmd):
                    cache += ["apt-cache", "apt-lists"]
                if compile:
                    cache.append("ccache")
                self.exec(cmd, name=name, network=network, secrets=list(step.get("secrets") or []),
                          cache=tuple(cache), network_tool=bool(commands.NETWORK_TOOLS.search(cmd)), guard=guard,
                          declared=True)
            elif op == "apt_install":
                self.exec(commands.apt_install(step["packages"]), name=name, cache=("apt-cache", "apt-lists"),
                          network_tool=True, guard=guard)
            elif op == "pip_install":
                self.exec(commands.pip_install(step["packages"], step.get("index_url") or "",
                                               step.get("extra_args") or []),
                          name=name, cache=("pip",), network_tool=True, guard=guard)
            elif op == "env":
                self._check_values("env()", step["vars"])
                self.add("env", {"vars": dict(step["vars"])}, name=name)
            elif op == "workdir":
                self.add("workdir", {"path": step["path"]}, name=name)
            elif op == "copy":
                src = _context_path(step["src"])
                if src not in self.files:
                    raise AnalysisError(f"{self.target.label}: copy() source '{step['src']}' is not listed in "
                                        "files (only listed package files enter the build context)", self.where)
                file_node = self.file_node(step["src"])
                self.add("copy", {"src": src, "dst": step["dst"]}, [file_node.digest], name=name)
            else:
                raise AnalysisError(f"{self.target.label}: unknown build step {step!r}", self.where)

    def fragment(self) -> None:
        rel = self.target.attrs.get("dockerfile")
        if not rel:
            return
        path = self.package_dir / rel
        text = _after_base_image(path.read_text(encoding="utf-8"))
        if _FROM_LINE.search(text):
            raise AnalysisError(f"{self.target.label}: dockerfile '{rel}' has a FROM line; a fragment continues "
                                "the stage jcb starts (drop the FROM, or make it the only one, "
                                "'FROM ${BASE_IMAGE}' after 'ARG BASE_IMAGE')", self.where)
        digest = self.p._file_digest(path)
        file_node = self.keep(self.p._node("source.file", {"path": Path(rel).as_posix(), "digest": digest},
                                           abspath=os.fspath(path.absolute())))
        self.add("fragment", {"path": Path(rel).as_posix(), "digest": digest}, [file_node.digest], text=text)
        if re.search(r"^\s*RUN\s", text, re.I | re.M):
            self.networks.append((f"dockerfile:{rel}", "default", False))  # its RUNs may need the network

    # -- result -------------------------------------------------------------------------
    def finish(self, wheel_inputs: list[str] | None = None, **fields: Any) -> Stage:
        assert self.head is not None
        key = self.head.digest
        if key in self.p.stages:
            return self.p.stages[key]
        label = self.target.label
        tests: list[ImageTest] = []
        if self.kind == "layer":
            for rel in self.target.attrs.get("tests") or []:
                path = self.package_dir / rel
                tests.append(ImageTest(os.fspath(path.absolute()), self.p._file_digest(path)))
        base = ("stage", self.base.key) if self.base else ("image", self.p.platform.base_image)
        stage = Stage(
            key=key, label=label, kind=self.kind, platform=self.p.platform.name,
            oci_platform=self.p.platform.oci_platform, dockerfile=render_dockerfile(self.nodes), base=base,
            base_digest="" if self.base else self.p.base_digests.get(self.p.platform.base_image, ""),
            context_files=dict(sorted(self.files.items())), wheel_inputs=list(wheel_inputs or []),
            build_args=dict(sorted(self.build_args.items())), secrets=tuple(sorted(self.secrets)),
            image_name=_intermediate_name(self.target, key) if self.kind == "layer" else None,
            tests=tests, nodes=tuple(self.nodes), **self._network(), **fields)
        self.p.stages[key] = stage
        return stage


    def _network(self) -> dict[str, Any]:
        """The stage's network: ``host`` if a RUN asks for it, ``none`` if every RUN does, else default.

        BuildKit v0.8's Dockerfile frontend cannot isolate a single RUN (no ``RUN --network``), so a
        ``network = "none"`` step in a stage that needs the network elsewhere runs with it: noted.
        """
        modes = {mode for _, mode, _ in self.networks}
        network = "host" if "host" in modes else "none" if modes == {"none"} else "default"
        lost = [name for name, mode, declared in self.networks
                if mode == "none" and declared] if network != "none" else []
        notes = tuple(f"{name} asks for network=none, but other steps of the stage need the network; "
                      f"the stage runs with network={network} (no per-RUN --network on BuildKit v0.8)"
                      for name in lost)
        return {"network": network, "notes": notes}


def _after_base_image(text: str) -> str:
    """A jetson-containers Dockerfile (``ARG BASE_IMAGE`` / ``FROM ${BASE_IMAGE}``) as a fragment: what follows
    its first FROM when that FROM names ``BASE_IMAGE``; other text unchanged."""
    match = _FROM_LINE.search(text)
    base = _BASE_IMAGE_FROM.match(text, match.start()) if match else None
    if base is None:
        return text
    rest = text[base.end():]
    return rest[1:] if rest.startswith("\n") else rest


def _clean(rel: str) -> str:
    """A package-relative path in one spelling: ``./a//b`` -> ``a/b``."""
    return Path(rel).as_posix()


def _context_path(entry: str) -> str:
    """Where a ``files`` entry lands in the build context: its package-relative path, or, for another
    package's file (``//ml/mamba/causalconv1d:set_cuda_archs.py``), ``_pkgs/<package>/<file>``."""
    if entry.startswith("//"):
        label = parse_label(entry)
        return f"_pkgs/{label.package}/{_clean(label.name)}"
    return _clean(entry)


def _intermediate_name(target: Target, key: str) -> str:
    """``jcb/<package>:<key[:12]>``, the tag of a layer that is not the requested image."""
    package = _TAG_CHARS.sub("-", target.package_name.lower()).strip("-._") or "layer"
    return f"jcb/{package}:{key[:12]}"

