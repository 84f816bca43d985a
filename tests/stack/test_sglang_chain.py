"""The image chains of sglang 0.4.4 / 0.4.6 / 0.4.9 equal the seed docs page's Dependencies rows."""

from __future__ import annotations

import pytest

import ast

from stack_helpers import REPO, assert_same_chain, chain_names, graph, label, seed_containers, seed_images

SEED = seed_containers()


def test_seed_fixture_reads_as_expected():
    assert set(SEED) == {"sglang:0.4.4", "sglang:0.4.6", "sglang:0.4.9"}
    deps = SEED["sglang:0.4.9"].links("Dependencies")
    assert len(deps) == 35 and len({name for name, _ in deps}) == 34  # flashinfer listed twice
    assert SEED["sglang:0.4.9"].chain()[:3] == ["build-essential", "pip_cache:cu126", "cuda:12.6"]


@pytest.mark.parametrize("version", ["0.4.4", "0.4.9"])
def test_chain_equals_seed(version):
    expected = SEED[f"sglang:{version}"].chain()
    assert len(expected) == 35
    assert_same_chain(chain_names(f"//llm/sglang:{version}"), expected)


def test_chain_0_4_6_pins_flashinfer():
    expected = SEED["sglang:0.4.6"].chain()
    assert "flashinfer:0.2.6.post1" in expected
    assert_same_chain(chain_names("//llm/sglang:0.4.6"), expected)


def test_default_alias_is_0_4_9():
    g = graph()
    assert g.resolve_alias(label("//llm/sglang")) == label("//llm/sglang:0.4.9")
    assert g.target(label("//llm/sglang:0.4.9")).jc_name == "sglang:0.4.9"


def test_requires_notes_aliases_and_images_follow_the_seed():
    g = graph()
    images = []
    for name, container in SEED.items():
        target = g.target(label("//llm/sglang:" + name.split(":")[1]))
        requires = ast.literal_eval(container.rows["Requires"].strip("`").removeprefix("L4T "))
        assert target.attrs["requires"] == requires == [">=36"]
        assert target.attrs["notes"] == container.rows["Notes"]
        for alias in container.rows.get("Aliases", "").strip("`").split():
            assert g.resolve_alias(label("//llm/sglang:" + alias)) == target.label
        images += target.attrs["images"]
        for image in target.attrs["images"]:
            if image["tag"].startswith(target.attrs["name"] + "-"):
                assert f"{image['repository']}:{image['tag']}" in container.rows.get("Images", ""), image
    # every published image of the page is recorded once, as a fact on some sglang target
    key = lambda image: (image["repository"], image["tag"], image["date"], image["arch"], image["size"])
    assert sorted(map(key, images)) == sorted(map(key, seed_images()))


def test_every_seed_package_lives_at_the_upstream_path():
    """One BUILD.star per package, at the same relative path as in jetson-containers' packages/."""
    g = graph()
    for container in SEED.values():
        for name, path in container.links("Dependencies") + container.links("Dependants"):
            assert (REPO / "pkgs" / path / "BUILD.star").is_file(), f"{name}: no pkgs/{path}/BUILD.star"
    # and the chain's targets are declared in those directories
    paths = {name.split(":")[0]: path for c in SEED.values() for name, path in c.links("Dependencies")}
    for lbl in g.chain(label("//llm/sglang:0.4.9"))[:-1]:
        target = g.target(lbl)
        assert lbl.package == paths[target.package_name], (lbl, paths[target.package_name])


def test_cli_query_deps_in_build_order_equals_seed(jcb):
    result = jcb(REPO, "query", "deps", "--order=build", "--output=name", "//llm/sglang:0.4.9")
    assert result.code == 0, result.err
    assert_same_chain(result.out.split(), SEED["sglang:0.4.9"].chain())


def test_cli_query_lists_the_seed_packages(jcb):
    """Whatever its order, the query's layers are exactly the seed's (names and versions)."""
    result = jcb(REPO, "query", "deps(//llm/sglang:0.4.9)", "--output=name")
    assert result.code == 0, result.err
    # the layers wheels compile on with their build tools (pkgs/defs/wheels.star build_tools_layer)
    # are jcb's own: jetson-containers installs those tools inside each build.sh
    names = [name for name in result.out.split() if not name.split(":")[0].endswith("-build-tools")]
    assert len(names) < len(result.out.split())
    got = {name.split(":")[0]: name for name in names}
    expected = SEED["sglang:0.4.9"].chain()
    assert len(got) == len(names) == len(expected)
    for name in expected:
        assert name.split(":")[0] in got, name
        assert ":" not in name or got[name.split(":")[0]] == name
