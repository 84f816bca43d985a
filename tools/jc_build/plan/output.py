"""``jcb plan`` output formats: text, json, dot and dockerfile."""

from __future__ import annotations

import json

from .model import PLAN_FORMAT_VERSION, Plan, Stage

FORMATS = ("text", "json", "dot", "dockerfile")


def _short(key: str) -> str:
    return key[:12]


def _base_text(plan: Plan, stage: Stage) -> str:
    if stage.base[0] == "stage":
        base = plan.stage(stage.base[1])
        return f"{base.label} ({_short(base.key)})"
    return f"image {stage.base[1]}" + (f"@{stage.base_digest}" if stage.base_digest else "")


def to_text(plan: Plan) -> str:
    stages = plan.stages
    lines = [f"plan of {plan.root} on {plan.platform.name}: {len(stages)} stage{'s' * (len(stages) != 1)} "
             f"(plan format {PLAN_FORMAT_VERSION})"]
    width = max(len(str(s.label)) for s in stages)
    for i, stage in enumerate(stages, 1):
        lines.append(f"{i:>3}. {stage.kind:<5}  {str(stage.label):<{width}}  {_short(stage.key)}  "
                     f"on {_base_text(plan, stage)}")
        if stage.kind == "wheel":
            chain = " -> ".join(f"{plan.stage(k).label} ({_short(k)})" for k in stage.builder_chain)
            lines.append(f"{'':>7}builder: {chain or 'the base image only'}")
        if stage.wheel_inputs:
            wheels = ", ".join(f"{plan.stage(k).label} ({_short(k)})" for k in stage.wheel_inputs)
            lines.append(f"{'':>7}wheels: {wheels}")
        if stage.image_name and stage.key == plan.root_key:
            lines.append(f"{'':>7}image: {stage.image_name}")
        needing = f" (needed by {', '.join(stage.network_steps)})" if stage.network_steps else ""
        lines.append(f"{'':>7}network: {stage.network}{needing if stage.network != 'none' else ''}")
        for src in stage.sources:
            pin = " (floating: run `jcb lock`)" if src.floating else ""
            lines.append(f"{'':>7}source: {src.label}: {src.declared.describe()}{pin}")
        for note in stage.notes:
            lines.append(f"{'':>7}note: {note}")
    return "\n".join(lines) + "\n"


def to_json(plan: Plan) -> str:
    return json.dumps(plan.to_json(), indent=2, sort_keys=True) + "\n"


def _dot_id(text: str) -> str:
    return json.dumps(text)


def to_dot(plan: Plan) -> str:
    """The stage DAG: solid edges to the base, dashed edges from wheel stages to their layers."""
    lines = ["digraph plan {", "  rankdir=BT;", "  node [shape=box, fontname=monospace];"]
    images: set[str] = set()
    for stage in plan.stages:
        shape = ", shape=box3d" if stage.kind == "wheel" else ""
        bold = ", penwidth=2" if stage.key == plan.root_key else ""
        label = f"{stage.label}\\n{stage.kind} {_short(stage.key)}"
        lines.append(f"  {_dot_id(stage.key)} [label=\"{label}\"{shape}{bold}];")
        if stage.base[0] == "image":
            images.add(stage.base[1])
            lines.append(f"  {_dot_id(stage.key)} -> {_dot_id('image:' + stage.base[1])};")
        else:
            lines.append(f"  {_dot_id(stage.key)} -> {_dot_id(stage.base[1])};")
        for key in stage.wheel_inputs:
            lines.append(f"  {_dot_id(stage.key)} -> {_dot_id(key)} [style=dashed, label=\"wheel\"];")
    for image in sorted(images):
        lines.append(f"  {_dot_id('image:' + image)} [label={_dot_id(image)}, shape=ellipse];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_dockerfiles(plan: Plan) -> str:
    """Every stage's Dockerfile, each after a comment header naming the stage and what it needs."""
    parts: list[str] = []
    total = len(plan.stages)
    for i, stage in enumerate(plan.stages, 1):
        header = [f"# ---- stage {i}/{total}: {stage.kind} {stage.label} (platform {stage.platform})",
                  f"# key: {stage.key}",
                  f"# JCB_BASE: {_base_text(plan, stage)}"]
        if stage.image_name:
            header.append(f"# image: {stage.image_name}")
        if stage.wheel_inputs:
            header.append("# wheels/: " + ", ".join(str(plan.stage(k).label) for k in stage.wheel_inputs))
        if stage.context_files:
            header.append("# context: " + ", ".join(stage.context_files))
        if stage.secrets:
            header.append("# secrets: " + ", ".join(stage.secrets))
        if stage.network != "default":
            header.append(f"# network: {stage.network}")
        if stage.kind == "wheel":
            header.append("# output: the wheel files (build with --output type=local)")
        parts.append("\n".join(header) + "\n" + stage.dockerfile)
    return "\n".join(parts)


def render(plan: Plan, fmt: str) -> str:
    if fmt == "text":
        return to_text(plan)
    if fmt == "json":
        return to_json(plan)
    if fmt == "dot":
        return to_dot(plan)
    if fmt == "dockerfile":
        return to_dockerfiles(plan)
    raise ValueError(f"unknown plan output format '{fmt}' (known: {', '.join(FORMATS)})")
