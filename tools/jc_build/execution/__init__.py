"""Execution of build plans: scheduler, stage runner, progress, event log, explanations.

``Executor(engine, cache).build(plans, BuildOptions(...), stream)`` runs the stages of one or
more plans (made with ``EngineBaseImages`` resolving their base image) on the engine, for the
plans' platform, reusing cached results, and returns a ``BuildReport``.
"""

from .base_image import EngineBaseImages
from .estimate import Estimate, comparison, estimate
from .executor import BuildOptions, BuildReport, Executor, failure_report, merged_stages
from .events import EventLog, StageEvent, Summary, read_events
from .scheduler import Scheduler, default_jobs
from .stage_runner import Lookup, StageRun, StageRunner, failing_step
from .wheels import check_wheel, fetch_wheels

__all__ = [
    "BuildOptions",
    "BuildReport",
    "EngineBaseImages",
    "Estimate",
    "EventLog",
    "Executor",
    "Lookup",
    "Scheduler",
    "StageEvent",
    "StageRun",
    "StageRunner",
    "Summary",
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
