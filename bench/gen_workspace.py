"""Generate a synthetic jcb workspace: N packages, 3 targets each, load()ed macros, select()s, deep deps.

    python bench/gen_workspace.py OUT_DIR [--packages 1000]

Package i (in group i // 50) declares versions 1.0 and 2.0 and a default alias chosen by
select() on CUDA, through a macro loaded from pkgs/defs/synthetic.star. It depends on
packages i-1, i//2 and i-7 (when they exist), so the deepest target reaches every package.
"""

from __future__ import annotations

import argparse
from pathlib import Path

MACROS = '''\
def versioned(name, deps, requires = ">=36"):
    """Two versions of a layer and a platform-dependent default alias."""
    for version in ["1.0", "2.0"]:
        container_layer(
            name = version,
            deps = deps + select({">=cu128": [], "default": []}),
            requires = requires,
            steps = [run("echo " + name + " " + version)],
            build_args = {"VERSION": version},
        )
    alias(name = name, actual = select({">=cu128": ":2.0", "default": ":1.0"}))
'''


def package_path(i: int) -> str:
    return f"g{i // 50}/p{i}"


def generate(out: Path, packages: int) -> None:
    (out / "toolchains").mkdir(parents=True, exist_ok=True)
    (out / "pkgs" / "defs").mkdir(parents=True, exist_ok=True)
    (out / "WORKSPACE.star").write_text('workspace(default_platform = "jp6")\n')
    (out / "toolchains" / "BUILD.star").write_text(
        'platform(name = "jp6", l4t = "36.4.0", jetpack = "6.1", cuda = "12.6", cudnn = "9.3", python = "3.10",\n'
        '         distro = "24.04", arch = "aarch64", cuda_arch = ["87"], base_image = "ubuntu:24.04")\n')
    (out / "pkgs" / "defs" / "synthetic.star").write_text(MACROS)
    for i in range(packages):
        deps = sorted({j for j in (i - 1, i // 2, i - 7) if 0 <= j < i})
        labels = ", ".join(f'"//{package_path(j)}"' for j in deps)
        directory = out / "pkgs" / package_path(i)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "BUILD.star").write_text(
            'load("//defs:synthetic.star", "versioned")\n\n'
            f'versioned("p{i}", deps = [{labels}])\n')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--packages", type=int, default=1000)
    args = parser.parse_args()
    generate(args.out, args.packages)


if __name__ == "__main__":
    main()
