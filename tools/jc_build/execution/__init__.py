"""Execution of build plans: scheduler, stage runner, progress, event log, explanations.

``Executor(engine, cache).build(plans, BuildOptions(...), stream)`` runs the stages of one or
more plans (made with ``EngineBaseImages`` resolving their base image) on the engine, for the
plans' platform, reusing cached results, and returns a ``BuildReport``.
"""

from ..lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {
    ".base_image": ("EngineBaseImages",),
    ".estimate": ("Estimate", "comparison"),  # not `estimate`: the submodule's own name
    ".executor": ("BuildOptions", "BuildReport", "Executor", "failure_report", "merged_stages"),
    ".events": ("EventLog", "StageEvent", "Summary", "read_events"),
    ".scheduler": ("Scheduler", "default_jobs"),
    ".stage_runner": ("Lookup", "StageRun", "StageRunner", "failing_step"),
    ".wheels": ("check_wheel", "fetch_wheels"),
})

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
    "failing_step",
    "failure_report",
    "fetch_wheels",
    "merged_stages",
    "read_events",
]
