"""Platform tables: the outbox base class every accepted-then-processed row
extends, and the dead letters of tasks whose attempts were spent."""

from django.db import models


class DeadLetter(models.Model):
    """A task whose attempts were spent, kept with what is needed to replay it."""

    task_name = models.CharField(max_length=200)
    task_id = models.CharField(max_length=64, blank=True)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    error = models.TextField()
    traceback = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=1)
    request_id = models.CharField(max_length=128, blank=True)
    domain = models.ForeignKey(
        "dashboard.Domain",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dead_letters",
    )
    failed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    replayed_at = models.DateTimeField(null=True, blank=True)
    replay_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-failed_at", "-id"]
        indexes = [
            models.Index(
                fields=["domain"],
                condition=models.Q(replayed_at__isnull=True),
                name="deadletter_waiting_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_name} {self.task_id} ({self.error[:60]})"


class OutboxState(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    IGNORED = "ignored", "Ignored"


class OutboxRow(models.Model):
    """Base for rows accepted over HTTP and processed later by a task.

    Subclasses set `outbox_task_name`. The sweeper (dashboard.sweep_outbox)
    re-enqueues rows still pending OUTBOX_STALE_SECONDS after they were last
    enqueued, so nothing accepted is lost when the broker or a worker was down.
    """

    outbox_task_name: str = ""

    state = models.CharField(
        max_length=16, choices=OutboxState.choices, default=OutboxState.PENDING
    )
    received_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    enqueue_count = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    request_id = models.CharField(max_length=128, blank=True)

    class Meta:
        abstract = True
