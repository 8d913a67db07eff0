"""Pins' own settings: where a repository keeps its pins file, and how many
approvals a domain's pin changes need."""

from django.db import transaction

from dashboard.domains.models import Domain, Repository
from dashboard.domains.services import audit_record
from pipelines.pins.models import PinDomainSettings, PinRepositorySettings
from pipelines.pins.spec import PATH_RE


@transaction.atomic
def pins_path_set(*, repository: Repository, path: str, actor_label: str = "") -> str:
    path = path.strip()
    if not PATH_RE.match(path) or path.endswith("/"):
        raise ValueError(
            f"{path!r} is not a file path inside the repository "
            "(relative, no .., e.g. .controlplane/pins.yaml)."
        )
    settings, _ = PinRepositorySettings.objects.select_for_update().get_or_create(
        repository=repository
    )
    before = settings.path
    settings.path = path
    settings.save()
    audit_record(
        actor=None,
        actor_label=actor_label or "operator",
        action="pins.settings.path",
        domain=repository.domain,
        obj=repository,
        before={"path": before},
        after={"path": path},
    )
    return path


@transaction.atomic
def required_approvals_set(
    *, domain: Domain, approvals: int, actor_label: str = ""
) -> int:
    if not 1 <= approvals <= 10:
        raise ValueError("Approvals must be a whole number from 1 to 10.")
    settings, _ = PinDomainSettings.objects.select_for_update().get_or_create(
        domain=domain
    )
    before = settings.required_approvals
    settings.required_approvals = approvals
    settings.save()
    audit_record(
        actor=None,
        actor_label=actor_label or "operator",
        action="pins.settings.approvals",
        domain=domain,
        obj=domain,
        before={"required_approvals": before},
        after={"required_approvals": approvals},
    )
    return approvals
