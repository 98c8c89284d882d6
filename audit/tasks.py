import logging

from celery import shared_task

from .services import verify_chain

logger = logging.getLogger(__name__)


@shared_task
def verify_audit_chain_task() -> dict:
    """Check the audit trail's hash chain; an ERROR names the first break (entry ids only)."""
    report = verify_chain()
    if report.intact:
        # The head hash, kept in the logs, lets a later check notice a rewritten or truncated tail.
        logger.info(
            "Audit chain intact: %s entries, head entry %s hash %s", report.entries, report.last_id, report.last_hash
        )
    else:
        failure = report.first_break
        logger.error(
            "Audit chain broken at entry %s (%s); last intact entry %s",
            failure.entry_id,
            failure.problem,
            failure.previous_id,
        )
    return {
        "intact": report.intact,
        "entries": report.entries,
        "break_id": None if report.intact else report.first_break.entry_id,
        "problem": None if report.intact else report.first_break.problem,
    }
