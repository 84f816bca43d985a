"""autotag as jetson-containers users know it: a declared published image that runs on the
platform (r36.4.0 on r36.4.3) is found locally or pulled; --no-build never needs the base
image; building a missing image is asked on a terminal."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import JCB, Workspace, copy_fixture, jcb_env, remove_images
from terminal import on_a_terminal

pytestmark = pytest.mark.engine
REGISTRY = "127.0.0.1:5000"
LATER = '''
platform(name = "later", l4t = "36.4.3", jetpack = "6.2", cuda = "12.6", cudnn = "9.3", python = "3.11",
         distro = "12", arch = "x86_64", cuda_arch = ["87"], base_image = "{base}")
'''


@pytest.fixture
def published(docker_cli: str, tmp_path: Path) -> Iterator[Workspace]:
    """A platform on L4T 36.4.3 whose base image does not exist, and a package that declares
    three published images in the local registry: r35.4.1 (too old), r36.4.0, cu128 (other CUDA)."""
    prefix = f"jcb-e2e-{uuid.uuid4().hex[:8]}"
    ws = Workspace(copy_fixture(tmp_path / "ws", prefix), tmp_path / "cache", prefix, docker_cli)
    toolchains = ws.root / "toolchains/BUILD.star"
    toolchains.write_text(toolchains.read_text() + LATER.format(base=f"{prefix}/no-such-base:1"))
    repo = f"{REGISTRY}/{prefix}/pub"
    ws.write("pkgs/pub/BUILD.star", f'''container_layer(name = "pub", steps = [run("true")], images = [
    {{"repository": "{repo}", "tag": "r35.4.1"}},
    {{"repository": "{repo}", "tag": "1.0-r36.4-cu128-12"}},
    {{"repository": "{repo}", "tag": "r36.4.0"}},
])
container_layer(name = "unpublished", steps = [run("true")])
''')
    for tag in ("r35.4.1", "1.0-r36.4-cu128-12", "r36.4.0"):
        subprocess.run([docker_cli, "tag", "jcb/debian:bookworm", f"{repo}:{tag}"], check=True)
        subprocess.run([docker_cli, "push", "-q", f"{repo}:{tag}"], check=True, capture_output=True)
        subprocess.run([docker_cli, "rmi", f"{repo}:{tag}"], check=True, capture_output=True)
    yield ws
    remove_images(docker_cli, prefix)


def test_published_image_that_runs_on_the_platform_is_pulled_without_the_base(published: Workspace) -> None:
    ref = f"{REGISTRY}/{published.prefix}/pub:r36.4.0"
    proc = published.jcb("autotag", "//pub", "--platform=later", "--no-build")
    assert proc.stdout == f"{ref}\n"
    assert published.jcb("autotag", "//pub", "--platform=later", "--no-build").stdout == f"{ref}\n"  # now local
    base = subprocess.run([published.docker, "image", "inspect", f"{published.prefix}/no-such-base:1"],
                          capture_output=True)
    assert base.returncode != 0  # never pulled, never needed

    missing = published.jcb("autotag", "//pub:unpublished", "--platform=later", "--no-build", check=False)
    assert missing.returncode == 1
    assert "no up-to-date image of //pub:unpublished for platform 'later'" in missing.stderr


def test_building_is_asked_on_a_terminal_and_refused_off_one(published: Workspace) -> None:
    off = published.jcb("autotag", "//pub:unpublished", check=False)
    assert off.returncode == 1 and "give --yes to build it without asking" in off.stderr
    argv = [*JCB, "autotag", "//pub:unpublished"]
    code, seen = on_a_terminal(argv, published.root, jcb_env(published.cache), b"Build it now? [y/N]", b"n\n")
    assert code == 1 and "not building //pub:unpublished" in seen, seen
    code, seen = on_a_terminal(argv, published.root, jcb_env(published.cache), b"Build it now? [y/N]", b"y\n")
    assert code == 0, seen
    assert seen.rstrip().endswith(f"{published.prefix}/pub:unpublished"), seen
    assert published.jcb("autotag", "//pub:unpublished").stdout == f"{published.prefix}/pub:unpublished\n"


def test_yes_builds_without_asking(published: Workspace) -> None:
    proc = published.jcb("autotag", "//pub:unpublished", "--yes")
    assert proc.stdout == f"{published.prefix}/pub:unpublished\n" and "1 built" in proc.stderr
    assert published.docker_run(f"{published.prefix}/pub:unpublished", "true") == ""
