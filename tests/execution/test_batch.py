"""Batches without a daemon: which stages share a solve, the batch Dockerfile, the per-stage logs."""

from __future__ import annotations

from collections.abc import Callable

from execution_helpers import Harness

from jc_build.execution.batch import Batch, compile_order, compose, partition, stage_name
from jc_build.execution.batch_log import BatchLogSplitter
from jc_build.plan import Stage

Make = Callable[..., Harness]


def stages_of(h: Harness, *targets: str) -> dict[str, Stage]:
    by_key: dict[str, Stage] = {}
    for plan in h.plans(*targets):
        for stage in plan.stages:
            by_key.setdefault(stage.key, stage)
    return {str(s.label): s for s in by_key.values()}


def test_stages_of_one_network_mode_share_one_batch(harness: Make) -> None:
    stages = stages_of(harness(), "//c", "//b")
    batches = partition(list(stages.values()))
    # every step runs without network (the default), so one mode
    assert [sorted(str(s.label) for s in b.stages) for b in batches] == [sorted(stages)]


def test_another_network_mode_makes_another_batch_above(harness: Make) -> None:
    files = {"pkgs/a/BUILD.star": 'container_layer(name = "a", deps = ["//base"], wheels = ["//w:wheel"], '
                                  'steps = [run("echo stage=a", network = True)])\n'}
    stages = stages_of(harness(files), "//c", "//b")
    assert stages["//a:a"].network == "default" and stages["//b:b"].network == "none"
    labels = [[str(s.label) for s in b.stages] for b in partition(list(stages.values()))]
    assert labels == [["//base:base", "//w:wheel", "//b:b"], ["//a:a"], ["//c:c"]]


def test_a_stage_that_cannot_batch_is_alone_and_splits_the_levels(harness: Make) -> None:
    stages = list(stages_of(harness(), "//c").values())
    alone = next(s for s in stages if str(s.label) == "//a:a")
    batches = partition(stages, can_batch=lambda s: s is not alone)
    assert [[str(s.label) for s in b.stages] for b in batches] == [["//base:base", "//w:wheel"], ["//a:a"],
                                                                   ["//c:c"]]


def test_batch_dockerfile_names_stages_and_their_context_directories(harness: Make) -> None:
    stages = stages_of(harness(), "//c")
    base, wheel, a, c = (stages[x] for x in ("//base:base", "//w:wheel", "//a:a", "//c:c"))
    batch = Batch((base, wheel, a, c), "default")
    text = compose(batch, {base.key: "fake/base:1"})
    names = {label: stage_name(s) for label, s in stages.items()}
    assert "JCB_BASE" not in text
    assert f"FROM fake/base:1 AS {names['//base:base']}\n" in text
    assert f"FROM {names['//base:base']} AS {names['//w:wheel']}-build\n" in text
    assert f"FROM scratch AS {names['//w:wheel']}\nCOPY --from={names['//w:wheel']}-build /opt/wheels/ /" in text
    assert (f"FROM scratch AS {names['//a:a']}-wheels\nCOPY {names['//a:a']}/wheels/ /\n"
            f"COPY --from={names['//w:wheel']} / /\n") in text
    assert f"--mount=type=bind,from={names['//a:a']}-wheels,target=/tmp/jcb-wheels" in text
    assert f"FROM {names['//a:a']} AS {names['//c:c']}\n" in text
    assert text.count("echo stage=") == 4  # every stage's own step, once


def test_wheels_built_earlier_come_from_the_layers_context_directory(harness: Make) -> None:
    stages = stages_of(harness(), "//c")
    a, c = stages["//a:a"], stages["//c:c"]
    text = compose(Batch((a, c), "default"), {a.key: "t/base:x"})
    assert f"FROM scratch AS {stage_name(a)}-wheels\nCOPY {stage_name(a)}/wheels/ /\n" in text
    assert f"FROM t/base:x AS {stage_name(a)}\n" in text


def test_compile_order_keeps_at_most_slots_compiles_in_plan_order(harness: Make) -> None:
    files = {f"pkgs/w{i}/BUILD.star": f'wheel(name = "wheel", dist = "w{i}", build_deps = ["//base"], '
                                      f'steps = [run("echo stage=w{i}")])\n' for i in range(5)}
    h = harness(files)
    wheels = [stages_of(h, f"//w{i}:wheel")[f"//w{i}:wheel"] for i in range(5)]
    batch = Batch(tuple(wheels), "default")
    after = compile_order(batch, 2, lambda s: 1.0)
    keys = [w.key for w in wheels]
    assert after == {keys[2]: [keys[0]], keys[3]: [keys[1]], keys[4]: [keys[2]]}
    assert compile_order(batch, 5, lambda s: 1.0) == {}
    long_first = compile_order(batch, 2, lambda s: 10.0 if s is wheels[0] else 1.0)
    assert long_first == {keys[2]: [keys[1]], keys[3]: [keys[2]], keys[4]: [keys[3]]}
    text = compose(batch, {w.key: "t/base:x" for w in wheels}, after)
    assert f"RUN --mount=type=bind,from={stage_name(wheels[0])},target=/tmp/jcb-order/{stage_name(wheels[0])} true" \
        in text


LOG = """\
#1 [internal] load local bake definitions
#1 DONE 0.0s
#2 [sb internal] load build definition from Dockerfile
#2 DONE 0.1s
#5 [sb sa 2/2] RUN echo a
#5 0.1 a
#5 ...
#6 [sb sb-build 1/2] COPY sb/x /x
#5 [sb sa 2/2] RUN echo a
#5 DONE 0.5s
#6 DONE 0.1s
#7 [sa sa 2/2] RUN echo a
#7 CACHED
#8 [sa] exporting to image
#8 DONE 0.2s
#9 [sb] exporting to client
#9 DONE 0.0s
"""


def test_batch_log_gives_each_stage_its_steps_once_with_their_span() -> None:
    splitter = BatchLogSplitter({"sa": "key-a", "sb": "key-b"})
    owners = [splitter.feed(line, float(i)) for i, line in enumerate(LOG.splitlines())]
    assert owners[4] == "key-a" and owners[0] is None
    a = [line for line in splitter.lines("sa") if line]
    assert a == ["#5 [sb sa 2/2] RUN echo a", "#5 0.1 a", "#5 DONE 0.5s", "#8 [sa] exporting to image", "#8 DONE 0.2s"]
    b = [line for line in splitter.lines("sb") if line]
    assert b[:2] == ["#2 [sb internal] load build definition from Dockerfile", "#2 DONE 0.1s"]
    assert "#6 [sb sb-build 1/2] COPY sb/x /x" in b and "#9 DONE 0.0s" in b
    assert splitter.span("sa") == (4.0, 14.0)
    assert splitter.span("sb") == (7.0, 16.0)  # the set-up (definition) is not part of it


def test_estimate_follows_deps_and_compile_slots(harness: Make) -> None:
    from jc_build.execution.estimate import Expected, estimate

    files = {f"pkgs/w{i}/BUILD.star": f'wheel(name = "wheel", dist = "w{i}", build_deps = ["//base"], '
                                      f'steps = [run("echo stage=w{i}")])\n' for i in range(3)}
    files["pkgs/top/BUILD.star"] = ('container_layer(name = "top", deps = ["//base"], '
                                    'wheels = ["//w0:wheel", "//w1:wheel", "//w2:wheel"])\n')
    stages = list(stages_of(harness(files), "//top").values())
    seconds = {"//base:base": 1.0, "//w0:wheel": 4.0, "//w1:wheel": 2.0, "//w2:wheel": 3.0, "//top:top": 0.5}
    expected = estimate(stages, lambda s: Expected(seconds[str(s.label)], "the same key"), slots=2)
    # base 0-1; w0 1-5 and w1 1-3 in two slots; w2 waits for w1's slot: 3-6; top 6-6.5
    assert expected.seconds == 6.5
    assert [str(s.label) for s, _ in expected.path] == ["//base:base", "//w1:wheel", "//w2:wheel", "//top:top"]
    assert expected.sources == {"the same key": 5}
    serial = estimate(stages, lambda s: Expected(seconds[str(s.label)], "x"), slots=1)
    assert serial.seconds == 1.0 + 9.0 + 0.5


def batch_harness(harness: Make, **engine: object) -> Harness:
    from execution_helpers import FakeBatchEngine

    h = harness()
    h.engine = FakeBatchEngine(**engine)  # type: ignore[arg-type]
    return h


def test_a_batch_builds_every_stage_in_one_solve_with_its_own_event(harness: Make, tmp_path) -> None:
    from jc_build.execution import read_events

    h = batch_harness(harness)
    report = h.build("//c", "//b", event_log=tmp_path / "events.jsonl")
    events = read_events(tmp_path / "events.jsonl")
    assert len(h.engine.batches) == 1 and len(h.engine.batches[0]) == 5 and not h.engine.solves
    assert {e.outcome for e in events} == {"built"} and len(events) == 5
    assert sum(e.solves for e in events) == 1 and len({e.solve for e in events}) == 1
    assert report.summary.solves == 1
    for event in events:  # each stage's own log holds its own step only
        name = "s" + event.key[:20]
        assert open(event.log).read().startswith(f"#") and name in open(event.log).read()
        assert event.phases["context"] >= 0 and "solve" in event.phases
    assert h.engine.test_runs  # a's test ran on its image
    again = h.build("//c", "//b")
    assert report.estimate is not None and again.summary.solves == 0


def test_a_failed_batch_is_built_stage_by_stage(harness: Make) -> None:
    h = batch_harness(harness, fail_batches=True, fail={"a"})
    report = h.build("//c", "//b", keep_going=True)
    assert h.outcomes(report) == {"//base:base": "built", "//w:wheel": "built", "//a:a": "failed",
                                  "//b:b": "built", "//c:c": "skipped"}
    assert len(h.engine.batches) == 1 and sorted(h.engine.solves) == ["a", "b", "base", "w"]
    assert report.summary.solves == 5  # the failed batch and four stages' own solves


def test_a_heavy_compile_takes_several_slots(harness: Make) -> None:
    from jc_build.execution.estimate import Expected, estimate

    files = {f"pkgs/w{i}/BUILD.star": f'wheel(name = "wheel", dist = "w{i}", build_deps = ["//base"], '
                                      f'compile_slots = {2 if i == 1 else 1}, steps = [run("echo stage=w{i}")])\n'
             for i in range(3)}
    h = harness(files)
    wheels = [stages_of(h, f"//w{i}:wheel")[f"//w{i}:wheel"] for i in range(3)]
    assert [w.compile_slots for w in wheels] == [1, 2, 1]
    keys = [w.key for w in wheels]
    # w0 in slot 0; w1 needs both slots: after w0; w2 after w1
    assert compile_order(Batch(tuple(wheels), "default"), 2, lambda s: 1.0) == {keys[1]: [keys[0]], keys[2]: [keys[1]]}
    expected = estimate(wheels, lambda s: Expected(1.0, "x"), slots=2)
    assert expected.seconds == 3.0 and [s.key for s, _ in expected.path] == keys


def test_compile_slots_below_one_is_an_analysis_error(harness: Make) -> None:
    import pytest
    from jc_build.errors import JcbError

    h = harness({"pkgs/w/BUILD.star": 'wheel(name = "wheel", dist = "w", build_deps = ["//base"], '
                                      'compile_slots = 0, steps = [run("echo stage=w")])\n'})
    with pytest.raises(JcbError, match="compile_slots = 0: a compile takes at least 1 slot"):
        h.plans("//w:wheel")
