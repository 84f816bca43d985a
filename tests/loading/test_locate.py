"""Targets are reported where they are declared, found in one pass over the BUILD file."""

from __future__ import annotations

from jc_build.loading.locate import DeclarationIndex


def test_the_name_attribute_wins_over_an_earlier_string() -> None:
    text = 'X = ["x"]\n\n\n    container_layer(\n        name = "x",\n    )\n'
    assert str(DeclarationIndex("BUILD.star", text).locate("x")) == "BUILD.star:4:5"


def test_a_built_name_is_found_by_its_longest_quoted_part() -> None:
    text = 'layer("a")\nwheel_macro("torch", "2.8")\n'
    assert str(DeclarationIndex("BUILD.star", text).locate("torch-2.8")) == "BUILD.star:2:1"


def test_parts_of_equal_length_are_tried_in_text_order() -> None:
    """"build" and "tools" are as long: the first in text order wins, whatever the set order."""
    text = 'make("tools")\nmake("build")\n'
    for _ in range(3):
        assert str(DeclarationIndex("BUILD.star", text).locate("build-tools")) == "BUILD.star:2:1"


def test_an_unknown_name_is_the_first_line() -> None:
    assert str(DeclarationIndex("BUILD.star", "f()\n").locate("nope")) == "BUILD.star:1:1"


def test_an_error_names_the_declaring_line(workspace, jcb) -> None:
    root = workspace({"pkgs/a/BUILD.star": 'ALL = ["a"]\n\n\ncontainer_layer(name = "a", requires = ">=99")\n'})
    result = jcb(root, "tag", "//a")
    assert result.err.startswith("jcb: error: pkgs/a/BUILD.star:4:1: //a:a is not compatible"), result.err


def test_a_macros_call_site_wins_over_strings_inside_its_def() -> None:
    text = ('def layer(version):\n    """e.g. \'2.3.1\'"""\n    x = f(version, "2.3.1")\n'
            'DEFAULT = select({"a": "2.3.1"})\nlayer("2.3.1")\n')
    assert str(DeclarationIndex("BUILD.star", text).locate("2.3.1")) == "BUILD.star:5:1"


def test_a_pending_location_is_searched_when_first_read_and_equals_the_location() -> None:
    from jc_build.errors import Location
    from jc_build.loading.locate import PendingLocation

    index = DeclarationIndex("BUILD.star", 'layer(\n    name = "x",\n)\n')
    pending = PendingLocation(index, "x")
    assert "file" not in vars(pending) and "_named" not in vars(index)  # nothing searched yet
    assert pending == Location("BUILD.star", 1, 1) == pending and str(pending) == "BUILD.star:1:1"
    assert hash(pending) == hash(Location("BUILD.star", 1, 1)) and "_pending" not in vars(pending)
