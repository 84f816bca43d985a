"""docs/rules.md: generated from the rule schemas, and kept up to date by this test."""

from __future__ import annotations

import json
from pathlib import Path

from docs_helpers import REPO, Jcb
from jc_build.docs import render_rules_md
from jc_build.docs.rules_md import platform_values
from jc_build.loading.builtins import STEP_HELPERS
from jc_build.loading.packages import PackageLoader
from jc_build.loading.rules import RULES
from jc_build.loading.workspace import load_workspace


def test_docs_rules_md_is_up_to_date() -> None:
    assert (REPO / "docs" / "rules.md").read_text(encoding="utf-8") == render_rules_md(), \
        "docs/rules.md is stale: run `jcb docs --rules > docs/rules.md`"


def test_every_rule_attribute_and_builtin_is_documented() -> None:
    text = render_rules_md()
    sections = text.split("\n## ")
    for kind, schema in RULES.items():
        section = next(s for s in sections if s.startswith(f"{kind}\n"))
        assert schema.doc in section and schema.example in section
        for key, attr in schema.attrs.items():
            assert f"| `{key}` | {attr.type.name} |" in section
    for name in ["select", *STEP_HELPERS]:
        assert f"\n### {name}\n\n`{name}(" in text
    assert '`run(cmd, network = "", secrets = None)`' in text
    assert "| `wheels` | list of label strings | `[]` | no |" in text
    assert "| `dist` | string |  | yes |" in text


def test_platform_values_are_what_build_files_see(ws: Path) -> None:
    (ws / "pkgs" / "keys").mkdir()
    (ws / "pkgs" / "keys" / "BUILD.star").write_text('container_layer(name = "keys", notes = json.encode(PLATFORM))\n')
    workspace = load_workspace(ws)
    platform = workspace.platform(None)
    loader = PackageLoader(workspace, platform)
    assert json.loads(loader.load_package("keys")["keys"].attrs["notes"]) == platform_values(platform)


def test_cli_rules_and_check(jcb: Jcb, ws: Path) -> None:
    result = jcb(ws, "docs", "--rules")
    assert result.code == 0 and result.out == render_rules_md()
    result = jcb(ws, "docs", "--rules", "--check")
    assert result.code == 1 and "docs/rules.md (missing)" in result.err
    (ws / "docs").mkdir()
    (ws / "docs" / "rules.md").write_text(render_rules_md().replace("wheel", "wheels"))
    result = jcb(ws, "docs", "--rules", "--check")
    assert result.code == 1 and "docs/rules.md (stale)" in result.err
    (ws / "docs" / "rules.md").write_text(render_rules_md())
    assert jcb(ws, "docs", "--rules", "--check").code == 0
