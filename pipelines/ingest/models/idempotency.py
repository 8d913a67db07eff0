"""Idempotency keys: the first answer to a POST, replayed for a retry."""

from django.db import models

from dashboard.domains.models import Domain


class IdempotencyRecord(models.Model):
    """The stored answer for (domain, key). The request's hash tells a retry
    (same body: replay) from a mistake (different body: 409)."""

    # uniq_idem_key leads with it.
    domain = models.ForeignKey(
        Domain, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    location = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["domain", "key"], name="uniq_idem_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.status_code}"
