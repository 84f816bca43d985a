"""The scheduler and stage runner with a fake engine: order, parallelism, failures, caching."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from execution_helpers import Harness

from jc_build.execution import read_events

Make = Callable[..., Harness]
ALL = ("//c", "//b")  # c needs a (which needs w) and base; b needs base


def test_stages_start_after_their_deps(harness: Make) -> None:
    h = harness(delay=0.1)
    report = h.build(*ALL, jobs=4)
    assert sorted(h.engine.solves) == ["a", "b", "base", "c", "w"]
    spans = h.engine.spans
    for stage, deps in {"w": ["base"], "a": ["base", "w"], "b": ["base"], "c": ["a"]}.items():
        for dep in deps:
            assert spans[stage][0] >= spans[dep][1], f"{stage} started before {dep} ended"
    assert report.summary.counts["built"] == 5 and report.summary.solves == 5
    assert not report.failed


def test_jobs_bounds_parallel_solves(harness: Make) -> None:
    serial = harness(delay=0.1)
    serial.build(*ALL, jobs=1)
    assert serial.engine.max_parallel == 1

    parallel = harness(delay=0.2)
    parallel.build(*ALL, jobs=3)
    assert parallel.engine.max_parallel >= 2  # w and b are independent once base is built


def test_second_build_performs_no_solve(harness: Make, tmp_path: Path) -> None:
    h = harness()
    h.build(*ALL)
    solves = len(h.engine.solves)
    log = tmp_path / "events.jsonl"
    report = h.build(*ALL, event_log=log)
    assert len(h.engine.solves) == solves
    events = read_events(log)
    assert {e.outcome for e in events} == {"cached"} and sum(e.solves for e in events) == 0
    assert len(events) == 5
    assert str(report.summary).startswith("5 cached, 0 built")


def test_failure_without_keep_going_starts_nothing_new(harness: Make) -> None:
    h = harness(fail={"w"}, delay=0.1)
    report = h.build(*ALL, jobs=1)
    outcomes = h.outcomes(report)
    assert outcomes["//w:wheel"] == "failed"
    # With one job, b or a/c could only start after w: none did.
    assert "a" not in h.engine.solves and "c" not in h.engine.solves
    assert outcomes["//a:a"] == outcomes["//c:c"] == "skipped"
    assert [r.stage.label.package for r in report.failed] == ["w"]
    assert h.cache.get_action(_key(report, "//w:wheel")) is None


def test_keep_going_builds_independent_stages(harness: Make) -> None:
    h = harness(fail={"w"})
    report = h.build(*ALL, jobs=1, keep_going=True)
    outcomes = h.outcomes(report)
    assert outcomes == {"//base:base": "built", "//w:wheel": "failed", "//a:a": "skipped", "//c:c": "skipped",
                        "//b:b": "built"}
    skipped = {e.label: e.reason for e in report.events if e.outcome == "skipped"}
    assert skipped["//a:a"] == "//w:wheel did not build" and skipped["//c:c"] == "//a:a did not build"
    # The results of the stages that succeeded are kept: fixing w rebuilds only w, a, c.
    h.engine.fail.clear()
    h.engine.solves.clear()
    h.build(*ALL, keep_going=True)
    assert sorted(h.engine.solves) == ["a", "c", "w"]


def test_failure_report_names_step_and_log(harness: Make) -> None:
    from jc_build.execution import failure_report

    h = harness(fail={"b"})
    report = h.build("//b")
    (run,) = report.failed
    text = failure_report(run)
    assert "FAILED //b:b" in text
    assert "failing step: [2/2] RUN echo stage=b: exit code: 1" in text
    assert run.log_path is not None and run.log_path.read_text().startswith("#1 [1/2] FROM")
    assert f"full log: {run.log_path}" in text


def test_image_gone_rebuilds_only_that_stage(harness: Make) -> None:
    h = harness()
    first = h.build("//c")
    gone = first.runs[_key(first, "//c:c")].result
    assert gone is not None and gone.image_id
    h.engine.images.discard(gone.image_id)
    h.engine.solves.clear()
    report = h.build("//c")
    assert h.engine.solves == ["c"]
    assert next(e.reason for e in report.events if e.label == "//c:c") == "image gone"


def test_cached_wheel_does_not_need_its_builder(harness: Make) -> None:
    h = harness()
    first = h.build("//w:wheel")
    base = first.runs[_key(first, "//base:base")].result
    assert base is not None and base.image_id
    h.engine.images.discard(base.image_id)
    h.engine.solves.clear()
    report = h.build("//w:wheel")
    assert h.engine.solves == []
    assert h.outcomes(report) == {"//base:base": "skipped", "//w:wheel": "cached"}


def test_wheels_reach_the_layer_context_and_stay_in_the_cas(harness: Make, tmp_path: Path) -> None:
    from jc_build.execution import fetch_wheels

    h = harness()
    report = h.build("//w:wheel")
    result = report.runs[_key(report, "//w:wheel")].result
    assert result is not None and list(result.outputs) == ["w-1.0-py3-none-any.whl"]
    (path,) = fetch_wheels(result.outputs, h.cache, tmp_path / "dist")
    assert path.read_bytes() == b"wheel w"


def test_tests_run_once_per_image_and_fail_the_stage(harness: Make) -> None:
    h = harness()
    h.build("//a")
    assert len(h.engine.test_runs) == 1
    h.build("//a")
    assert len(h.engine.test_runs) == 1  # passed on this image already

    failing = harness({"pkgs/a/t.sh": "exit 1\n"}, failing_tests=True)
    report = failing.build("//a")
    (run,) = report.failed
    assert "test t.sh of //a:a failed (exit code 1)" in run.error and "assertion failed" in run.error
    assert failing.cache.get_action(run.stage.key) is None


def test_skip_tests_then_tests_run_on_the_cached_image(harness: Make) -> None:
    h = harness()
    h.build("//a", run_tests=False)
    assert h.engine.test_runs == []
    solves = len(h.engine.solves)
    report = h.build("//a")
    assert len(h.engine.solves) == solves and len(h.engine.test_runs) == 1
    assert h.outcomes(report)["//a:a"] == "cached"


def test_event_log_lines(harness: Make, tmp_path: Path) -> None:
    h = harness(fail={"b"})
    log = tmp_path / "events.jsonl"
    h.build(*ALL, keep_going=True, event_log=log)
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert {r["label"] for r in rows} == {"//base:base", "//w:wheel", "//a:a", "//b:b", "//c:c"}
    for row in rows:
        assert {"label", "platform", "key", "kind", "outcome", "duration_s", "solves"} <= row.keys()
        assert row["platform"] == "x86"
    failed = next(r for r in rows if r["outcome"] == "failed")
    assert failed["label"] == "//b:b" and failed["solves"] == 1 and failed["log"].endswith(".log")


def _key(report, label: str) -> str:  # type: ignore[no-untyped-def]
    return next(e.key for e in report.events if e.label == label)
