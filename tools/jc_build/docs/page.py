"""The model of a package's README page, computed from its BUILD file and the configured graph."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..analysis.compat import target_constraints
from ..analysis.graph import ConfiguredGraph
from ..labels import Label
from ..loading.workspace import Workspace, image_name
from ..model import Target


@dataclass(frozen=True, order=True)
class Link:
    """Link text and its target, e.g. ``pytorch:2.8`` -> ``/pkgs/pytorch``."""

    text: str
    href: str


@dataclass(frozen=True, order=True)
class Image:
    """A published image, as declared in a layer's ``images`` facts."""

    repository: str
    tag: str
    date: str = ""
    arch: str = ""
    size: str = ""

    @property
    def name(self) -> str:
        return f"{self.repository}:{self.tag}"


@dataclass(frozen=True)
class Container:
    """One version of the package (a ``container_layer``): one table on the page."""

    name: str
    aliases: list[str]
    requires: list[str]
    dependencies: list[Link]
    dependants: list[Link]
    definition: Link
    kind: str
    dockerfile: str | None
    images: list[Image]
    notes: str | None


@dataclass(frozen=True)
class PackagePage:
    """Everything the README.md of one package directory shows."""

    directory: str  # package path under pkgs/, e.g. "llm/sglang"
    platform: str
    containers: list[Container]
    images: list[Image]
    run_label: str  # what `jcb run` takes, e.g. //llm/sglang
    autotag_name: str  # what `jcb autotag` takes, e.g. sglang
    build_label: str  # the default version, e.g. //llm/sglang:0.4.9
    run_image: str  # the newest published image, else jcb's name for the default version

    @property
    def title(self) -> str:
        return _dir_name(self.directory)

    @property
    def path(self) -> str:
        """Where the page lives, relative to the workspace root."""
        return f"pkgs/{self.directory}/README.md"


def _dir_name(package: str) -> str:
    return package.rsplit("/", 1)[-1]


def _is_layer(target: Target) -> bool:
    """A documented container: a ``container_layer`` that is not a ``-builder`` variant."""
    return target.kind == "container_layer" and not target.fields.builder


def _images(target: Target) -> list[Image]:
    """Published images of a layer (entries checked at analysis: ``loading/schema.py``'s IMAGES)."""
    images = getattr(target.fields, "images", ())
    return [Image(**{key: str(value) for key, value in fact.items()}) for fact in images]


def _matches(image: Image, target: Target) -> bool:
    """Whether a published image is of this layer: same package name, tag of its version."""
    if _dir_name(image.repository) != target.package_name:
        return False
    version = target.version
    return version is None or image.tag == version or image.tag.startswith(version + "-")


class PageBuilder:
    """Builds the pages of a workspace's packages for one configured platform."""

    def __init__(self, graph: ConfiguredGraph, workspace: Workspace):
        self.graph = graph
        self.workspace = workspace

    def page(self, package: str) -> PackagePage | None:
        """The page of ``package``, or None when it declares no container layers."""
        targets = {name: self.graph.target(t.label) for name, t in self.graph.loader.load_package(package).items()}
        layers = [t for t in targets.values() if _is_layer(t)]
        if not layers:
            return None
        images = sorted({image for target in targets.values() for image in _images(target)})
        default_name = _dir_name(package)
        default_target = targets.get(default_name)
        if default_target is None:
            default = layers[0]
            run_label, autotag_name = str(default.label), default.jc_name
        else:
            default = self.graph.target(self.graph.resolve_alias(default_target.label))
            run_label = f"//{package}"
            autotag_name = default_name if default_target.kind == "alias" else default.jc_name
        newest = max(images, key=lambda image: (image.date, image.name), default=None)
        return PackagePage(
            directory=package, platform=self.graph.platform.name,
            containers=[self._container(layer, targets, images) for layer in layers], images=images,
            run_label=run_label, autotag_name=autotag_name, build_label=str(default.label),
            run_image=newest.name if newest else image_name(
                self.workspace, default.package_name, default.version, self.graph.platform))

    def _container(self, layer: Target, targets: dict[str, Target], images: list[Image]) -> Container:
        aliases = [name for name, t in targets.items()
                   if t.kind == "alias" and self.graph.resolve_alias(t.label) == layer.label]
        dependants = sorted({self._link(self.graph.target(label), versioned=True)
                             for label in self._dependants.get(layer.label, ())})
        return Container(
            name=layer.jc_name, aliases=aliases + list(layer.fields.aliases),
            requires=[c.text for c in target_constraints(layer)],
            dependencies=self._dependencies(layer.label), dependants=dependants,
            definition=Link(f"BUILD.star:{layer.location.line}", f"BUILD.star#L{layer.location.line}"),
            kind=layer.kind, dockerfile=layer.fields.dockerfile,
            images=[image for image in images if _matches(image, layer)], notes=layer.fields.notes)

    def _dependencies(self, root: Label) -> list[Link]:
        """The image chain below ``root``, versioned where a layer was referenced at its version."""
        chain = self.graph.chain(root)
        edges = self.graph.closure(root)
        explicit = {dep for node in chain
                    for dep in self.graph.configured_deps(node, "deps", edges)
                    if self.graph.target(dep).kind == "container_layer" and dep.name != _dir_name(dep.package)}
        return [self._link(self.graph.target(label), label in explicit) for label in chain[:-1]]

    @staticmethod
    def _link(target: Target, versioned: bool) -> Link:
        return Link(target.jc_name if versioned else target.package_name, f"/pkgs/{target.label.package}")

    @cached_property
    def _dependants(self) -> dict[Label, set[Label]]:
        """Layer -> every documented layer of the workspace whose image chain holds it."""
        index: dict[Label, set[Label]] = {}
        for package in self.graph.loader.all_packages():
            for target in self.graph.loader.load_package(package).values():
                if _is_layer(target):
                    for label in self.graph.chain(target.label)[:-1]:
                        index.setdefault(label, set()).add(target.label)
        return index

