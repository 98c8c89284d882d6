from celery import shared_task

from . import services


@shared_task(acks_late=True)
def purge_past_retention_task() -> dict:
    """Daily: destroy what is past its retention period. Safe to run twice: the second run finds nothing."""
    report = services.purge_past_retention()
    return {"run": str(report.run_id), "destroyed": report.destroyed, "kept_under_hold": report.kept_under_hold}
