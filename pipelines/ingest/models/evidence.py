"""What CI reports about one commit that the gates judge: the fields every such
report shares (performance samples, query plans)."""

from django.db import models


class CommitEvidence(models.Model):
    """One measurement of a commit, keyed by a natural key its subclass declares;
    a CI re-run reports it again and replaces it rather than counting twice."""

    service = models.CharField(max_length=50, blank=True)
    commit_sha = models.CharField(max_length=64)
    branch = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]
