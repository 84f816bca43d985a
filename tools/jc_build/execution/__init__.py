"""Execution of build plans: scheduler, stage runner, progress, event log, explanations.

``Executor(engine, cache, platform).build(plans, BuildOptions(...), stream)`` runs the stages
of one or more plans on the engine, reusing cached results, and returns a ``BuildReport``.
"""

from .build import BuildOptions, BuildReport, Executor, base_digests, failure_report, merged_stages
from .estimate import Estimate, comparison, estimate
from .events import EventLog, StageEvent, Summary, read_events
from .scheduler import Scheduler, default_jobs
from .stage_runner import Lookup, StageRun, StageRunner, failing_step
from .wheels import check_wheel, fetch_wheels

__all__ = [
    "BuildOptions",
    "BuildReport",
    "Estimate",
    "EventLog",
    "Executor",
    "Lookup",
    "Scheduler",
    "StageEvent",
    "StageRun",
    "StageRunner",
    "Summary",
    "base_digests",
    "check_wheel",
    "comparison",
    "default_jobs",
    "estimate",
    "failing_step",
    "failure_report",
    "fetch_wheels",
    "merged_stages",
    "read_events",
]
