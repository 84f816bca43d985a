"""A ``files`` entry may name another package's file by label; it is hashed like a local one."""

from __future__ import annotations

import json


def test_file_from_another_package(workspace, jcb) -> None:
    root = workspace({
        "pkgs/tools/BUILD.star": 'container_layer(name = "tools")\n',
        "pkgs/tools/fix.py": "print('v1')\n",
        "pkgs/a/BUILD.star": '''\
container_layer(
    name = "a",
    files = ["//tools:fix.py"],
    steps = [copy("//tools:fix.py", "/opt/fix.py"), run("python3 /opt/fix.py")],
)
''',
    })
    dockerfile = jcb(root, "plan", "//a", "--output=dockerfile").out
    assert "COPY _pkgs/tools/fix.py /opt/fix.py" in dockerfile
    before = json.loads(jcb(root, "plan", "//a", "--output=json").out)["root_stage"]
    (root / "pkgs/tools/fix.py").write_text("print('v2')\n")
    after = json.loads(jcb(root, "plan", "//a", "--output=json").out)["root_stage"]
    assert before != after
    (root / "pkgs/tools/fix.py").unlink()
    result = jcb(root, "plan", "//a")
    assert result.code == 1
    assert result.err.strip() == "jcb: error: pkgs/a/BUILD.star:1:1: no file 'fix.py' in pkgs/tools"
