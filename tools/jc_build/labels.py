"""Labels and target patterns in Bazel's conventions.

``//llm/sglang:0.4.9`` names target ``0.4.9`` of the package whose BUILD.star is
``pkgs/llm/sglang/BUILD.star``. ``//llm/sglang`` means ``//llm/sglang:sglang``;
``:name`` is relative to the current package. Load labels may name another root
with ``@toolchains//`` (the ``toolchains/`` directory) or ``@workspace//``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Names are what jetson-containers uses for versions and packages: 0.4.9, pip_cache-cu126, l4t-dynamo.
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+\-]*$")
_COMPONENT_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+\-]*$")
ROOTS = ("", "toolchains", "workspace")
# Checked before a label reaches the filesystem (NAME_MAX and a sane total).
MAX_LABEL = 1024
MAX_COMPONENT = 255


class LabelSyntaxError(ValueError):
    """A label or pattern that is not well formed; the message says why."""


@dataclass(frozen=True, order=True)
class Label:
    """A target or file label. ``root`` is "" for ``pkgs/``."""

    package: str
    name: str
    root: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.package, self.name, self.root)))

    def __hash__(self) -> int:  # labels key every analysis table: hashed once, not at each lookup
        return self._hash  # type: ignore[attr-defined]

    def __reduce__(self) -> tuple[type[Label], tuple[str, str, str]]:  # a copy hashes afresh
        return (Label, (self.package, self.name, self.root))

    def __str__(self) -> str:
        prefix = f"@{self.root}//" if self.root else "//"
        return f"{prefix}{self.package}:{self.name}"


def _check_length(text: str) -> None:
    if len(text) > MAX_LABEL:
        raise LabelSyntaxError(f"invalid label '{text[:40]}...': {len(text)} characters long; labels may have "
                               f"at most {MAX_LABEL}")
    longest = max(text.replace(":", "/").split("/"), key=len)
    if len(longest.encode()) > MAX_COMPONENT:
        raise LabelSyntaxError(f"invalid label '{text[:40]}...': a name of {len(longest)} characters "
                               f"('{longest[:20]}...'); package and target names may have at most {MAX_COMPONENT}")


def _check_package(path: str, text: str) -> None:
    if path.startswith("/") or "\\" in path:
        raise LabelSyntaxError(f"invalid label '{text}': package paths are relative to the workspace and use '/'")
    if path == "":
        return
    if path.endswith("/") and "//" not in path:
        fixed = text.replace(path, path.rstrip("/"), 1)
        raise LabelSyntaxError(f"invalid label '{text}': a package path does not end with '/'; "
                               f"did you mean '{fixed}'?")
    for part in path.split("/"):
        if part in ("", ".", ".."):
            raise LabelSyntaxError(
                f"invalid label '{text}': package path may not contain '{part or '//'}' "
                "(labels cannot leave the workspace)")
        if not _COMPONENT_RE.match(part):
            raise LabelSyntaxError(f"invalid label '{text}': bad package component '{part}'")


def _check_name(name: str, text: str) -> None:
    if "/" in name:
        parts = name.split("/")
        if any(p in ("", ".", "..") for p in parts):
            raise LabelSyntaxError(f"invalid label '{text}': target name may not contain '..' or empty path parts")
        if all(_NAME_RE.match(p) for p in parts):
            return
    if not _NAME_RE.match(name):
        raise LabelSyntaxError(f"invalid label '{text}': bad target name '{name}'")


@lru_cache(maxsize=65536)
def parse_label(text: str, current_package: str | None = None) -> Label:
    """Parse ``//pkg:name``, ``//pkg``, ``:name`` or ``name`` (the last two need a current package)."""
    if not isinstance(text, str) or not text:
        raise LabelSyntaxError("empty label")
    _check_length(text)
    root = ""
    body = text
    if body.startswith("@"):
        repo, sep, rest = body[1:].partition("//")
        if not sep or repo not in ROOTS[1:]:
            raise LabelSyntaxError(
                f"invalid label '{text}': unknown repository '@{repo}' (known: @toolchains, @workspace)")
        root, body = repo, "//" + rest
    if body.startswith("//"):
        package, sep, name = body[2:].partition(":")
        _check_package(package, text)
        if not sep:
            if not package:
                raise LabelSyntaxError(f"invalid label '{text}': give a package, e.g. //llm/sglang")
            name = package.rsplit("/", 1)[-1]
        _check_name(name, text)
        return Label(package, name, root)
    if current_package is None:
        raise LabelSyntaxError(f"invalid label '{text}': absolute labels start with '//'")
    name = body[1:] if body.startswith(":") else body
    _check_name(name, text)
    return Label(current_package, name)


@dataclass(frozen=True)
class Pattern:
    """A target pattern: one label, all targets of a package, or a package subtree."""

    package: str
    name: str | None  # None: every target (``:all`` / ``...``)
    recursive: bool = False

    def matches_package(self, package: str) -> bool:
        if self.recursive:
            return not self.package or package == self.package or package.startswith(self.package + "/")
        return package == self.package


def parse_pattern(text: str) -> Pattern:
    """Parse ``//llm/...`` (also ``//llm/...:all``, as Bazel), ``//...``, ``//llm/sglang:all`` /
    ``:*``, or a plain label (of a target in pkgs/)."""
    _check_length(text)
    if text.startswith("@"):
        repo = text[1:].partition("//")[0]
        hint = (f"; to configure for a platform, pass --platform={text.rpartition(':')[2] or 'NAME'}"
                if repo == "toolchains" else "")
        raise LabelSyntaxError(f"'{text}' is not a target: targets live under pkgs/ and have labels such as "
                               f"//llm/sglang (@{repo}// labels name .star files and platforms){hint}")
    subtree, sep, name = text.partition(":")
    if subtree.startswith("//") and (subtree == "//..." or subtree.endswith("/...")):
        if sep and name not in ("all", "*", "all-targets"):
            raise LabelSyntaxError(f"invalid pattern '{text}': after '...' only ':all' (or ':*') may follow")
        package = subtree[2:-4] if subtree != "//..." else ""
        _check_package(package, text)
        return Pattern(package, None, recursive=True)
    package, sep, name = text.partition(":")
    if sep and name in ("all", "*", "all-targets"):
        label = parse_label(package)
        return Pattern(label.package, None)
    label = parse_label(text)
    return Pattern(label.package, label.name)
