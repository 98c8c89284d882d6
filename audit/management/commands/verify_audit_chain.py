"""Check the audit trail's hash chain: exit 0 when intact, 1 with the first break otherwise."""

from django.core.management.base import BaseCommand, CommandError

from audit.services import verify_chain


class Command(BaseCommand):
    help = "Recompute the audit trail's hash chain and report the first changed, missing or misplaced entry."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default", help="The database alias to check.")
        parser.add_argument("--chunk-size", type=int, default=2000, help="Rows read from the database at a time.")

    def handle(self, *args, database, chunk_size, **options):
        report = verify_chain(using=database, chunk_size=chunk_size)
        if not report.intact:
            raise CommandError(
                f"Audit chain broken at {report.first_break.describe()} ({report.entries} entries checked).",
                returncode=1,
            )
        self.stdout.write(f"Audit chain intact: {report.entries} entries")
        if report.last_id is not None:
            self.stdout.write(f"Head: entry {report.last_id}, hash {report.last_hash}", self.style.HTTP_INFO)
