"""Several builders for one graph (--builders), with fake daemons that share one image store (the
exchange through the remote cache is the e2e test's): spread, each stage built once, rescheduling."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from execution_helpers import FakeEngine, Harness

from jc_build.execution import read_events

Make = Callable[..., Harness]
ALL = ("//c", "//b")


def _twin(of: FakeEngine, host: str, **kw: object) -> FakeEngine:
    """A second daemon seeing the same images (as pulls from the remote cache would make it)."""
    return FakeEngine(delay=of.delay, host=host, images=of.images, tags=of.tags, **kw)  # type: ignore[arg-type]


def test_independent_stages_spread_over_builders_each_built_once(harness: Make, tmp_path: Path) -> None:
    h = harness(delay=0.2, host="unix:///a.sock")
    other = _twin(h.engine, "ssh://jetson2")
    log = tmp_path / "events.jsonl"
    report = h.build(*ALL, jobs=1, builders=[h.engine, other], event_log=log)
    assert not report.failed
    built = [e for e in read_events(log) if e.outcome == "built"]
    assert Counter(e.key for e in built) == Counter({e.key: 1 for e in built}) and len(built) == 5
    assert sorted(h.engine.solves + other.solves) == ["a", "b", "base", "c", "w"]
    assert h.engine.solves and other.solves  # w and b are independent: one on each with jobs=1
    assert {e.builder for e in built} == {"unix:///a.sock", "ssh://jetson2"}


def test_a_builder_that_disappears_has_its_stages_rescheduled(harness: Make, tmp_path: Path) -> None:
    h = harness(delay=0.2, host="unix:///a.sock")
    dying = _twin(h.engine, "tcp://b:2375", dies_after=0)  # gone before its first stage
    log = tmp_path / "events.jsonl"
    report = h.build(*ALL, jobs=1, builders=[h.engine, dying], event_log=log)
    assert not report.failed, [r.error for r in report.failed]
    events = read_events(log)
    assert [e.outcome for e in events].count("built") == 5 and "failed" not in {e.outcome for e in events}
    assert dying.solves == [] and sorted(h.engine.solves) == ["a", "b", "base", "c", "w"]
    assert {e.builder for e in events if e.outcome == "built"} == {"unix:///a.sock"}


def test_a_real_failure_is_not_rescheduled(harness: Make) -> None:
    h = harness(delay=0.05, fail={"b"}, host="unix:///a.sock")
    other = _twin(h.engine, "unix:///b.sock", fail={"b"})
    report = h.build(*ALL, jobs=1, builders=[h.engine, other])
    (failed,) = report.failed
    assert str(failed.stage.label) == "//b:b"
    assert (h.engine.solves + other.solves).count("b") == 1  # both daemons answer: not retried elsewhere
