"""GitHub webhook deliveries: the raw body kept before we answer (the outbox)."""

from django.db import models

from dashboard.domains.models import Domain, Repository
from dashboard.platform.models import OutboxRow, OutboxState


class WebhookDelivery(OutboxRow):
    """One GitHub delivery, unique by X-GitHub-Delivery.

    The raw body is stored byte for byte as received (it is what the signature
    covered), so a replay processes exactly what GitHub sent.
    """

    outbox_task_name = "pipelines.process_delivery"

    # Unique by a constraint (delivery_id_unique), not unique=True: that would
    # also build a varchar_pattern_ops index for LIKE, which no query uses and
    # every delivery paid for.
    delivery_id = models.CharField(max_length=100)
    event = models.CharField(max_length=64)
    action = models.CharField(max_length=64, blank=True)
    hook_id = models.CharField(max_length=32, blank=True)
    # The repository named in the payload, kept even when nobody has mapped it.
    repository_full_name = models.CharField(max_length=140, blank=True)
    repository = models.ForeignKey(
        Repository,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
        db_index=False,  # delivery_repository_idx, mapped deliveries only
    )
    domain = models.ForeignKey(
        Domain,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
        db_index=False,  # delivery_domain_idx leads with it
    )
    body = models.BinaryField()
    body_size = models.PositiveIntegerField(default=0)
    # Only signed deliveries are stored; "sha256" records what was verified.
    signature = models.CharField(max_length=16, default="sha256")
    duplicate_count = models.PositiveIntegerField(default=0)
    last_duplicate_at = models.DateTimeField(null=True, blank=True)
    # Why a delivery was ignored (unmapped repository, event we do not process).
    reason = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    replay_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["delivery_id"], name="delivery_id_unique")
        ]
        # A delivery is stored with no domain or repository (the worker maps
        # it): the indexes of mapped deliveries leave those rows out, so the
        # webhook's INSERT maintains four indexes, not seven.
        indexes = [
            models.Index(
                fields=["domain", "-received_at", "-id"],
                condition=models.Q(domain__isnull=False),
                name="delivery_domain_idx",
            ),
            models.Index(
                fields=["repository"],
                condition=models.Q(repository__isnull=False),
                name="delivery_repository_idx",
            ),
            # The staff ledger of unmapped deliveries (and their hourly rollup).
            models.Index(
                fields=["-received_at", "-id"],
                condition=models.Q(domain__isnull=True),
                name="delivery_unmapped_idx",
            ),
            # The sweeper looks only at rows not yet finished.
            models.Index(
                fields=["enqueued_at"],
                condition=models.Q(
                    state__in=[OutboxState.PENDING, OutboxState.PROCESSING]
                ),
                name="delivery_unfinished_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event}.{self.action or '-'} {self.delivery_id}"

    @property
    def is_duplicate(self) -> bool:
        return self.duplicate_count > 0

    @property
    def can_replay(self) -> bool:
        return self.state in (OutboxState.FAILED, OutboxState.IGNORED)
