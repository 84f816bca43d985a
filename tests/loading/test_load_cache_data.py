"""The loading cache is data: a crafted file is ignored with a warning and runs nothing."""

from __future__ import annotations

import json
import os
import pickle
import time
from pathlib import Path

from jc_build.errors import Location
from jc_build.loading.codec import CodecError, decode, encode
from jc_build.labels import Label
from jc_build.loading.load_cache import CacheFile
from jc_build.model import Target

LAYER = {"pkgs/b/BUILD.star": 'container_layer(name = "b", env = {"A": "1"}, deps = [])\n'}


def _age(root: Path) -> None:
    old = time.time() - 60
    for path in root.rglob("*"):
        os.utime(path, (old, old))


def _cache_files() -> list[Path]:
    return sorted(Path(os.environ["JCB_CACHE_DIR"], "loading").glob("*.json"))


class _Payload:
    """Unpickling this would create ``marker``."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_crafted_pickle_is_ignored_with_a_warning_and_runs_nothing(workspace, jcb, tmp_path: Path) -> None:
    root = workspace(LAYER)
    _age(root)
    assert jcb(root, "query", "//b").code == 0
    [cache] = _cache_files()
    marker = tmp_path / "pwned"
    cache.write_bytes(pickle.dumps({"format": "x", "packages": _Payload(marker)}))
    result = jcb(root, "query", "//b")
    assert result.out == "//b:b\n"
    assert result.err.startswith(f"jcb: warning: loading cache {cache} is not valid (")
    assert result.err.endswith("); ignoring it\n")
    assert not marker.exists()


def test_json_with_wrong_types_is_a_miss_with_a_warning(workspace, jcb) -> None:
    root = workspace(LAYER)
    _age(root)
    assert jcb(root, "query", "//b").code == 0
    [cache] = _cache_files()
    data = json.loads(cache.read_text())
    target = json.loads(data["packages"]["b"]["targets"]["b"])
    data["packages"]["b"]["targets"]["b"] = json.dumps({**target, "kind": 5})
    cache.write_text(json.dumps(data))
    result = jcb(root, "query", "kind(container_layer, //b:all)")
    assert result.out == "//b:b\n"
    assert result.err == (f"jcb: warning: loading cache {cache} is not valid "
                          "($.packages.b.targets.b.kind: expected str); ignoring it\n")


def test_a_file_of_another_model_is_a_silent_cold_start(workspace, jcb) -> None:
    root = workspace(LAYER)
    _age(root)
    assert jcb(root, "query", "//b").code == 0
    [cache] = _cache_files()
    data = json.loads(cache.read_text())
    data["schema"] = "an older model"
    cache.write_text(json.dumps(data))
    assert (jcb(root, "query", "//b").err, jcb(root, "query", "//b").out) == ("", "//b:b\n")


def test_targets_round_trip() -> None:
    target = Target(Label("a", "b"), "container_layer", {"env": {"A": "1"}, "deps": ["//c:c"], "n": None},
                    Location("pkgs/a/BUILD.star", 3, 1), "pkgs/a/BUILD.star", {"deps": (Label("c", "c"),)})
    assert decode(json.loads(json.dumps(encode(target, Target))), Target) == target


def test_an_object_in_an_untyped_attribute_is_not_stored() -> None:
    target = Target(Label("a", "b"), "container_layer", {"x": Label("c", "c")}, Location("f", 1, 1), "f")
    try:
        encode(target, Target)
    except CodecError as exc:
        assert str(exc) == "Label values cannot be stored untyped"
    else:
        raise AssertionError("encoded an untyped object")


def test_a_cache_holding_such_an_object_is_not_saved_and_raises_nothing(tmp_path: Path) -> None:
    from jc_build.loading.load_cache import LoadCache
    build = tmp_path / "BUILD.star"
    build.write_text("")
    os.utime(build, ns=(1, 1))
    cache = LoadCache(tmp_path / "cache.json")
    target = Target(Label("a", "b"), "container_layer", {"x": Label("c", "c")}, Location("f", 1, 1), "f")
    cache.put("a", {"b": target}, [str(build)])
    cache.save()
    assert not (tmp_path / "cache.json").exists()


def test_unknown_fields_are_refused() -> None:
    try:
        decode({"format": "x", "jcb": "1", "schema": "", "key": "", "packages": {}, "code": "os.system"}, CacheFile)
    except CodecError as exc:
        assert str(exc) == "$: expected the fields of CacheFile"
    else:
        raise AssertionError("accepted an unknown field")


def test_a_cached_target_gets_its_typed_view_back(tmp_path: Path) -> None:
    from jc_build.loading.fields import make_target
    from jc_build.loading.load_cache import LoadCache
    from jc_build.loading.rules import RULES
    build = tmp_path / "BUILD.star"
    build.write_text("")
    os.utime(build, ns=(1, 1))
    attrs = RULES["container_layer"].validate({"name": "b", "deps": [":c"]})
    target = make_target("container_layer", attrs, "a", Location(str(build), 1, 1), str(build))
    cache = LoadCache(tmp_path / "cache.json")
    cache.put("a", {"b": target}, [str(build)])
    cache.save()
    [loaded] = LoadCache(tmp_path / "cache.json").get("a", _no_reload).values()
    assert loaded.fields == target.fields and loaded.fields.deps == (Label("a", "c"),)


def test_a_run_that_reads_one_package_and_adds_another_keeps_both(tmp_path: Path) -> None:
    """The views ``get`` gives out are not written back: the file stays data and the save happens."""
    from jc_build.loading.fields import make_target
    from jc_build.loading.load_cache import LoadCache
    from jc_build.loading.rules import RULES
    build = tmp_path / "BUILD.star"
    build.write_text("")
    os.utime(build, ns=(1, 1))

    def target(name: str) -> Target:
        attrs = RULES["container_layer"].validate({"name": name, "deps": [":c"], "files": []})
        return make_target("container_layer", attrs, "a", Location(str(build), 1, 1), str(build))

    first = LoadCache(tmp_path / "cache.json")
    first.put("a", {"x": target("x")}, [str(build)])
    first.save()
    second = LoadCache(tmp_path / "cache.json")
    assert second.get("a", _no_reload)["x"].fields.deps == (Label("a", "c"),)
    second.put("b", {"y": target("y")}, [str(build)])
    second.save()
    assert all("fields" not in json.loads(t) for p in json.loads((tmp_path / "cache.json").read_text())["packages"].values()
               for t in p["targets"].values())
    third = LoadCache(tmp_path / "cache.json")
    assert third.get("a", _no_reload)["x"].fields == target("x").fields
    assert third.get("b", _no_reload)["y"].fields == target("y").fields


def test_a_cached_target_that_does_not_decode_reloads_its_package_with_one_warning(tmp_path: Path) -> None:
    from jc_build.loading.fields import make_target
    from jc_build.loading.load_cache import LoadCache
    from jc_build.loading.rules import RULES
    build = tmp_path / "BUILD.star"
    build.write_text("")
    os.utime(build, ns=(1, 1))
    fresh = {name: make_target("container_layer", RULES["container_layer"].validate({"name": name}), "a",
                               Location(str(build), 1, 1), str(build)) for name in ("x", "y")}
    cache = LoadCache(tmp_path / "cache.json")
    cache.put("a", fresh, [str(build)])
    cache.save()
    data = json.loads((tmp_path / "cache.json").read_text())
    data["packages"]["a"]["targets"]["y"] = json.dumps({**json.loads(data["packages"]["a"]["targets"]["y"]),
                                                        "kind": 5})
    (tmp_path / "cache.json").write_text(json.dumps(data))
    warnings: list[str] = []
    reloads: list[str] = []
    targets = LoadCache(tmp_path / "cache.json", warnings.append).get("a", lambda: reloads.append("a") or fresh)
    assert targets["x"].label == Label("a", "x") and reloads == [] and warnings == []
    assert targets["y"] is fresh["y"] and list(targets) == ["x", "y"] and reloads == ["a"]
    assert warnings == [f"loading cache {tmp_path / 'cache.json'} is not valid "
                        "($.packages.a.targets.y.kind: expected str); ignoring it"]


def _no_reload() -> dict[str, Target]:
    raise AssertionError("the cached package was evaluated again")
