"""Which declared published images run on a platform (jetson-containers' L4T rule, CUDA tag)."""

from __future__ import annotations

import pytest

from jc_build.analysis.published import l4t_runs_on, runs_on
from jc_build.model import Platform


def _platform(l4t: str, cuda: str = "12.6") -> Platform:
    return Platform(name="p", label="@toolchains//:p", l4t=l4t, jetpack="6.1", cuda=cuda, cudnn="9.3",
                    python="3.10", distro="24.04", arch="aarch64", cuda_arch=("87",), base_image="b")


@pytest.mark.parametrize(("image", "platform", "runs"), [
    ("36.4.0", "36.4.3", True), ("36.4", "36.4.0", True), ("36", "36.4.0", True), ("36.3.0", "36.4.0", False),
    ("35.4.1", "35.3.1", True), ("35.4.1", "36.4.0", False), ("32.7.1", "32.7.1", True), ("32.7.1", "32.7.4", False),
])
def test_l4t_rule(image: str, platform: str, runs: bool) -> None:
    assert l4t_runs_on(image, platform) is runs


@pytest.mark.parametrize(("tag", "runs"), [
    ("r36.4.0", True), ("0.4.7-r36.4-cu126-24.04", True), ("0.4.7-r36.4-cu128-24.04", False),
    ("r36.4.tegra-aarch64-cu126-22.04", True), ("latest", False), ("r35.4.1", False), ("0.4.9", False),
])
def test_tags(tag: str, runs: bool) -> None:
    assert runs_on(tag, _platform("36.4.3")) is runs
