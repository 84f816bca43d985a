"""The plan's data model: content-addressed nodes grouped into stages, in execution order.

Every digest here (node digests, stage keys, file digests) is a bare lowercase sha256 hex
string, the form ``jc_build.cache`` uses for action keys (``Digest(hex)`` parses it); only a
base image's digest is kept as given (e.g. ``sha256:...``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..labels import Label
from ..model import Platform
from ..sources.spec import Declared, GitTag

# Bump when the rendering of nodes (Dockerfile text, generated commands) or their
# canonical form changes: every action key changes with it.
PLAN_FORMAT_VERSION = 3

SECRET_CABUNDLE = "cabundle"  # the host CA bundle, mounted at /run/secrets/cabundle


class ContextFile(NamedTuple):
    """A package file staged into a stage's build context."""

    path: str  # absolute path of the package file on this machine (never part of a key)
    digest: str  # sha256 hex of its content


class StageSource(NamedTuple):
    """A source the executor fetches on the host and stages into the context at ``context_dir``."""

    label: str  # the git_repository / http_archive target
    context_dir: str  # context-relative directory, e.g. ``_sources/0``
    declared: Declared  # what is fetched; a GitTag is floating (no commit known)

    @property
    def floating(self) -> bool:
        return isinstance(self.declared, GitTag)


class ImageTest(NamedTuple):
    """A test script run in a layer's built image (not part of the key)."""

    path: str  # absolute path of the script
    digest: str  # sha256 hex of its content


class Input(NamedTuple):
    """One named input of a stage's key, as ``jcb explain`` compares them between two builds.

    ``key`` names it in ``Stage.inputs_summary()`` (``file:src/x.c``, ``build_arg:X``, ``step:3``);
    ``kind`` says how a change reads (``plan/inputs.py``); ``subject`` is what it is about (a
    path, a variable name, a wheel's label); ``detail`` the value as a change names it.
    """

    key: str
    value: str
    kind: str = "value"
    subject: str = ""
    detail: str = ""


class Operation:
    """What one plan node does (``plan/ops.py`` holds one subclass per operation).

    ``attrs`` are hashed into the node's digest; ``extra`` is shown but never hashed (cache
    mounts, absolute paths, display names); ``render`` gives the node's Dockerfile lines;
    ``inputs`` the named inputs it adds to its stage's key, for ``explain`` and ``--dry-run``.
    """

    OP: str = ""

    def attrs(self) -> dict[str, Any]:
        raise NotImplementedError

    def extra(self) -> dict[str, Any]:
        return {}

    def render(self) -> list[str]:
        return []

    def inputs(self, node: Node, stage_nodes: Mapping[str, Node]) -> list[Input]:
        return []


@dataclass(frozen=True, eq=False)
class Node:
    """One operation of the plan's Merkle DAG.

    ``digest`` is the sha256 of the canonical JSON of ``{"v": PLAN_FORMAT_VERSION, "op": op,
    "attrs": attrs, "inputs": inputs}`` (``canonical.node_digest``); ``extra`` holds what cannot
    change the output and is never hashed; ``operation`` is the typed operation both come from.
    """

    digest: str
    op: str
    attrs: Mapping[str, Any]
    inputs: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    operation: Operation | None = None

    def to_json(self) -> dict[str, Any]:
        return {"digest": self.digest, "op": self.op, "attrs": dict(self.attrs), "inputs": list(self.inputs),
                "extra": dict(self.extra)}


@dataclass(frozen=True, eq=False)
class Stage:
    """One target built on one platform: a layer image, or a wheel build exporting ``*.whl`` files.

    The executor builds ``dockerfile`` with context = ``context_files`` (context-relative path ->
    package file) plus, for layers, the files exported by the ``wheel_inputs`` stages staged
    under ``wheels/``; it passes ``build_args`` plus ``JCB_BASE`` = the image of ``base`` (the
    base stage's image, best by its ``image_name`` tag, or the base image reference) and the
    ``secrets`` (``cabundle`` = the host CA bundle file). A wheel stage's output is exported
    with ``--output type=local``: its files are the wheel(s).
    """

    key: str
    label: Label
    kind: str  # "layer" | "wheel"
    platform: str  # platform name
    oci_platform: str  # e.g. "linux/arm64", for --platform
    dockerfile: str
    base: tuple[str, str]  # ("stage", key) or ("image", reference)
    base_digest: str  # the base image's digest when base is an image and it is known, else ""
    context_files: dict[str, ContextFile]
    wheel_inputs: list[str]  # keys of the wheel stages whose files go under wheels/
    build_args: dict[str, str]
    secrets: tuple[str, ...]
    image_name: str | None  # layers: the image tag; wheels: None
    tests: list[ImageTest]
    nodes: tuple[Node, ...]  # this stage's nodes in order; the last one's digest is ``key``
    builder_chain: tuple[str, ...] = ()  # wheels: keys of the builder's layer stages, bottom first
    dist: str | None = None  # wheels: the distribution name
    python_tag: str | None = None  # wheels: the python tag the wheel must have (cp310, py3)
    compile_slots: int = 1  # wheels: the compile slots (--jobs) its compile takes; scheduling only, not keyed
    network: str = "default"  # "none" | "default" | "host": the network of every RUN of the stage
    network_steps: tuple[str, ...] = ()  # the steps that need the network (why ``network`` is not none)
    sources: tuple[StageSource, ...] = ()  # fetched by jcb, staged into the context
    notes: tuple[str, ...] = ()  # things the user should know about this stage (e.g. lost isolation)

    @property
    def deps(self) -> list[str]:
        """Keys of the stages this one needs first: its base stage, then its wheel stages."""
        base = [self.base[1]] if self.base[0] == "stage" else []
        return base + [k for k in self.wheel_inputs if k not in base]

    @property
    def short_key(self) -> str:
        return self.key[:12]

    def inputs(self) -> list[Input]:
        """The named inputs that make the key, from every node's operation, after the stage's identity."""
        by_digest: Mapping[str, Node] = {n.digest: n for n in self.nodes}
        found = [Input("format", str(PLAN_FORMAT_VERSION), "format"), Input("label", str(self.label)),
                 Input("kind", self.kind)]
        for node in self.nodes:
            if node.operation is not None:
                found.extend(node.operation.inputs(node, by_digest))
        return found

    def inputs_summary(self) -> dict[str, str]:
        """The named inputs as a dict, e.g. ``{"base": "stage:<key>", "file:x.py": <digest>,
        "build_arg:X": "1", "step:3": "RUN ...", "platform:cuda_arch": "87", "wheel://x:wheel": <key>}``."""
        return {i.key: i.value for i in self.inputs()}

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key, "label": str(self.label), "kind": self.kind, "platform": self.platform,
            "oci_platform": self.oci_platform,
            "base": {"stage": self.base[1]} if self.base[0] == "stage"
            else {"image": self.base[1], "digest": self.base_digest},
            "deps": self.deps, "wheel_inputs": list(self.wheel_inputs), "builder_chain": list(self.builder_chain),
            "image_name": self.image_name, "build_args": dict(self.build_args), "secrets": list(self.secrets),
            "context_files": {p: {"path": f.path, "digest": f.digest} for p, f in self.context_files.items()},
            "tests": [{"path": t.path, "digest": t.digest} for t in self.tests],
            "dist": self.dist, "python_tag": self.python_tag, "network": self.network,
            "network_steps": list(self.network_steps), "notes": list(self.notes),
            "sources": [{"label": s.label, "context_dir": s.context_dir, "floating": s.floating,
                         "source": s.declared.describe()} for s in self.sources],
            "inputs": self.inputs_summary(), "nodes": [n.digest for n in self.nodes],
            "dockerfile": self.dockerfile,
        }


@dataclass(frozen=True, eq=False)
class Plan:
    """The stages that build ``root`` on ``platform``, deps before dependants."""

    root: Label
    platform: Platform
    stages: list[Stage]
    root_key: str
    nodes: dict[str, Node]  # every node of every stage, by digest

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {s.key: s for s in self.stages})

    @property
    def root_stage(self) -> Stage:
        return self.stage(self.root_key)

    def stage(self, key: str) -> Stage:
        """The stage with action key ``key`` (KeyError if the plan has none)."""
        try:
            return self._by_key[key]  # type: ignore[attr-defined]
        except KeyError:
            raise KeyError(f"no stage with key {key} in the plan of {self.root}") from None

    def deps(self, key: str) -> list[str]:
        """Keys of the stages ``key`` needs first (base stage, then wheel stages)."""
        return self.stage(key).deps

    def dependants(self, key: str) -> list[str]:
        """Keys of the stages that need ``key``, in plan order."""
        return [s.key for s in self.stages if key in s.deps]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": PLAN_FORMAT_VERSION,
            "root": str(self.root),
            "root_stage": self.root_key,
            "platform": {"name": self.platform.name, **self.platform.describe(),
                         "oci_platform": self.platform.oci_platform},
            "stages": [s.to_json() for s in self.stages],
            "nodes": {d: n.to_json() for d, n in self.nodes.items()},
        }
