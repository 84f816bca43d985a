"""Batches: stages to build that run in one BuildKit solve, and the Dockerfile that does it.

One ``docker build`` per stage costs a CLI start, a session and an image export each, and runs the
chain strictly one stage after another. A batch puts the stages that must be built into one
multi-stage Dockerfile whose named stages are the plan's stages, built together (one ``buildx
build --target`` per stage, all at once, ``engine/batch_build.py``; the event log counts a batch
as one solve): BuildKit runs shared steps once and independent stages concurrently, a layer
installs its wheels straight from the wheel stage's output, and every stage still yields its own
image or wheels.

The batch Dockerfile is the stages' own Dockerfiles (``Stage.dockerfile``) with names rewritten:
``FROM ${JCB_BASE}`` becomes ``FROM <stage below>`` (or the image below the batch), context paths
get the stage's directory in the shared context (``s<key>/``), and the wheels mount names a scratch
stage that gathers the layer's wheels. Every step runs the same command on the same files, so a
stage's output is what its own solve would give. Stages whose Dockerfile holds a user fragment
(arbitrary Dockerfile text) are built alone.

A build's ``--network`` applies to every RUN it runs (BuildKit v0.8 has no ``RUN --network``), and a
step is shared only between builds of the same mode, so a batch holds stages of one network mode; stages of another mode below or above it form other batches (``partition``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..plan import WHEELS_CONTEXT_DIR, Stage
from .estimate import Slots

if TYPE_CHECKING:
    from .stage_runner import StageRun

FRAGMENT_MARK = "# dockerfile: "
WHEELS_MOUNT = f"--mount=type=bind,source={WHEELS_CONTEXT_DIR},"
ORDER_MOUNT_DIR = "/tmp/jcb-order"


@dataclass(frozen=True)
class Batch:
    """Stages (plan order) built in one solve; ``network``: their common network mode."""

    stages: tuple[Stage, ...]
    network: str

    @property
    def keys(self) -> set[str]:
        return {s.key for s in self.stages}


def batchable(stage: Stage) -> bool:
    """Whether the stage's Dockerfile is only jcb's own rendering (no user fragment)."""
    return FRAGMENT_MARK not in stage.dockerfile


def partition(stages: Sequence[Stage], can_batch: Callable[[Stage], bool] = batchable) -> list[Batch]:
    """Group ``stages`` (the stages to build, plan order) into batches, deps before dependants.

    A stage joins the batch of its deps of the same network mode; a dep of another mode, or one
    built alone, puts it one level higher, so a batch depends only on batches of lower levels.
    """
    level: dict[str, int] = {}
    group_of: dict[str, tuple[int, str, str]] = {}
    groups: dict[tuple[int, str, str], list[Stage]] = {}
    for stage in stages:
        alone = not can_batch(stage)
        lvl = 0
        for dep in (d for d in stage.deps if d in group_of):
            other = group_of[dep]
            bump = alone or bool(other[2]) or other[1] != stage.network
            lvl = max(lvl, level[dep] + bump)
        group = (lvl, stage.network, stage.key if alone else "")
        level[stage.key], group_of[stage.key] = lvl, group
        groups.setdefault(group, []).append(stage)
    return [Batch(tuple(members), group[1]) for group, members in sorted(groups.items(), key=lambda g: g[0][0])]


def stage_name(stage: Stage) -> str:
    """The stage's name in a batch Dockerfile and its directory in the batch context."""
    return f"s{stage.key[:20]}"


def compose(batch: Batch, below: Mapping[str, str], order_after: Mapping[str, Sequence[str]] | None = None) -> str:
    """The batch's Dockerfile.

    ``below``: for each stage whose base is outside the batch, the image reference to build on.
    ``order_after``: for a wheel stage, the wheel stages of the batch it must wait for (the
    compile-slot order of ``compile_order``). A layer with wheels finds a ``wheels/`` in its context
    directory (the install step's files, and the wheels built before the batch).
    """
    names = {s.key: stage_name(s) for s in batch.stages}
    out: list[str] = []
    for stage in batch.stages:
        base = names.get(stage.base[1]) if stage.base[0] == "stage" else None
        base = base or below[stage.key]
        after = [names[k] for k in (order_after or {}).get(stage.key, ())]
        if stage.wheel_inputs:
            out += _wheels_stage(stage, names)
        out += _rewrite(stage, names[stage.key], base, after)
        out.append("")
    return "\n".join(out)


def _wheels_stage(stage: Stage, names: Mapping[str, str]) -> list[str]:
    """A scratch stage holding every wheel the layer installs (as the context's ``wheels/``)."""
    lines = [f"FROM scratch AS {stage_name(stage)}-wheels", f"COPY {stage_name(stage)}/{WHEELS_CONTEXT_DIR}/ /"]
    return lines + [f"COPY --from={names[k]} / /" for k in stage.wheel_inputs if k in names]


def _rewrite(stage: Stage, name: str, base: str, after: Sequence[str]) -> list[str]:
    """The stage's own Dockerfile lines with the batch's names (see the module docstring)."""
    out: list[str] = []
    build = f"{name}-build" if stage.kind == "wheel" else name
    for line in stage.dockerfile.splitlines():
        if line == "ARG JCB_BASE":
            continue
        if line.startswith("FROM ${JCB_BASE}"):
            out.append(f"FROM {base} AS {build}")
            out += [f"RUN --mount=type=bind,from={a},target={ORDER_MOUNT_DIR}/{a} true" for a in after]
        elif line == "FROM scratch":
            out.append(f"FROM scratch AS {name}")
        elif line.startswith("COPY --from=build "):
            out.append(f"COPY --from={build} " + line[len("COPY --from=build "):])
        elif line.startswith("COPY "):
            out.append(_copy(line, name))
        elif line.startswith("RUN ") and WHEELS_MOUNT in line:
            out.append(line.replace(WHEELS_MOUNT, f"--mount=type=bind,from={name}-wheels,", 1))
        else:
            out.append(line)
    return out


def _copy(line: str, directory: str) -> str:
    """``COPY src dst`` (or its JSON form) with ``src`` under the stage's context directory."""
    rest = line[len("COPY "):]
    if rest.startswith("["):
        src, dst = json.loads(rest)
        return "COPY " + json.dumps([f"{directory}/{src}", dst])
    src, dst = rest.split(" ", 1)
    return f"COPY {directory}/{src} {dst}"


def compile_order(batch: Batch, slots: int, weight: Callable[[Stage], float]) -> dict[str, list[str]]:
    """At most ``slots`` compile slots in use at once, in plan order (the order the chain needs
    the wheels): each wheel stage takes its ``compile_slots`` and waits for the compiles before it
    in them, list-scheduled on the stages' expected durations (``weight``). Returns, per wheel
    key, the wheel keys it waits for."""
    wheels = [s for s in batch.stages if s.kind == "wheel"]
    if slots < 1 or sum(min(w.compile_slots, slots) for w in wheels) <= slots:
        return {}
    schedule = Slots(slots)
    after: dict[str, list[str]] = {}
    for stage in wheels:
        _, before, _ = schedule.take(stage.key, stage.compile_slots, 0.0, max(weight(stage), 0.001))
        if before:
            after[stage.key] = before
    return after


@dataclass
class BatchOutcome:
    """The runs of a batch's stages; ``skipped``: stages not recorded because one below failed;
    ``retry``: stages to build one by one (the batch's solve failed before they were done)."""

    runs: list[StageRun]
    skipped: dict[str, str] = field(default_factory=dict)
    retry: tuple[Stage, ...] = ()
    failed_solve: bool = False  # a batch solve ran and failed
