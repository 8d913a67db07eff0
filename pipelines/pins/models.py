"""Pins' tables: per-repository and per-domain settings, immutable pin
versions, the current pins of each repository, proposals with their per-pin
changes and reviews, and rollouts with their events."""

from django.conf import settings
from django.db import models
from django.urls import reverse

from dashboard.domains.models import Domain, Repository
from pipelines.pins.spec import DEFAULT_PATH


class PinRepositorySettings(models.Model):
    """Where a repository keeps its pins file (default .controlplane/pins.yaml)."""

    repository = models.OneToOneField(
        Repository, on_delete=models.CASCADE, related_name="pin_settings"
    )
    path = models.CharField(max_length=255, default=DEFAULT_PATH)

    def __str__(self) -> str:
        return f"{self.repository_id}: {self.path}"


class PinDomainSettings(models.Model):
    """How many approvals a pin change needs in the domain (a pin may ask more)."""

    domain = models.OneToOneField(
        Domain, on_delete=models.CASCADE, related_name="pin_settings"
    )
    required_approvals = models.PositiveSmallIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.domain_id}: {self.required_approvals}"


class PinKind(models.TextChoices):
    PROMPT = "prompt", "Prompt"
    MODEL = "model", "Model"
    GENERATOR = "generator", "Generator"


class PinVersion(models.Model):
    """One content of one pin: never changed once written. The version is the
    hash of the entry and its prompt file's git blob sha."""

    repository = models.ForeignKey(
        Repository, on_delete=models.CASCADE, related_name="pin_versions"
    )
    pin_id = models.CharField(max_length=100)
    content_hash = models.CharField(max_length=64)
    kind = models.CharField(max_length=10, choices=PinKind.choices)
    model = models.CharField(max_length=250, blank=True)
    prompt_path = models.CharField(max_length=500, blank=True)
    prompt_blob_sha = models.CharField(max_length=40, blank=True)
    prompt_text = models.TextField(blank=True)
    entry = models.JSONField()
    first_seen_sha = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pin_id", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["repository", "pin_id", "content_hash"],
                name="uniq_pin_version",
            )
        ]

    def __str__(self) -> str:
        return f"{self.pin_id}@{self.short}"

    @property
    def short(self) -> str:
        return self.content_hash[:12]


class Pin(models.Model):
    """A pin the default branch holds, and which versions serve it now: the
    stable one, and during a rollout a candidate taking `traffic_pct` %."""

    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="pins")
    repository = models.ForeignKey(
        Repository, on_delete=models.CASCADE, related_name="pins"
    )
    pin_id = models.CharField(max_length=100)
    current = models.ForeignKey(PinVersion, on_delete=models.PROTECT, related_name="+")
    stable = models.ForeignKey(PinVersion, on_delete=models.PROTECT, related_name="+")
    candidate = models.ForeignKey(
        PinVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    traffic_pct = models.PositiveSmallIntegerField(default=0)
    default_sha = models.CharField(max_length=64)
    removed = models.BooleanField(default=False)
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["repository_id", "pin_id"]
        constraints = [
            models.UniqueConstraint(fields=["repository", "pin_id"], name="uniq_pin"),
            models.CheckConstraint(
                condition=models.Q(traffic_pct__lte=100), name="pin_traffic_pct"
            ),
        ]
        indexes = [models.Index(fields=["domain", "pin_id"], name="pin_domain_idx")]

    def __str__(self) -> str:
        return f"{self.repository_id}:{self.pin_id}"


class ProposalState(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    MERGED = "merged", "Merged"
    CLOSED = "closed", "Closed"


class ProposalSource(models.TextChoices):
    PULL_REQUEST = "pull_request", "Pull request"
    HERE = "here", "Proposed here"
    INCIDENT = "incident", "Incident learning"


class Proposal(models.Model):
    """A change of pins: a pull request that touches them, a change proposed
    here (which opens one), or a draft from an incident learning."""

    domain = models.ForeignKey(
        Domain, on_delete=models.CASCADE, related_name="pin_proposals"
    )
    repository = models.ForeignKey(
        Repository,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="pin_proposals",
    )
    source = models.CharField(max_length=20, choices=ProposalSource.choices)
    state = models.CharField(
        max_length=10, choices=ProposalState.choices, default=ProposalState.OPEN
    )
    title = models.CharField(max_length=500)
    rationale = models.TextField(blank=True)
    source_url = models.URLField(max_length=500, blank=True)
    pin_id = models.CharField(max_length=100, blank=True)
    number = models.PositiveIntegerField(null=True, blank=True)
    url = models.URLField(max_length=500, blank=True)
    author = models.CharField(max_length=100, blank=True)  # the PR author's login
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    head_ref = models.CharField(max_length=255, blank=True)
    head_sha = models.CharField(max_length=64, blank=True)
    base_sha = models.CharField(max_length=64, blank=True)
    # What the pins of the head are (a hash over the changed pins' versions):
    # approvals given for another content are stale.
    content_hash = models.CharField(max_length=64, blank=True)
    # A change proposed here: the new entry and prompt text to commit.
    draft = models.JSONField(default=dict, blank=True)
    file_error = models.TextField(blank=True)
    required_approvals = models.PositiveSmallIntegerField(default=1)
    approvals = models.PositiveSmallIntegerField(default=0)
    plan_ok = models.BooleanField(default=False)
    review_state = models.CharField(max_length=8, default="pending")
    review_reason = models.CharField(max_length=500, blank=True)
    open_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["repository", "number"],
                condition=models.Q(number__isnull=False),
                name="uniq_proposal_pull",
            )
        ]
        indexes = [
            models.Index(
                fields=["domain", "state", "-updated_at", "-id"],
                name="proposal_domain_idx",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.number or '—'} {self.title}"[:200]

    def get_absolute_url(self) -> str:
        return reverse(
            "pins:proposal", kwargs={"slug": self.domain.slug, "pk": self.pk}
        )

    @property
    def is_open(self) -> bool:
        return self.state == ProposalState.OPEN


class ProposalPin(models.Model):
    """One pin a proposal changes: before and after, the diffs, risks, plan."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="pins"
    )
    pin_id = models.CharField(max_length=100)
    change = models.CharField(max_length=10)  # added | changed | removed
    before = models.ForeignKey(
        PinVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    after = models.ForeignKey(
        PinVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fields = models.JSONField(default=list)
    prompt_diff = models.TextField(blank=True)
    risks = models.JSONField(default=list)
    plan_problems = models.JSONField(default=list)
    required_approvals = models.PositiveSmallIntegerField(default=1)
    owners = models.JSONField(default=list)

    class Meta:
        ordering = ["pin_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "pin_id"], name="uniq_proposal_pin"
            )
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}:{self.pin_id}"


class ReviewVerdict(models.TextChoices):
    APPROVE = "approve", "Approved"
    REQUEST_CHANGES = "request_changes", "Changes requested"


class Review(models.Model):
    """One review. A reviewer's latest review counts; an approval given for
    another content than the proposal's is stale (dismissed)."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    verdict = models.CharField(max_length=16, choices=ReviewVerdict.choices)
    comment = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64)
    head_sha = models.CharField(max_length=64, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["proposal", "reviewer", "-id"], name="review_idx")
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id} {self.verdict} by {self.reviewer_id}"

    @property
    def stale(self) -> bool:
        return self.dismissed_at is not None


class ProposalEvent(models.Model):
    """The proposal's history: status posted, reviews, opened, merged, closed."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=30)
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.proposal_id} {self.kind}"


class RolloutState(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    ROLLED_BACK = "rolled_back", "Rolled back"
    SUPERSEDED = "superseded", "Superseded"


class Rollout(models.Model):
    """A merged pin change following its stages."""

    domain = models.ForeignKey(
        Domain, on_delete=models.CASCADE, related_name="pin_rollouts"
    )
    pin = models.ForeignKey(Pin, on_delete=models.CASCADE, related_name="rollouts")
    from_version = models.ForeignKey(
        PinVersion, on_delete=models.PROTECT, related_name="+"
    )
    to_version = models.ForeignKey(
        PinVersion, on_delete=models.PROTECT, related_name="+"
    )
    proposal = models.ForeignKey(
        Proposal,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rollouts",
    )
    state = models.CharField(
        max_length=12, choices=RolloutState.choices, default=RolloutState.RUNNING
    )
    stages = models.JSONField()
    stage_index = models.PositiveSmallIntegerField(default=0)
    hold_seconds = models.PositiveIntegerField()
    guard_slo = models.CharField(max_length=150, blank=True)
    max_burn = models.FloatField(null=True, blank=True)
    stage_started_at = models.DateTimeField()
    revert_url = models.URLField(max_length=500, blank=True)
    revert_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state"], name="rollout_state_idx")]

    def __str__(self) -> str:
        return f"{self.pin_id} → {self.to_version_id} ({self.state})"

    @property
    def traffic_pct(self) -> int:
        if self.state != RolloutState.RUNNING:
            return 100 if self.state == RolloutState.DONE else 0
        return self.stages[self.stage_index]


class RolloutEvent(models.Model):
    """What happened to a rollout: started, advanced, held, rolled_back, done."""

    rollout = models.ForeignKey(
        Rollout, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=20)
    traffic_pct = models.PositiveSmallIntegerField()
    burn_rate = models.FloatField(null=True, blank=True)
    text = models.CharField(max_length=500)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.rollout_id} {self.kind} {self.traffic_pct}%"
