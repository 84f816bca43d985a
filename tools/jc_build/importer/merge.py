"""Package records of every platform -> targets per package directory, and the import's warnings.

jetson-containers' lookup rules become labels: a dependency ``pytorch:2.8`` names that layer; an
untagged ``pytorch`` (or an alias such as ``torch``) names an ``alias`` target whose actual is what
``find_package()`` returns on each platform, so jcb's version pins replace it in a chain the way
``resolve_dependencies`` replaces an untagged name by a tagged one. Where jetson-containers is
silently wrong on a platform, the target gets an ``incompatible_reason`` there (an error only when
it is asked for) and the import a warning.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..constraints import ConstraintSyntaxError, parse_constraint
from .scan import PlatformScan

_BAD_NAME = re.compile(r"[^A-Za-z0-9_.+\-]")
_ARG_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FROM = re.compile(r"^[ \t]*FROM[ \t]+(.+)$", re.I | re.M)
_BASE_IMAGE = re.compile(r"(\$\{BASE_IMAGE\}|\$BASE_IMAGE)")


@dataclass
class Finding:
    """One problem found at import, by package directory."""

    directory: str
    platform: str
    message: str
    kind: str


@dataclass
class TargetSpec:
    """One target of a generated BUILD.star: per platform its attributes, or why it is absent."""

    name: str
    kind: str  # container_layer | alias
    jc_name: str
    per_platform: dict[str, dict[str, Any]] = field(default_factory=dict)  # platform -> attrs
    reasons: dict[str, str] = field(default_factory=dict)  # platform -> why it cannot be built there
    requires_only: dict[str, list[str]] = field(default_factory=dict)  # platform -> requires that exclude it


@dataclass
class DirSpec:
    """One package directory of the tree: where it is and the targets it gets."""

    rel: str  # relative to the import's top (its BUILD.star goes to <into>/<rel>)
    source: Path
    targets: dict[str, TargetSpec] = field(default_factory=dict)
    dockerfiles: set[str] = field(default_factory=set)


@dataclass
class Merged:
    dirs: dict[str, DirSpec]
    warnings: list[Finding]
    platforms: list[str]
    skipped: Counter = field(default_factory=Counter)  # reason class -> (platform, package) count
    present: Counter = field(default_factory=Counter)  # platform -> packages imported


def rel_dir(record: dict[str, Any], tops: list[Path]) -> str:
    top = tops[record["root"]]
    rel = Path(record["dir"]).relative_to(top).as_posix()
    return rel if record["root"] == 0 else f"{top.name}/{rel}"


def target_name(jc_name: str, directory: str, taken: set[str]) -> str:
    """``pytorch:2.8`` in ``pytorch/`` -> ``2.8``; ``cuda-python:12.6`` in ``cuda/`` -> ``cuda-python-12.6``."""
    base, _, tag = jc_name.partition(":")
    name = tag if tag and base == directory else jc_name.replace(":", "-")
    name = _BAD_NAME.sub("_", name)
    if not name[:1].isalnum() and name[:1] != "_":
        name = "_" + name
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    return candidate


class _Merger:
    def __init__(self, scans: list[PlatformScan], tops: list[Path], into: str):
        self.scans = scans
        self.tops = tops
        self.into = into.strip("/")
        self.platforms = [s.platform.name for s in scans]
        self.dirs: dict[str, DirSpec] = {}
        self.warnings: list[Finding] = []
        self.labels: dict[tuple[str, str], str] = {}  # (rel dir, jc name) -> label
        self.where: dict[str, dict[str, dict[str, Any]]] = {}  # platform -> jc name -> winning record
        self.alias_labels: dict[str, str] = {}
        self.skipped: Counter = Counter()
        self.present: Counter = Counter()

    def warn(self, directory: str, platform: str, kind: str, message: str) -> None:
        self.warnings.append(Finding(directory, platform, message, kind))

    # -- naming ---------------------------------------------------------------------
    def name_layers(self) -> None:
        for scan in self.scans:
            for record in scan.records:
                rel = rel_dir(record, self.tops)
                spec = self.dirs.setdefault(rel, DirSpec(rel, Path(record["dir"])))
                key = (rel, record["name"])
                if key not in self.labels:
                    name = target_name(record["name"], rel.rsplit("/", 1)[-1], set(spec.targets))
                    spec.targets[name] = TargetSpec(name, "container_layer", record["name"])
                    self.labels[key] = f"//{self.into}/{rel}:{name}" if rel else f"//{self.into}:{name}"

    def label_of(self, record: dict[str, Any]) -> str:
        return self.labels[(rel_dir(record, self.tops), record["name"])]

    def dep_label(self, scan: PlatformScan, dep: str) -> str | None:
        """The label a dependency string stands for on one platform (None when nothing is found)."""
        found = scan.found.get(dep)
        if found is None:
            return None
        record = self.where[scan.platform.name][found]
        tagged_siblings = any(n.startswith(dep + ":") for n in self.where[scan.platform.name])
        if ":" in dep or (dep == found and not tagged_siblings):
            return self.label_of(record)
        return self.alias_label(scan, dep, record)

    def alias_label(self, scan: PlatformScan, name: str, record: dict[str, Any]) -> str:
        """An ``alias`` target for an untagged name, in the directory of what it finds first."""
        if name not in self.alias_labels:
            rel = rel_dir(record, self.tops)
            spec = self.dirs[rel]
            target = target_name(name if name not in spec.targets else name + "-alias", "", set(spec.targets))
            spec.targets[target] = TargetSpec(target, "alias", name)
            self.alias_labels[name] = f"//{self.into}/{rel}:{target}" if rel else f"//{self.into}:{target}"
        label = self.alias_labels[name]
        rel, target = label[2 + len(self.into) + 1:].rsplit(":", 1)
        self.dirs[rel].targets[target].per_platform[scan.platform.name] = {"actual": self.label_of(record)}
        return label


def merge(scans: list[PlatformScan], tops: list[Path], into: str) -> Merged:
    """Targets for every package directory the scans saw, with warnings."""
    m = _Merger(scans, tops, into)
    m.name_layers()
    for scan in scans:
        _configure_platform(m, scan)
    for spec in m.dirs.values():
        for target in spec.targets.values():
            if target.kind == "alias":
                _fill_alias(m, target)
    return Merged(m.dirs, m.warnings, m.platforms, m.skipped, m.present)


def _fill_alias(m: _Merger, target: TargetSpec) -> None:
    for platform in m.platforms:
        if platform not in target.per_platform:
            target.reasons[platform] = f"jetson-containers finds no package named '{target.jc_name}' on {platform}"


def _configure_platform(m: _Merger, scan: PlatformScan) -> None:
    p = scan.platform.name
    defined: dict[str, list[dict[str, Any]]] = {}
    for record in scan.records:
        defined.setdefault(record["name"], []).append(record)
    m.where[p] = {}
    for record in scan.records:
        if record.get("present"):
            m.where[p][record["name"]] = record  # a later definition silently replaces an earlier one
    for error in scan.errors:
        if "error" in error:
            m.warn(_rel_path(m, error["dir"]), p, "config error",
                   f"its config failed, so it defines nothing here: {error['error']}")
    if scan.stubbed:
        m.warn("(tree)", p, "stubbed modules",
               f"not installed, stubbed while configs ran: {', '.join(scan.stubbed)} (pass --python with an "
               "interpreter that has the tree's requirements)")
    for refusal in scan.refused:
        m.warn(_rel_path(m, refusal["dir"]), p, "network", f"network look-up refused: {refusal['host']}")
    claims = _alias_claims(scan)
    for name, (directory, owners) in _local_claims(scan).items():
        m.warn(_rel_path(m, directory), p, "alias claimed twice",
               f"'{name}' is claimed by {', '.join(owners)}; jetson-containers (and jcb) take the first")
    for name, records in defined.items():
        for record in records:
            _configure_record(m, scan, record, records, claims)
    for spec in m.dirs.values():
        for target in spec.targets.values():
            if (target.kind == "container_layer" and p not in target.per_platform and p not in target.reasons
                    and p not in target.requires_only):
                target.reasons[p] = f"jetson-containers defines no '{target.jc_name}' on {p}"
                m.skipped["not defined on this platform"] += 1


def _rel_path(m: _Merger, path: str) -> str:
    for top in m.tops:
        if path.startswith(os.fspath(top) + "/"):
            return Path(path).relative_to(top).as_posix()
    return path


def _alias_claims(scan: PlatformScan) -> dict[str, list[str]]:
    """Names claimed by present packages of more than one directory: which wins depends on scan order.

    Claims inside one directory are not listed: its config's order decides, the same on every scan.
    """
    claims: dict[str, dict[str, str]] = {}
    for record in scan.records:
        if record.get("present"):
            for name in dict.fromkeys([record["name"], *(record.get("alias") or [])]):
                claims.setdefault(name, {}).setdefault(record["dir"], record["name"])
    return {name: list(owners.values()) for name, owners in claims.items() if len(set(owners.values())) > 1}


def _local_claims(scan: PlatformScan) -> dict[str, tuple[str, list[str]]]:
    """Names claimed by more than one present package of one directory (its config's order decides)."""
    owners: dict[tuple[str, str], list[str]] = {}
    for record in scan.records:
        if record.get("present"):
            for name in record.get("alias") or []:
                owners.setdefault((name, record["dir"]), []).append(record["name"])
    return {name: (directory, names) for (name, directory), names in owners.items() if len(set(names)) > 1}


def _configure_record(m: _Merger, scan: PlatformScan, record: dict[str, Any], same_name: list[dict[str, Any]],
                      claims: dict[str, list[str]]) -> None:
    p = scan.platform.name
    rel = rel_dir(record, m.tops)
    target = m.dirs[rel].targets[m.label_of(record).rsplit(":", 1)[1]]
    if not record.get("present"):
        if record["name"] not in m.where[p]:  # else another definition of the name is the one for this platform
            _disabled(m, scan, record, target)
        return
    winner = m.where[p][record["name"]]
    if record is not winner:
        later = rel_dir(winner, m.tops)
        if later == rel and _same_definition(record, winner):
            m.warn(rel, p, "duplicate", f"'{record['name']}' is defined twice; the later definition only adds "
                   "aliases, so nothing of the earlier one is lost")
            return
        target.reasons[p] = (f"'{record['name']}' is defined again in {later}; jetson-containers silently uses "
                             "the later definition")
        m.warn(rel, p, "duplicate", target.reasons[p])
        m.skipped["duplicate definition"] += 1
        return
    attrs, problem = _layer_attrs(m, scan, record, claims)
    if attrs["dockerfile"].startswith("../"):
        problem = (f"dockerfile: its Dockerfile {attrs['dockerfile']} is outside its directory; jcb uses a "
                   "package's own Dockerfile only")
        attrs["dockerfile"] = ""
    elif attrs["dockerfile"] and (why := _dockerfile_problem(Path(record["dir"]) / attrs["dockerfile"])):
        problem = f"dockerfile: {why}"
    if "chain_error" in record:
        problem = f"missing dependency: jetson-containers cannot resolve '{record['name']}': {record['chain_error']}"
        m.skipped["missing dependency"] += 1
    present = [r for r in same_name if r.get("present")]
    if not problem and any(not (rel_dir(r, m.tops) == rel and _same_definition(r, record)) for r in present):
        problem = (f"duplicate: '{record['name']}' is defined {len(present)} times "
                   f"({', '.join(rel_dir(r, m.tops) for r in present)}); jetson-containers silently uses this one")
    if problem:
        kind, _, text = problem.partition(": ")
        target.reasons[p] = text if kind in ("duplicate", "missing dependency", "dockerfile") else problem
        m.warn(rel, p, kind, text)
    else:
        m.present[p] += 1
    target.per_platform[p] = attrs
    if attrs["dockerfile"]:
        m.dirs[rel].dockerfiles.add(attrs["dockerfile"])


def _disabled(m: _Merger, scan: PlatformScan, record: dict[str, Any], target: TargetSpec) -> None:
    """A package jetson-containers leaves out on this platform: by its requires, or one it cannot read."""
    p, rel = scan.platform.name, rel_dir(record, m.tops)
    requires, bad = _requires(record.get("requires") or [])
    if "requires_error" in record:
        target.reasons.setdefault(p, f"requires {record.get('requires')} cannot be read: {record['requires_error']}")
        m.warn(rel, p, "requires", f"'{record['name']}': requires cannot be read: {record['requires_error']}")
        m.skipped["requires unreadable"] += 1
        return
    m.skipped["requires not met"] += 1
    if not bad and any(not parse_constraint(t).matches(scan.platform) for t in requires):
        target.requires_only[p] = requires  # jcb's reading of requires says the same
    else:
        target.reasons.setdefault(p, f"jetson-containers disables '{record['name']}' on {p}: requires "
                                     f"{record.get('requires')} not met")


def _dockerfile_problem(path: Path) -> str:
    """Why a package's Dockerfile cannot continue a jcb stage in place ('' when it can)."""
    try:
        froms = _FROM.findall(path.read_text(encoding="utf-8", errors="replace"))
    except OSError as exc:
        return f"its Dockerfile cannot be read: {exc.strerror}"
    if len(froms) > 1:
        return f"its Dockerfile has {len(froms)} FROM lines (multi-stage); jcb continues one stage"
    if froms and not _BASE_IMAGE.fullmatch(froms[0].strip()):
        return (f"its Dockerfile starts from '{froms[0].strip()}', not ${{BASE_IMAGE}}: it does not build on the "
                "layer below")
    return ""


def _same_definition(earlier: dict[str, Any], later: dict[str, Any]) -> bool:
    """Whether ``later`` says everything ``earlier`` says (it may add aliases): then its silent win loses nothing."""
    keys = ("depends", "requires", "build_args", "dockerfile", "test", "path")
    return (all(earlier.get(k) == later.get(k) for k in keys)
            and set(earlier.get("alias") or []) <= set(later.get("alias") or []))


def _dockerfile_path(record: dict[str, Any]) -> str:
    path = Path(record.get("path") or record["dir"]) / record["dockerfile"]
    return os.path.relpath(path, record["dir"])


def _layer_attrs(m: _Merger, scan: PlatformScan, record: dict[str, Any],
                 claims: dict[str, list[str]]) -> tuple[dict[str, Any], str]:
    """A present record's attributes, and the silent-error problem of its chain ('' when none)."""
    base, _, tag = record["name"].partition(":")
    deps = [m.dep_label(scan, d) for d in record.get("depends") or []]
    requires, bad = _requires(record.get("requires") or [])
    attrs: dict[str, Any] = {
        "package": base, "version": tag, "deps": [d for d in deps if d],
        "requires": requires, "aliases": sorted(a for a in record.get("alias") or [] if ":" in a),
        "build_args": _build_args(record.get("build_args") or {}),
        "dockerfile": _dockerfile_path(record) if record.get("dockerfile") else "",
        "tests": [t for t in record.get("test") or [] if (Path(record["dir"]) / t).is_file()],
        "group": str(record.get("group") or ""), "notes": str(record.get("notes") or ""),
    }
    if bad:
        return attrs, f"requires: '{record['name']}' has a requires jcb cannot read: {bad}"
    unmet = [t for t in requires if not parse_constraint(t).matches(scan.platform)]
    if unmet:  # jetson-containers reads it as met here: keep its answer, not ours
        attrs["requires"] = []
        m.warn(rel_dir(record, m.tops), scan.platform.name, "requires",
               f"'{record['name']}': jcb reads requires {unmet} as unmet on {scan.platform.name} but "
               "jetson-containers does not; the requires was left out")
    problem = _chain_problem(record, claims)
    tags = _tags_in_chain(record.get("chain") or [])
    if tags and not problem:
        m.warn(rel_dir(record, m.tops), scan.platform.name, "two tags of one package",
               f"jetson-containers builds {' and '.join(tags)} in the chain of '{record['name']}'; jcb reads tags of "
               "one package as versions and refuses two of them in one image")
    return attrs, problem


def _tags_in_chain(chain: list[str]) -> list[str]:
    """Two different tagged names of one package in a chain (``isaac-ros:common-…``, ``isaac-ros:nvblox-…``)."""
    by_base: dict[str, list[str]] = {}
    for name in dict.fromkeys(chain):
        base, _, tag = name.partition(":")
        if tag:
            by_base.setdefault(base, []).append(name)
    return next((names[:2] for names in by_base.values() if len(names) > 1), [])


def _chain_problem(record: dict[str, Any], claims: dict[str, list[str]]) -> str:
    """Why jetson-containers' chain of this package is silently wrong, or ''."""
    chain, raw = record.get("chain") or [], record.get("raw_chain") or []
    if "chain_error" in record:
        return ""
    if record["name"] not in chain:
        return (f"drops out of its own chain: jetson-containers resolves '{record['name']}' to "
                f"[{', '.join(raw)}], which does not hold it (a tagged dependency replaced its name)")
    for name in raw:
        if name in claims:
            return (f"ambiguous name: '{name}' in its chain is claimed by {', '.join(claims[name])}; "
                    "jetson-containers takes whichever it scanned first")
    twice = [name for name, n in Counter(chain).items() if n > 1]
    if twice:
        spellings = [r for r, c in zip(raw, chain) if c == twice[0]]
        return (f"twice in one chain: jetson-containers would build '{twice[0]}' twice, as "
                f"{' and '.join(repr(s) for s in spellings)}")
    return ""


def _requires(values: list[Any]) -> tuple[list[str], str]:
    texts = [str(v) for v in values]
    for text in texts:
        try:
            parse_constraint(text)
        except ConstraintSyntaxError as exc:
            return [t for t in texts if t != text], str(exc)
    return texts, ""


def _build_args(args: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in args.items()
            if _ARG_NAME.match(str(k)) and not any(ord(c) < 32 for c in str(v))}
