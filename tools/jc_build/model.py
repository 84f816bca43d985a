"""The build model shared by every layer: platforms and targets as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import Location
from .labels import Label


@dataclass(frozen=True)
class Platform:
    """What a target is built for: a Jetson software stack on one architecture."""

    name: str
    label: str
    l4t: str
    jetpack: str
    cuda: str
    cudnn: str
    python: str
    distro: str  # Ubuntu release, e.g. "24.04"
    arch: str  # "aarch64" or "x86_64"
    cuda_arch: tuple[str, ...]  # e.g. ("87",)
    base_image: str
    docker_platform: str = ""  # e.g. "linux/arm64"; derived from arch when empty
    values: tuple[tuple[str, str], ...] = ()  # extra free-form values for select()

    @property
    def cuda_tag(self) -> str:
        """``cu126`` for CUDA 12.6."""
        return "cu" + "".join(self.cuda.split(".")[:2])

    @property
    def python_tag(self) -> str:
        """``cp310`` for Python 3.10."""
        return "cp" + "".join(self.python.split(".")[:2])

    @property
    def oci_platform(self) -> str:
        return self.docker_platform or ("linux/arm64" if self.arch == "aarch64" else "linux/amd64")

    def describe(self) -> dict[str, str]:
        """The platform's values by name, as shown in error messages and docs."""
        return {
            "l4t": self.l4t, "jetpack": self.jetpack, "cuda": self.cuda, "cudnn": self.cudnn,
            "python": self.python, "distro": self.distro, "arch": self.arch,
            "cuda_arch": ",".join(self.cuda_arch), "base_image": self.base_image, **dict(self.values),
        }


class RuleFields:
    """Base of the frozen, typed view of a target's attributes that each rule schema generates
    (``loading/fields.py``): label attributes hold ``Label`` tuples, lists are tuples."""

    __slots__ = ()


@dataclass
class Target:
    """One declared target after loading: its rule kind, validated attributes and typed view."""

    label: Label
    kind: str
    attrs: dict[str, Any]
    location: Location
    build_file: str
    # The labels each label-valued attribute names, per attribute, in the rule's edge order.
    deps: dict[str, tuple[Label, ...]] = field(default_factory=dict)

    @property
    def fields(self) -> Any:
        """The rule's typed view, a ``RuleFields`` subclass instance (e.g. ``WheelFields``): the
        loader's targets make it when first read (``loading/fields.py``)."""
        raise NotImplementedError(f"{self.label} was not made by the loader: it has no typed view")

    @property
    def dep_labels(self) -> list[Label]:
        """Every label this target depends on, attribute by attribute, for graph analysis."""
        return [label for labels in self.deps.values() for label in labels]

    @property
    def package_name(self) -> str:
        """The jetson-containers package name: ``package`` attr or the directory's name."""
        return self.attrs.get("package") or self.label.package.rsplit("/", 1)[-1]

    @property
    def version(self) -> str | None:
        """The ``version`` attribute, else the target's name when it differs from the package's."""
        if self.attrs.get("version"):
            return self.attrs["version"]
        name = self.label.name
        return None if name in (self.package_name, self.label.package.rsplit("/", 1)[-1]) else name

    @property
    def jc_name(self) -> str:
        """``pytorch:2.8``-style name, or the bare package name for single-version packages."""
        return f"{self.package_name}:{self.version}" if self.version else self.package_name
