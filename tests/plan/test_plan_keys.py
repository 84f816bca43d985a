"""Action keys: stable under what cannot change the output, sensitive to exactly what can."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from plan_helpers import APP, BASIC, changed, edit, keys, plan_of, sub

from jc_build.plan import PLAN_FORMAT_VERSION, Plan
from jc_build.plan.canonical import canonical_json, node_digest

CORE, TORCH_WHEEL, TORCH = "//base/core:core", "//ml/torch:wheel-2.8", "//ml/torch:2.8"
EXTRAS, FA_WHEEL, FA, TINY, DEMO = ("//tools/extras:extras", "//ml/flash-attn:wheel", "//ml/flash-attn:flash-attn",
                                    "//py/tiny:wheel", "//app/demo:demo")
ALL = {CORE, TORCH_WHEEL, TORCH, EXTRAS, FA_WHEEL, FA, TINY, DEMO}


@pytest.fixture
def base_plan() -> Plan:
    return plan_of(BASIC)


def test_stages_and_order(base_plan: Plan) -> None:
    assert list(keys(base_plan)) == [CORE, TORCH_WHEEL, TORCH, EXTRAS, FA_WHEEL, FA, TINY, DEMO]
    seen: set[str] = set()
    for stage in base_plan.stages:
        assert set(base_plan.deps(stage.key)) <= seen, f"{stage.label} comes before a stage it needs"
        seen.add(stage.key)
    assert base_plan.root_stage is base_plan.stages[-1]
    assert str(base_plan.root_stage.label) == DEMO


def test_same_inputs_same_keys(base_plan: Plan) -> None:
    again = plan_of(BASIC)
    assert keys(again) == keys(base_plan)
    assert [s.dockerfile for s in again.stages] == [s.dockerfile for s in base_plan.stages]
    assert canonical_json(again.to_json()) == canonical_json(base_plan.to_json())


def test_keys_stable_across_workspace_copies(fixture_copy, base_plan: Plan) -> None:
    a = plan_of(fixture_copy("basic", "one"))
    b = plan_of(fixture_copy("basic", "somewhere/else/entirely"))
    assert keys(a) == keys(b) == keys(base_plan)
    assert [s.dockerfile for s in a.stages] == [s.dockerfile for s in b.stages]
    # Absolute paths are there for the executor, never in a key.
    files_a = a.root_stage.context_files["app.py"]
    files_b = b.root_stage.context_files["app.py"]
    assert files_a.path != files_b.path and files_a.digest == files_b.digest


def test_keys_ignore_mtimes(fixture_copy, base_plan: Plan) -> None:
    root = fixture_copy()
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (1_000_000, 1_000_000))
    assert keys(plan_of(root)) == keys(base_plan)


def test_keys_ignore_dict_and_files_order(fixture_copy, base_plan: Plan) -> None:
    root = fixture_copy()
    edit(root / "pkgs/base/core/BUILD.star", 'env = {"LANG": "C.UTF-8", "PYTHONUNBUFFERED": "1"}',
         'env = {"PYTHONUNBUFFERED": "1", "LANG": "C.UTF-8"}')
    edit(root / "pkgs/ml/flash-attn/BUILD.star",
         'build_args = {"FLASH_ATTN_CUDA_ARCHS": ";".join(PLATFORM["cuda_arch"]), "MAX_JOBS": "4"}',
         'build_args = {"MAX_JOBS": "4", "FLASH_ATTN_CUDA_ARCHS": ";".join(PLATFORM["cuda_arch"])}')
    edit(root / "pkgs/ml/torch/BUILD.star", 'env = {"USE_NCCL": "0", "MAX_JOBS": "8"}',
         'env = {"MAX_JOBS": "8", "USE_NCCL": "0"}')
    edit(root / "pkgs/app/demo/BUILD.star", 'files = ["app.py", "conf/app.yaml"]',
         'files = ["conf/app.yaml", "./app.py"]')
    assert keys(plan_of(root)) == keys(base_plan)


@pytest.mark.parametrize("what, edit_args, expected", [
    ("a file of an unrelated layer", ("pkgs/tools/extras/extras.txt", "one extra", "two extras"), {EXTRAS, FA, DEMO}),
    ("a file of the bottom layer", ("pkgs/base/core/setup.sh", "core setup", "core setup!"), ALL),
    ("a wheel's build arg", ("pkgs/ml/flash-attn/BUILD.star", '"MAX_JOBS": "4"', '"MAX_JOBS": "2"'),
     {FA_WHEEL, FA, DEMO}),
    ("a layer's env value", ("pkgs/ml/torch/BUILD.star", '"/data/models/torch"', '"/data/torch"'),
     {TORCH, EXTRAS, FA_WHEEL, FA, DEMO}),
    ("a wheel's env value", ("pkgs/ml/torch/BUILD.star", '"USE_NCCL": "0"', '"USE_NCCL": "1"'),
     {TORCH_WHEEL, TORCH, EXTRAS, FA_WHEEL, FA, DEMO}),
    ("one step of the top layer", ("pkgs/app/demo/BUILD.star", 'workdir("/opt/app")', 'workdir("/srv/app")'), {DEMO}),
    ("one step of a lower layer", ("pkgs/tools/extras/BUILD.star", "wc -l", "wc -c"), {EXTRAS, FA, DEMO}),
    ("a git source's tag", ("pkgs/py/tiny/BUILD.star", 'tag = "v1.0"', 'tag = "v1.0.1"'), {TINY, DEMO}),
    ("an http source's sha256", ("pkgs/ml/flash-attn/BUILD.star", 'sha256 = "0123', 'sha256 = "f123'),
     {FA_WHEEL, FA, DEMO}),
    ("a Dockerfile fragment", ("pkgs/app/demo/Dockerfile", "app.py\n", "app.py --check\n"), {DEMO}),
    ("an index URL", ("pkgs/ml/torch/BUILD.star", "jp6/cu126\",\n    build_args", "jp6/cu128\",\n    build_args"),
     {TORCH_WHEEL, TORCH, EXTRAS, FA_WHEEL, FA, DEMO}),
    ("a test script", ("pkgs/ml/flash-attn/test.py", "import flash_attn", "import flash_attn, torch"), set()),
])
def test_key_changes_exactly_where_the_input_is_used(fixture_copy, base_plan: Plan, what: str,
                                                     edit_args: tuple[str, str, str], expected: set[str]) -> None:
    root = fixture_copy()
    rel, old, new = edit_args
    edit(root / rel, old, new)
    assert changed(base_plan, plan_of(root)) == expected, what


def test_unrelated_layer_file_leaves_wheel_keys_alone(fixture_copy, base_plan: Plan) -> None:
    root = fixture_copy()
    (root / "pkgs/tools/extras/extras.txt").write_text("changed\n")
    after = keys(plan_of(root))
    before = keys(base_plan)
    for wheel in (TORCH_WHEEL, FA_WHEEL, TINY):
        assert after[wheel] == before[wheel]


def test_test_scripts_are_not_keyed_but_reported(fixture_copy, base_plan: Plan) -> None:
    root = fixture_copy()
    edit(root / "pkgs/ml/flash-attn/test.py", "import flash_attn", "import flash_attn  # v2")
    after = plan_of(root)
    fa_before = next(s for s in base_plan.stages if str(s.label) == FA)
    fa_after = next(s for s in after.stages if str(s.label) == FA)
    assert fa_before.key == fa_after.key
    assert [Path(t.path).name for t in fa_after.tests] == ["test.py"]
    assert fa_before.tests[0].digest != fa_after.tests[0].digest


def test_platform_cuda_arch_changes_every_stage(fixture_copy, base_plan: Plan) -> None:
    root = fixture_copy()
    sub(root / "toolchains/BUILD.star", r'cuda_arch = \["87"\]', 'cuda_arch = ["87", "72"]')
    after = plan_of(root)
    assert changed(base_plan, after) == ALL
    fa_wheel = next(s for s in after.stages if str(s.label) == FA_WHEEL)
    assert 'ARG FLASH_ATTN_CUDA_ARCHS="87;72"' in fa_wheel.dockerfile
    assert fa_wheel.inputs_summary()["platform:cuda_arch"] == "87,72"


def test_other_platform_gives_other_keys(base_plan: Plan) -> None:
    xavier = plan_of(BASIC, platform="xavier")
    assert not set(keys(xavier).values()) & set(keys(base_plan).values())
    torch_wheel = next(s for s in xavier.stages if str(s.label) == TORCH_WHEEL)
    assert torch_wheel.build_args["TORCH_CUDA_ARCH_LIST"] == "7.2"


def test_base_image_digest(base_plan: Plan) -> None:
    digest = "sha256:" + "ab" * 32
    with_digest = plan_of(BASIC, base_digests={"ubuntu:22.04": digest})
    assert changed(base_plan, with_digest) == ALL
    core = with_digest.stages[0]
    assert core.base == ("image", "ubuntu:22.04") and core.base_digest == digest
    assert core.inputs_summary()["base"] == f"image:ubuntu:22.04@{digest}"
    other = plan_of(BASIC, base_digests={"ubuntu:22.04": "sha256:" + "cd" * 32})
    assert changed(with_digest, other) == ALL
    # A digest of an image the platform does not use changes nothing.
    assert keys(plan_of(BASIC, base_digests={"debian:12": digest})) == keys(base_plan)


def test_builder_variant_forces_its_wheels(base_plan: Plan) -> None:
    builder = plan_of(BASIC, "//ml/flash-attn:builder")
    wheels = {str(s.label): s for s in builder.stages if s.kind == "wheel"}
    assert wheels[FA_WHEEL].build_args["JCB_FORCE_BUILD"] == "1"
    assert wheels[TORCH_WHEEL].build_args["JCB_FORCE_BUILD"] == "0"  # only the builder's own wheels
    normal = keys(base_plan)
    assert wheels[FA_WHEEL].key != normal[FA_WHEEL]
    assert wheels[TORCH_WHEEL].key == normal[TORCH_WHEEL]
    assert wheels[FA_WHEEL].inputs_summary()["build_arg:JCB_FORCE_BUILD"] == "1"


def test_merkle_dag(base_plan: Plan) -> None:
    for digest, node in base_plan.nodes.items():
        assert node.digest == digest == node_digest(node.op, node.attrs, node.inputs)
        for inp in node.inputs:
            assert inp in base_plan.nodes, f"{node.op} {digest[:12]} has an unknown input"
    for stage in base_plan.stages:
        assert stage.key == stage.nodes[-1].digest
        assert stage.nodes[-1].op == ("layer.result" if stage.kind == "layer" else "wheel.export")
        first = next(n for n in stage.nodes if n.op == "from")
        assert first.inputs[0] == (stage.base[1] if stage.base[0] == "stage" else
                                   next(n.digest for n in stage.nodes if n.op == "source.image"))
        # Cache mounts are never keyed: they live in ``extra`` only.
        for node in stage.nodes:
            assert "cache" not in node.attrs
    assert PLAN_FORMAT_VERSION >= 1


def test_inputs_summary_names_what_makes_the_key(base_plan: Plan) -> None:
    by_label = {str(s.label): s for s in base_plan.stages}
    demo = by_label[DEMO].inputs_summary()
    assert demo["base"] == f"stage:{by_label[FA].key}"
    assert demo["build_arg:APP_MODE"] == "prod"
    assert demo["env:APP_HOME"] == "/opt/app"
    assert demo["file:conf/app.yaml"] == by_label[DEMO].context_files["conf/app.yaml"].digest
    assert demo[f"wheel:{TINY}"] == by_label[TINY].key
    assert demo["step:1"] == "WORKDIR /opt/app"
    assert demo["platform:cuda_arch"] == "87" and demo["platform:l4t"] == "36.4.0"
    assert demo["format"] == str(PLAN_FORMAT_VERSION)
    assert "dockerfile:Dockerfile" in demo
    torch_wheel = by_label[TORCH_WHEEL].inputs_summary()
    # a source is keyed by what it is (its commit), not where it comes from (remote, tag)
    assert torch_wheel["source://ml/torch:src"] == "git ba56102387ef21a3b04b357e5b183d48f0afefc7 (submodules)"
    assert torch_wheel["wheel:dist"] == "torch"


def test_root_may_be_a_wheel_or_an_alias() -> None:
    wheel = plan_of(BASIC, "//ml/flash-attn:wheel")
    assert wheel.root_stage.kind == "wheel" and wheel.root_stage.image_name is None
    assert keys(wheel)[FA_WHEEL] == keys(plan_of(BASIC))[FA_WHEEL]
    alias = plan_of(BASIC, "//ml/torch")
    assert str(alias.root) == TORCH and str(alias.root_stage.label) == TORCH


def test_pinned_builder_chain_follows_the_image_pin() -> None:
    """An image that pins torch 2.7 while also reaching torch's alias: its wheels' builders use 2.7."""
    plan = plan_of(BASIC, "//ml/vision:0.22-pinned")
    wheel = next(s for s in plan.stages if str(s.label) == "//ml/vision:wheel")
    assert [str(plan.stage(k).label) for k in wheel.builder_chain] == ["//base/core:core", "//ml/torch:2.7"]


def test_builder_follows_a_pin_its_image_chain_names_only_explicitly() -> None:
    """build_deps name torch's alias; the image names torch 2.7 only explicitly: the builder uses 2.7 too."""
    plan = plan_of(BASIC, "//ml/vision:0.22")
    wheel = next(s for s in plan.stages if str(s.label) == "//ml/vision:wheel")
    assert "//ml/torch:2.7" in [str(plan.stage(k).label) for k in wheel.builder_chain]
    assert not any("is compiled against" in note for note in plan.root_stage.notes)


def test_plan_json_round_trips(base_plan: Plan) -> None:
    import json
    data = json.loads(canonical_json(base_plan.to_json()))
    assert data["root_stage"] == base_plan.root_key
    assert [s["key"] for s in data["stages"]] == [s.key for s in base_plan.stages]
    assert APP.rsplit("/", 1)[-1] in data["root"]
