"""python manage.py drift_snapshot --dsn-env VAR [--schema public]
[--target NAME --repository OWNER/NAME --commit SHA]"""

import json
import os

import psycopg
from django.core.management.base import BaseCommand, CommandError

from pipelines.drift.introspect import connect_read_only, scrub, snapshot_document


class Command(BaseCommand):
    help = (
        "Print a snapshot of a PostgreSQL schema as JSON: the body of POST "
        "/api/v1/schema/snapshots (with --target/--repository/--commit), else just "
        "its entities. Reads the catalogs only, in a read-only transaction. The "
        "DSN is read from the environment variable named by --dsn-env."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dsn-env", required=True, metavar="VAR")
        parser.add_argument("--schema", default="public")
        parser.add_argument("--target", default="")
        parser.add_argument("--repository", default="")
        parser.add_argument("--commit", default="")
        parser.add_argument("--timeout-ms", type=int, default=15_000)

    def handle(
        self, *args, dsn_env, schema, target, repository, commit, timeout_ms, **options
    ) -> None:
        dsn = os.environ.get(dsn_env, "")
        if not dsn:
            raise CommandError(f"The environment variable {dsn_env} is not set.")
        try:
            with connect_read_only(dsn, timeout_ms=timeout_ms) as conn:
                document = snapshot_document(conn, schema)
        except psycopg.Error as exc:
            raise CommandError("Could not read the schema: " + scrub(str(exc), dsn))
        if target:
            document = {
                "repository": repository,
                "commit_sha": commit,
                "target": target,
                **document,
            }
        self.stdout.write(json.dumps(document, indent=2, ensure_ascii=False))
