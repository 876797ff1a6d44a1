"""Background work of the evaluations app; thin wrappers over the services."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from sqms.evaluations import services


@db_task()
def evaluate_run(run_id: int) -> dict[str, int]:
    """Compute a queued evaluation run (the run page shows its progress)."""
    run = services.run_compute(run_id)
    return {"scorecards": run.total}
