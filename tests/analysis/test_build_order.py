"""``--order=build``: the image's layer chain, ending with the target; what only builders use is left out."""

from __future__ import annotations

FILES = {
    "pkgs/base/BUILD.star": 'container_layer(name = "base")\n',
    "pkgs/ninja/BUILD.star": 'container_layer(name = "ninja", deps = ["//base"])\n',
    "pkgs/app/BUILD.star":
        'git_repository(name = "src", remote = "https://x/app", tag = "v1")\n'
        'wheel(name = "wheel", dist = "app", srcs = [":src"], build_deps = ["//base", "//ninja"])\n'
        'container_layer(name = "app", deps = ["//base"], wheels = [":wheel"])\n',
}


def test_builder_only_deps_are_left_out_of_the_image_order(workspace, jcb) -> None:
    root = workspace(FILES)
    everything = jcb(root, "query", "deps(//app)").out.split()
    assert "//ninja:ninja" in everything and "//app:wheel" in everything  # ninja builds the wheel only
    result = jcb(root, "query", "deps(//app)", "--order=build")
    assert result.code == 0, result.err
    assert result.out.split() == ["//base:base", "//app:app"]
    assert jcb(root, "query", "deps(//app)", "--order=build", "--output=name").out.split() == ["base", "app"]


def test_a_wheel_is_built_after_its_builder_layers(workspace, jcb) -> None:
    result = jcb(workspace(FILES), "query", "deps(//app:wheel)", "--order=build")
    assert result.out.split() == ["//base:base", "//ninja:ninja", "//app:wheel"]
