"""The merged log of a batch's concurrent builds (``engine/batch_build.py``)."""

from __future__ import annotations

from jc_build.engine.base import BuildLog
from jc_build.engine.batch_build import MergedLog


def merged(feeds: list[tuple[str, str]]) -> list[str]:
    lines: list[str] = []
    log = MergedLog(BuildLog(None, lines.append))
    for target, chunk in feeds:
        log.feed(target, chunk)
    return lines


def test_each_vertex_is_numbered_once_across_builds_and_its_header_names_its_target() -> None:
    lines = merged([
        ("top", '#0 building with "default" instance using docker driver\n'),
        ("top", "#1 [internal] load build definition from Dockerfile\n#1 DONE 0.0s\n"),
        ("low", "#1 [low 1/2] COPY a /a\n"),
        ("top", "#2 [low 1/2] COPY a /a\n#2 CACHED\n"),
        ("low", "#1 DONE 0.1s\n#2 exporting to image\n#2 naming to docker.io/x/low:1 done\n"),
    ])
    assert lines == [
        '#0 building with "default" instance using docker driver',
        "#1 [top internal] load build definition from Dockerfile",
        "#1 DONE 0.0s",
        "#2 [low low 1/2] COPY a /a",
        "#3 [top low 1/2] COPY a /a",
        "#3 CACHED",
        "#2 DONE 0.1s",
        "#4 [low] exporting to image",
        "#4 naming to docker.io/x/low:1 done",
    ]


def test_a_repeated_header_is_renamed_like_the_first_and_other_lines_pass_through() -> None:
    lines = merged([
        ("w", "#5 [w-build 2/3] RUN make\n#5 0.512 compiling\n"),
        ("w", "#6 [w 1/1] COPY --from=w-build /out /\n#5 [w-build 2/3] RUN make\n#5 1.020 linking\n"),
        ("w", "ERROR: failed to solve: process did not complete successfully\n"),
    ])
    assert lines == [
        "#1 [w w-build 2/3] RUN make", "#1 0.512 compiling",
        "#2 [w w 1/1] COPY --from=w-build /out /",
        "#1 [w w-build 2/3] RUN make", "#1 1.020 linking",
        "ERROR: failed to solve: process did not complete successfully",
    ]
