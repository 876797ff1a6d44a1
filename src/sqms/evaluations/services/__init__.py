"""Every write of the evaluations app (a package: schemes, runs, workflow)."""

from sqms.evaluations.services.runs import (
    fact_from_json,
    facts_from_json,
    run_compute,
    run_derive,
    run_recompute_check,
    run_rederive,
    run_start,
    scorecard_rescore,
)
from sqms.evaluations.services.schemes import (
    scheme_build,
    scheme_problems,
    scheme_save,
    scheme_version_activate,
)
from sqms.evaluations.services.workflow import (
    appeal_days,
    appeal_decide,
    appeal_file,
    run_advance,
    run_approve,
    run_open_appeals,
    run_publish,
    run_review,
    scorecard_manual_set,
)

__all__ = [
    "appeal_days",
    "appeal_decide",
    "appeal_file",
    "fact_from_json",
    "facts_from_json",
    "run_advance",
    "run_approve",
    "run_compute",
    "run_derive",
    "run_open_appeals",
    "run_publish",
    "run_recompute_check",
    "run_rederive",
    "run_review",
    "run_start",
    "scheme_build",
    "scheme_problems",
    "scheme_save",
    "scheme_version_activate",
    "scorecard_manual_set",
    "scorecard_rescore",
]
