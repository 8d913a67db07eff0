"""Demo schema drift for `python manage.py load_demo`: the payments domain's
database as a snapshot, and an entity graph that moved on from it."""

from django.db import transaction

from dashboard.domains.models import Domain
from pipelines.drift.services import documents

DEMO_LIVE = {
    "entities": [
        {
            "name": "payments",
            "fields": [
                {"name": "id", "type": "bigint", "primary_key": True},
                {"name": "amount", "type": "numeric(12,2)"},
                {"name": "currency", "type": "char(3)", "default": "EUR"},
                {"name": "memo", "type": "text", "nullable": True},
                {"name": "legacy_ref", "type": "varchar(40)", "nullable": True},
            ],
        }
    ]
}
DEMO_GRAPH = {
    "entities": [
        {
            "name": "payments",
            "fields": [
                {"name": "id", "type": "bigint", "primary_key": True},
                {"name": "amount", "type": "numeric(12,2)"},
                {"name": "currency", "type": "char(3)", "default": "EUR"},
                {"name": "memo", "type": "text"},
                {"name": "reference", "type": "varchar(40)", "nullable": True},
                {"name": "created_at", "type": "timestamptz", "default": "now()"},
            ],
            "indexes": [{"name": "payments_created_at_idx", "fields": ["created_at"]}],
        },
        {
            "name": "refunds",
            "fields": [
                {"name": "id", "type": "bigint", "primary_key": True},
                {"name": "payment_id", "type": "bigint"},
                {"name": "reason", "type": "text", "default": ""},
            ],
            "foreign_keys": [
                {
                    "fields": ["payment_id"],
                    "references": {"entity": "payments", "fields": ["id"]},
                }
            ],
        },
    ]
}


def load(sender: object = None, **_: object) -> None:
    """Receiver of dashboard.signals.demo_loaded (connected in pipelines/apps.py)."""
    payments = Domain.objects.filter(slug="payments").first()
    repository = payments.repositories.first() if payments is not None else None
    if repository is None:
        return
    with transaction.atomic():
        target = documents.target_of(payments, "payments-db") or (
            documents.schema_target_add(
                domain=payments, name="payments-db", actor_label="demo"
            )
        )
        for source, document, sha in (
            ("snapshot", DEMO_LIVE, "d" * 40),
            ("graph", DEMO_GRAPH, "e" * 40),
        ):
            documents.schema_document_record(
                target=target,
                source=source,
                document=document,
                repository=repository,
                commit_sha=sha,
            )
