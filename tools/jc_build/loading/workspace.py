"""The workspace: its root, WORKSPACE.star settings and the platforms under toolchains/."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import parse_mirrors
from ..errors import Location, StarlarkError, UsageError
from ..model import Platform
from ..suggest import did_you_mean
from .bounded import DEFAULT_TIMEOUT_S
from .rules import PLATFORM
from .schema import RuleCallError

WORKSPACE_FILE = "WORKSPACE.star"
DEFAULT_IMAGE_NAME = "{package}:{version}-r{l4t}-{cuda_tag}-{distro}"


@dataclass
class Workspace:
    """Settings from WORKSPACE.star and the declared platforms."""

    root: Path
    name: str = "jcb"
    default_platform: str = ""
    image_name: str = DEFAULT_IMAGE_NAME
    registry: str = ""
    remote_cache: str = ""
    builders: list[str] = field(default_factory=list)  # docker hosts or contexts for --builders
    mirrors: tuple[tuple[str, tuple[str, ...]], ...] = ()  # URL prefix -> replacements (docs/config.md)
    platforms: dict[str, Platform] = field(default_factory=dict)

    def platform(self, name: str | None) -> Platform:
        """The platform named ``name`` (short name or label), or the default one."""
        wanted = name or self.default_platform
        if not wanted:
            raise UsageError("no platform given and WORKSPACE.star sets no default_platform")
        short = wanted.rsplit(":", 1)[-1]
        if short in self.platforms:
            return self.platforms[short]
        raise UsageError(f"unknown platform '{wanted}'{did_you_mean(short, self.platforms)}; "
                         f"declared under toolchains/: {', '.join(sorted(self.platforms))}")


def find_root(start: Path | None = None) -> Path:
    """The nearest directory at or above ``start`` holding WORKSPACE.star (or ``$JCB_WORKSPACE``)."""
    env = os.environ.get("JCB_WORKSPACE")
    if env:
        root = Path(env).resolve()
        if not (root / WORKSPACE_FILE).is_file():
            raise UsageError(f"JCB_WORKSPACE={env} has no {WORKSPACE_FILE}")
        return root
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / WORKSPACE_FILE).is_file():
            return candidate
    raise UsageError(f"not inside a jcb workspace: no {WORKSPACE_FILE} in {here} or any parent directory")


def load_workspace(root: Path, timeout_s: float = DEFAULT_TIMEOUT_S) -> Workspace:
    """Evaluate WORKSPACE.star and toolchains/BUILD.star."""
    return evaluate_workspace(root, timeout_s)[0]


def evaluate_workspace(root: Path, timeout_s: float = DEFAULT_TIMEOUT_S) -> tuple[Workspace, list[str]]:
    """The workspace WORKSPACE.star and toolchains/BUILD.star declare, and every file they read."""
    from .starlark_env import StarlarkEnv
    ws = Workspace(root=root)
    seen: dict[str, bool] = {}

    def workspace(name: str = "jcb", default_platform: str = "", image_name: str = DEFAULT_IMAGE_NAME,
                  registry: str = "", remote_cache: str = "", mirrors: Any = None,
                  builders: Any = ()) -> None:
        if seen.get("workspace"):
            raise RuleCallError("workspace() may be called only once")
        seen["workspace"] = True
        _check_workspace_values({"name": name, "default_platform": default_platform, "image_name": image_name,
                                 "registry": registry, "remote_cache": remote_cache}, builders)
        try:
            ws.mirrors = parse_mirrors("mirrors", mirrors or {})
        except ValueError as exc:
            raise RuleCallError(f"workspace(): {exc}") from None
        ws.name, ws.default_platform, ws.image_name = name, default_platform, image_name
        ws.registry, ws.remote_cache, ws.builders = registry, remote_cache, list(builders)

    def platform(**kwargs: Any) -> None:
        attrs = PLATFORM.validate(kwargs)
        name = attrs["name"]
        if name in ws.platforms:
            raise RuleCallError(f"platform '{name}' is declared twice")
        if attrs["arch"] not in ("aarch64", "x86_64"):
            raise RuleCallError(f"platform '{name}': arch must be 'aarch64' or 'x86_64', got '{attrs['arch']}'")
        _check_platform_values(name, attrs)
        ws.platforms[name] = Platform(
            name=name, label=f"@toolchains//:{name}", l4t=attrs["l4t"], jetpack=attrs["jetpack"],
            cuda=attrs["cuda"], cudnn=attrs["cudnn"], python=attrs["python"], distro=attrs["distro"],
            arch=attrs["arch"], cuda_arch=tuple(attrs["cuda_arch"]), base_image=attrs["base_image"],
            docker_platform=attrs["docker_platform"] or "", values=tuple(sorted(attrs["values"].items())))

    env = StarlarkEnv(root, {"workspace": workspace, "platform": platform}, timeout_s)
    env.eval_file(root / WORKSPACE_FILE)
    read = env.loaded_files(root / WORKSPACE_FILE)
    toolchains = root / "toolchains" / "BUILD.star"
    if toolchains.is_file():
        env.eval_file(toolchains)
        read |= env.loaded_files(toolchains)
    if ws.default_platform and ws.default_platform.rsplit(":", 1)[-1] not in ws.platforms:
        raise StarlarkError(
            f"default_platform '{ws.default_platform}' is not declared in toolchains/BUILD.star"
            f"{did_you_mean(ws.default_platform.rsplit(':', 1)[-1], ws.platforms)}",
            Location(WORKSPACE_FILE, 1, 1))
    return ws, sorted({str(path) for path in read} | {str(toolchains)})


def _check_workspace_values(strings: dict[str, Any], builders: Any) -> None:
    for key, value in strings.items():
        if not isinstance(value, str):
            raise RuleCallError(f"workspace(): '{key}' must be a string")
    if not isinstance(builders, (list, tuple)) or not all(isinstance(b, str) for b in builders):
        raise RuleCallError("workspace(): 'builders' must be a list of strings (docker hosts or contexts)")
    _check_image_name(strings["image_name"])


_VERSION_RE = re.compile(r"^\d+(\.\d+)*$")
_VERSION_FIELDS = {"l4t": "36.4.0", "jetpack": "6.1", "cuda": "12.6", "cudnn": "9.3", "python": "3.10",
                   "distro": "24.04"}


def _check_platform_values(name: str, attrs: dict[str, Any]) -> None:
    """Versions must be dotted numbers and the base image a reference: they end up in tags and keys."""
    for key, example in _VERSION_FIELDS.items():
        if not _VERSION_RE.match(attrs[key]):
            raise RuleCallError(f"platform '{name}': {key} must be a version such as '{example}', "
                                f"got '{attrs[key]}'")
    for arch in attrs["cuda_arch"]:
        if not arch.isdigit():
            raise RuleCallError(f"platform '{name}': cuda_arch entries are SM numbers such as '87', got '{arch}'")
    image = attrs["base_image"]
    if not image.strip() or any(c.isspace() for c in image):
        raise RuleCallError(f"platform '{name}': base_image must be an image reference such as "
                            f"'nvcr.io/nvidia/l4t-jetpack:r36.4.0', got '{image}'")


_IMAGE_FIELDS = ("package", "version", "l4t", "cuda", "cuda_tag", "distro", "python", "jetpack", "arch",
                 "platform")


# A docker reference (distribution/reference's grammar): path components, then an optional tag.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REFERENCE = re.compile(rf"(?:[a-z0-9.-]+(?::[0-9]+)?/)?{_COMPONENT}(?:/{_COMPONENT})*(?::[\w][\w.-]{{0,127}})?")


def _check_image_name(scheme: str) -> None:
    """RuleCallError unless ``scheme`` names only known fields and makes a docker reference."""
    try:
        sample = scheme.format(**{k: "x" for k in _IMAGE_FIELDS})
    except (KeyError, IndexError, ValueError) as exc:
        raise RuleCallError(f"workspace(): image_name '{scheme}' uses an unknown field {exc}; "
                            f"known: {', '.join(_IMAGE_FIELDS)}") from None
    if ".." in scheme:
        raise RuleCallError(f"workspace(): image_name '{scheme}' contains '..'; give a docker reference "
                            f"such as '{DEFAULT_IMAGE_NAME}'")
    if sample.rsplit(":", 1)[0] != sample.rsplit(":", 1)[0].lower():
        raise RuleCallError(f"workspace(): image_name '{scheme}' has upper case letters before the tag; "
                            "docker repository names are lower case")
    if not _REFERENCE.fullmatch(sample):
        raise RuleCallError(f"workspace(): image_name '{scheme}' does not make a docker reference "
                            "([registry/]name[:tag] of lower-case letters, digits and . _ -)")


def image_name(ws: Workspace, package: str, version: str | None, platform: Platform) -> str:
    """The image name of a layer in the workspace's scheme, e.g. ``sglang:0.4.9-r36.4.0-cu126-24.04``."""
    return ws.image_name.format(
        package=package, version=version or "latest", l4t=platform.l4t, cuda=platform.cuda,
        cuda_tag=platform.cuda_tag, distro=platform.distro, python=platform.python,
        jetpack=platform.jetpack, arch=platform.arch, platform=platform.name)
