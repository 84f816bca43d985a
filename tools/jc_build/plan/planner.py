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
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..analysis.chains import builder_chain, image_chain
from ..analysis.graph import ConfiguredGraph, Edges
from ..cache.digest import sha256_file
from ..errors import AnalysisError, Location
from ..labels import Label
from ..loading.rules import SOURCES_CONTEXT_DIR, WHEELS_CONTEXT_DIR, context_path
from ..loading.workspace import Workspace, image_name
from ..model import Platform, Target
from ..sources import spec
from ..sources.spec import Declared
from . import ops, shell
from .canonical import node_digest
from .model import SECRET_CABUNDLE, ContextFile, ImageTest, Node, Operation, Plan, Stage, StageSource
from .steps import STEP_KINDS

_FROM_LINE = re.compile(r"^\s*FROM\s", re.I | re.M)
_BASE_IMAGE_FROM = re.compile(r"\s*FROM[ \t]+(\$\{BASE_IMAGE\}|\$BASE_IMAGE)[ \t]*$", re.I | re.M)
_TAG_CHARS = re.compile(r"[^a-z0-9._-]+")


BaseDigests = Callable[[str], str] | Mapping[str, str]


def make_plan(graph: ConfiguredGraph, workspace: Workspace, root: Label, *,
              base_digests: BaseDigests | None = None, locked_commits: Mapping[str, str] | None = None,
              hermetic: bool = False, build_args: Mapping[str, str] | None = None) -> Plan:
    """The plan that builds ``root`` (a container_layer or wheel, or an alias of one).

    ``base_digests`` gives a base image reference's digest ("" when unknown): a resolver such as
    ``execution.EngineBaseImages`` (asks the engine, pulling if told to) or a mapping. It becomes
    part of the keys of every stage built on that image. ``locked_commits`` (from jcb.lock) pins
    sources whose BUILD file gives only a tag. ``hermetic`` plans wheels without the index lookup
    (a hermetic build compiles from pinned sources, never takes a wheel from a floating index).
    ``build_args`` override the values of the build arguments targets declare (``--build-arg``);
    they are part of the keys too.
    """
    resolve = base_digests if callable(base_digests) else (lambda ref, known=base_digests or {}: known.get(ref, ""))
    planner = _Planner(graph, workspace, root, resolve, locked_commits or {}, hermetic)
    planner.overrides = dict(build_args or {})
    return planner.plan()


class _Planner:
    def __init__(self, graph: ConfiguredGraph, workspace: Workspace, root: Label,
                 base_digest: Callable[[str], str], locked_commits: Mapping[str, str], hermetic: bool):
        self.graph = graph
        self.locked_commits = dict(locked_commits)
        self.hermetic = hermetic
        self.workspace = workspace
        self.platform: Platform = graph.platform
        self.root = graph.resolve_alias(root)
        self.base_digest = base_digest
        self.nodes: dict[str, Node] = {}
        self.stages: dict[str, Stage] = {}  # insertion order = execution order
        self._layer_memo: dict[tuple[Label, str], Stage] = {}
        self._wheel_memo: dict[tuple[Label, bool], Stage] = {}
        self._file_digests: dict[str, str] = {}
        self.edges: Edges = {}
        self.overrides: dict[str, str] = {}  # --build-arg values for the build args targets declare
        p = self.platform
        self.platform_node = self._node(ops.PlatformValues({
            "l4t": p.l4t, "cuda": p.cuda, "cudnn": p.cudnn, "python": p.python, "distro": p.distro,
            "arch": p.arch, "cuda_arch": list(p.cuda_arch), "oci_platform": p.oci_platform}))

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
            chain = image_chain(self.graph, self.root, self.edges)
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
    def _node(self, operation: Operation, inputs: tuple[str, ...] | list[str] = ()) -> Node:
        attrs = operation.attrs()
        node = Node(node_digest(operation.OP, attrs, inputs), operation.OP, attrs, tuple(inputs), operation.extra(),
                    operation)
        self.nodes.setdefault(node.digest, node)
        return node

    def _file_digest(self, path: Path) -> str:
        key = str(path)
        if key not in self._file_digests:
            self._file_digests[key] = sha256_file(path).hex
        return self._file_digests[key]

    def _base_image_node(self) -> Node:
        ref = self.platform.base_image
        return self._node(ops.BaseImage(ref, self.base_digest(ref)))

    # -- layers ---------------------------------------------------------------------
    def layer_stage(self, label: Label, base: Stage | None) -> Stage:
        memo = (label, base.key if base else "")
        if memo in self._layer_memo:
            return self._layer_memo[memo]
        target = self.graph.target(label)
        wheels = [self.wheel_stage(self.graph.resolve_alias(w), forced=target.fields.builder)
                  for w in self.graph.configured_deps(label, "wheels", self.edges)]
        b = _StageBuilder(self, target, "layer", base)
        b.common()
        if wheels:
            b.wheel_install(wheels)
        srcs = [self.graph.resolve_alias(s) for s in self.graph.configured_deps(label, "srcs", self.edges)]
        for i, src in enumerate(srcs):
            b.source(src, f"{shell.EXTRA_SRC_DIR}/{src.name}", f"{SOURCES_CONTEXT_DIR}/{i}")
        b.steps(compile=False)
        b.fragment()
        b.add(ops.LayerResult(str(label)))
        stage = b.finish(wheel_inputs=[w.key for w in wheels])
        self._layer_memo[memo] = stage
        return stage

    # -- wheels ---------------------------------------------------------------------
    def wheel_stage(self, label: Label, forced: bool) -> Stage:
        memo = (label, forced)
        if memo in self._wheel_memo:
            return self._wheel_memo[memo]
        target = self.graph.target(label)
        f = target.fields
        dist = f.dist
        chain = builder_chain(self.graph, label, self.edges)
        base: Stage | None = None
        for layer in chain:
            base = self.layer_stage(layer, base)
        srcs = [self.graph.resolve_alias(s) for s in self.graph.configured_deps(label, "srcs", self.edges)]
        has_steps = bool(f.steps) or bool(f.dockerfile)
        build_args = dict(f.build_args)
        index_url = "" if self.hermetic else f.index_url or ""
        if index_url:
            build_args.setdefault("JCB_FORCE_BUILD", "1" if forced else "0")
        b = _StageBuilder(self, target, "wheel", base, build_args=build_args)
        b.common()
        if index_url:
            spec = f.index_spec or (f"{dist}=={f.version}" if f.version else dist)
            b.exec(shell.index_lookup(index_url, spec), name="index", network="default", cache=("pip",),
                   network_tool=True)
        dests: list[str] = []
        for i, src in enumerate(srcs):
            dest = shell.SRC_DIR if i == 0 else f"{shell.EXTRA_SRC_DIR}/{src.name}"
            dests.append(dest)
            b.source(src, dest, f"{SOURCES_CONTEXT_DIR}/{i}")
        if srcs:
            b.add(ops.SourceDateEpoch())
        b.steps(compile=True, guard=bool(index_url))
        if not has_steps:
            b.exec(shell.default_wheel_build(dests[0]), name="step:default", network="none",
                   cache=("pip", "ccache"), guard=bool(index_url))
        b.fragment()
        python_tag = f.python_tag or self.platform.python_tag
        b.add(ops.WheelExport(str(label), dist, python_tag, shell.WHEELS_DIR, shell.wheel_check(str(label), dist)))
        stage = b.finish(builder_chain=tuple(s.key for s in self._chain_stages(chain)), dist=dist,
                         python_tag=python_tag, compile_slots=f.compile_slots)
        self._wheel_memo[memo] = stage
        return stage

    def _chain_stages(self, chain: list[Label]) -> list[Stage]:
        stages: list[Stage] = []
        base: Stage | None = None
        for layer in chain:
            base = self.layer_stage(layer, base)  # memoized: no new work
            stages.append(base)
        return stages



class _StageBuilder:
    """Accumulates one stage's nodes as a chain: each node's first input is the previous one."""

    def __init__(self, planner: _Planner, target: Target, kind: str, base: Stage | None,
                 build_args: Mapping[str, str] | None = None):
        self.p = planner
        self.target = target
        self.kind = kind
        self.base = base
        declared = target.fields.build_args if build_args is None else build_args
        self.build_args = {name: planner.overrides.get(name, value) for name, value in declared.items()}
        self.nodes: list[Node] = []
        self.head: Node | None = None
        self.secrets: set[str] = set()
        self.networks: list[tuple[str, str, bool]] = []  # (step name, network, declared in BUILD) per RUN
        self.package_dir = planner.graph.loader.package_dir(target.label.package)
        self.files: dict[str, ContextFile] = {}
        self.sources: list[StageSource] = []
        self.step_no = 0

    @property
    def where(self) -> Location:
        return self.target.location

    # -- node helpers ------------------------------------------------------------------
    def keep(self, node: Node) -> Node:
        if all(n.digest != node.digest for n in self.nodes):
            self.nodes.append(node)
        return node

    def add(self, operation: Operation, extra_inputs: tuple[str, ...] | list[str] = ()) -> Node:
        """Append ``operation`` to the stage: its inputs are the previous node, then ``extra_inputs``."""
        assert self.head is not None
        node = self.p._node(operation, (self.head.digest, *extra_inputs))
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
        self.head = self.p._node(ops.From("build" if self.kind == "wheel" else ""),
                                 (base_digest, self.p.platform_node.digest))
        self.keep(self.head)
        if self.build_args:
            self.add(ops.Args(self.build_args))
        env = self.target.fields.env
        if env:
            self.add(ops.Env(dict(env)))
        files = sorted(set(self.target.fields.files), key=context_path)  # their order cannot change the output
        if files:
            file_nodes = [self.file_node(f) for f in files]
            self.add(ops.Context({n.attrs["path"]: n.attrs["digest"] for n in file_nodes}),
                     [n.digest for n in file_nodes])

    def file_node(self, entry: str) -> Node:
        """A file by content; its context path is its package-relative path (see ``context_path``)."""
        rel = context_path(entry)
        path = self.p.graph.loader.file_path(self.target.label.package, entry)
        digest = self.p._file_digest(path)
        self.files[rel] = ContextFile(os.fspath(path.absolute()), digest)
        return self.keep(self.p._node(ops.SourceFile(rel, digest, os.fspath(path.absolute()))))

    def exec(self, cmd: str, *, name: str, network: str = "default", secrets: list[str] | tuple[str, ...] = (),
             cache: tuple[str, ...] = (), network_tool: bool = False, guard: bool = False,
             mounts: tuple[dict[str, str], ...] = (), extra_inputs: tuple[str, ...] | list[str] = (),
             declared: bool = False, wheel_labels: tuple[str, ...] | None = None) -> Node:
        """A RUN step; a network tool gets the host CA bundle; ``wheel_labels`` makes it the wheel install."""
        ids = set(secrets)
        if network_tool and network != "none":
            ids.add(SECRET_CABUNDLE)
        self.secrets |= ids
        self.networks.append((name, network, declared))
        fields = dict(cmd=cmd, name=name, network=network, secrets=tuple(sorted(ids)), guard=guard, mounts=mounts,
                      cache=tuple(self.cache_mount(c) for c in cache))
        operation = ops.Exec(**fields) if wheel_labels is None else ops.WheelInstall(**fields, wheel_labels=wheel_labels)
        return self.add(operation, extra_inputs)

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
            return {"target": ops.CCACHE_DIR, "id": f"jcb-ccache-{p.name}", "sharing": "shared"}
        raise ValueError(kind)

    def wheel_install(self, wheels: list[Stage]) -> None:
        mount = {"type": "bind", "source": WHEELS_CONTEXT_DIR, "target": shell.WHEELS_MOUNT}
        self.exec(shell.wheel_install(), name="wheels", network="none", mounts=(mount,),
                  extra_inputs=[w.key for w in wheels], wheel_labels=tuple(str(w.label) for w in wheels))

    def source(self, label: Label, dest: str, context: str) -> None:
        """A source fetched by the executor on the host, staged at ``context``, copied to ``dest``."""
        target = self.p.graph.target(label)
        a = target.fields
        declared: Declared
        if target.kind == "git_repository":
            commit = a.commit or self.p.locked_commits.get(str(label), "")
            declared = (spec.GitSource(a.remote, commit, a.tag or None, a.submodules) if commit
                        else spec.GitTag(a.remote, a.tag or "", a.submodules))
            node = self.keep(self.p._node(ops.GitSource(a.remote, a.tag or "", commit, a.submodules,
                                                        f"source:{label}")))
        else:
            declared = spec.ArchiveSource(a.url, a.sha256.lower(), (a.strip_prefix or "").rstrip("/"))
            node = self.keep(self.p._node(ops.HttpSource(a.url, declared.sha256, declared.strip_prefix,
                                                         f"source:{label}")))
        self.sources.append(StageSource(str(label), context, declared))
        self.add(ops.SourceCopy(context, dest), [node.digest])

    def steps(self, *, compile: bool, guard: bool = False) -> None:
        """The target's ``steps`` (``plan/steps.py``); in wheel stages they are compile steps (ccache, guard)."""
        for step in self.target.fields.steps:
            self.step_no += 1
            STEP_KINDS[step["op"]](self, step, f"step:{self.step_no}", compile, guard)  # op checked at analysis

    def fragment(self) -> None:
        rel = self.target.fields.dockerfile
        if not rel:
            return
        path = self.package_dir / rel
        text = _after_base_image(path.read_text(encoding="utf-8"))
        if _FROM_LINE.search(text):
            raise AnalysisError(f"{self.target.label}: dockerfile '{rel}' has a FROM line; a fragment continues "
                                "the stage jcb starts (drop the FROM, or make it the only one, "
                                "'FROM ${BASE_IMAGE}' after 'ARG BASE_IMAGE')", self.where)
        digest = self.p._file_digest(path)
        file_node = self.keep(self.p._node(ops.SourceFile(Path(rel).as_posix(), digest, os.fspath(path.absolute()))))
        self.add(ops.Fragment(Path(rel).as_posix(), digest, text), [file_node.digest])
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
            for rel in self.target.fields.tests:
                path = self.package_dir / rel
                tests.append(ImageTest(os.fspath(path.absolute()), self.p._file_digest(path)))
        base = ("stage", self.base.key) if self.base else ("image", self.p.platform.base_image)
        stage = Stage(
            key=key, label=label, kind=self.kind, platform=self.p.platform.name,
            oci_platform=self.p.platform.oci_platform, dockerfile=ops.render_dockerfile(self.nodes), base=base,
            base_digest="" if self.base else self.p.base_digest(self.p.platform.base_image),
            context_files=dict(sorted(self.files.items())), wheel_inputs=list(wheel_inputs or []),
            build_args=dict(sorted(self.build_args.items())), secrets=tuple(sorted(self.secrets)),
            image_name=_intermediate_name(self.target, key) if self.kind == "layer" else None,
            tests=tests, nodes=tuple(self.nodes), sources=tuple(self.sources), **self._network(), **fields)
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
        needing = tuple(name for name, mode, _ in self.networks if mode != "none")
        return {"network": network, "network_steps": needing, "notes": notes}


def _after_base_image(text: str) -> str:
    """A jetson-containers Dockerfile (``ARG BASE_IMAGE`` / ``FROM ${BASE_IMAGE}``) as a fragment: what follows
    its first FROM when that FROM names ``BASE_IMAGE``; other text unchanged."""
    match = _FROM_LINE.search(text)
    base = _BASE_IMAGE_FROM.match(text, match.start()) if match else None
    if base is None:
        return text
    rest = text[base.end():]
    return rest[1:] if rest.startswith("\n") else rest



def _intermediate_name(target: Target, key: str) -> str:
    """``jcb/<package>:<key[:12]>``, the tag of a layer that is not the requested image."""
    package = _TAG_CHARS.sub("-", target.package_name.lower()).strip("-._") or "layer"
    return f"jcb/{package}:{key[:12]}"

