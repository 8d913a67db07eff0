"""CSV exports for a time range, written by a worker; each kind of export (runs,
test results…) is registered by the capability that owns its rows.

The page asks for an export (a row in ExportJob, an outbox table), a Celery task
streams the rows with a server-side cursor into a file under MEDIA_ROOT, and the
page polls the job through htmx until the download link appears. Nothing of the
export runs on the request path, so 10 million rows cost the web server nothing.
"""

import csv
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from celery import shared_task
from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django_htmx.http import HttpResponseStopPolling

from config.tasks import PermanentError, enqueue_on_commit, task_options
from dashboard.board.models import ExportJob
from dashboard.domains import policy
from dashboard.domains.access import domain_view
from dashboard.domains.models import Domain
from dashboard.platform.caching import counter_incr
from dashboard.platform.models import OutboxState
from dashboard.platform.pagination import page_of

logger = logging.getLogger(__name__)

TEMPLATE = "dashboard/exports.html"
MAX_SPAN = timedelta(days=366)
# A running export moves enqueued_at at least this often, so the outbox sweeper
# (OUTBOX_STALE_SECONDS) never mistakes it for a lost one.
HEARTBEAT_SECONDS = 20
HEARTBEAT_ROWS = 2_000  # rows between two looks at the clock
SPREADSHEET_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Exporter:
    """One kind of export, registered by the capability that owns its rows."""

    kind: str
    label: str
    header: list[str]
    # Every row of the export, in a stable order, read in bounded chunks.
    stream: Callable[[ExportJob], Iterator[tuple]]
    # How many rows it will write, for its progress bar (cheap, approximate).
    estimate: Callable[[ExportJob], int]


EXPORTERS: dict[str, Exporter] = {}


def exporter_register(*exporters: Exporter) -> None:
    """Called from an AppConfig.ready(); registering a kind again replaces it."""
    for exporter in exporters:
        EXPORTERS[exporter.kind] = exporter


# --- Selectors and services ------------------------------------------------------------
@transaction.atomic
def export_request(
    *,
    domain: Domain,
    user,
    kind: str,
    since: datetime,
    until: datetime,
    excel_bom: bool,
) -> ExportJob:
    job = ExportJob.objects.create(
        domain=domain,
        requested_by=user if user.is_authenticated else None,
        kind=kind,
        since=since,
        until=until,
        excel_bom=excel_bom,
        enqueued_at=timezone.now(),
        enqueue_count=1,
    )
    job.rows_estimated = EXPORTERS[job.kind].estimate(job)
    job.save(update_fields=["rows_estimated"])
    enqueue_on_commit(export_csv_task, job.pk)
    return job


def export_quota_take(*, user) -> int | None:
    """Count one export request of `user` against EXPORTS_PER_HOUR (per clock
    hour, in Redis). None if allowed, else the seconds until they may ask again.
    Without Redis, the ExportJob rows they requested in the last hour count."""
    limit = settings.EXPORTS_PER_HOUR
    now = timezone.now()
    count = counter_incr("exports.per_user_hour", user.pk, f"{now:%Y%m%d%H}")
    if count is not None:
        if count <= limit:
            return None
        next_hour = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        return max(1, int((next_hour - now).total_seconds()))
    recent = ExportJob.objects.using("default").filter(
        requested_by=user, received_at__gte=now - timedelta(hours=1)
    )
    if recent.count() < limit:
        return None
    oldest = recent.order_by("received_at").values_list("received_at", flat=True)
    return max(1, int((oldest[0] + timedelta(hours=1) - now).total_seconds()))


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, str):
        value = value[:2000]
        if value.startswith(SPREADSHEET_TRIGGERS):
            # A spreadsheet would run it as a formula: keep it text.
            return "'" + value
    return value


def export_path(job: ExportJob) -> Path:
    return Path(settings.MEDIA_ROOT) / "exports" / str(job.domain_id) / job.file_name


def export_write(*, export_id: int) -> ExportJob | None:
    """Write the export's CSV; idempotent (a finished export is left alone, a
    running one is not started twice)."""
    stale = timezone.now() - timedelta(seconds=HEARTBEAT_SECONDS * 3)
    claimed = (
        ExportJob.objects.filter(pk=export_id)
        .filter(
            Q(state=OutboxState.PENDING)
            | Q(state=OutboxState.PROCESSING, enqueued_at__lt=stale)
        )
        .update(state=OutboxState.PROCESSING, enqueued_at=timezone.now())
    )
    if not claimed:
        return None
    job = ExportJob.objects.select_related("domain").get(pk=export_id)
    job.file_name = f"{job.domain.slug}-{job.kind}-{job.since:%Y%m%d}-{job.until:%Y%m%d}-{job.pk}.csv"
    path = export_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    exporter = EXPORTERS[job.kind]
    written = 0
    last_beat = timezone.now()
    try:
        with open(partial, "w", encoding="utf-8", newline="") as fh:
            if job.excel_bom:
                fh.write("\ufeff")
            writer = csv.writer(fh)
            writer.writerow(exporter.header)
            for row in exporter.stream(job):
                writer.writerow([_cell(v) for v in row])
                written += 1
                if written % HEARTBEAT_ROWS == 0:
                    now = timezone.now()
                    if (now - last_beat).total_seconds() >= 1:
                        ExportJob.objects.filter(pk=job.pk).update(
                            rows_written=written, enqueued_at=now
                        )
                        last_beat = now
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job.pk).update(
            state=OutboxState.FAILED, error=str(exc)[:1000]
        )
        raise PermanentError(f"export {job.pk} could not be written: {exc}") from exc
    ExportJob.objects.filter(pk=job.pk).update(
        state=OutboxState.DONE,
        rows_written=written,
        file_name=job.file_name,
        processed_at=timezone.now(),
        error="",
    )
    logger.info("export written", extra={"export_id": job.pk, "rows": written})
    job.refresh_from_db()
    return job


@shared_task(name="dashboard.export_csv", **task_options(max_retries=3))
def export_csv_task(self, export_id: int) -> None:
    export_write(export_id=export_id)


# --- Views -------------------------------------------------------------------------------
def _export_kinds() -> list[tuple[str, str]]:
    return [(e.kind, e.label) for e in EXPORTERS.values()]


class ExportForm(forms.Form):
    kind = forms.ChoiceField(choices=_export_kinds, label="What")
    since = forms.DateField(label="From (UTC, inclusive)")
    until = forms.DateField(label="To (UTC, inclusive)")
    excel_bom = forms.BooleanField(
        required=False, label="For spreadsheets (UTF-8 with BOM)"
    )

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until:
            if until < since:
                raise forms.ValidationError("“To” is before “From”.")
            if until - since > MAX_SPAN:
                raise forms.ValidationError("Export at most one year at a time.")
            data["since_at"] = datetime.combine(since, time.min, tzinfo=UTC)
            data["until_at"] = datetime.combine(
                until + timedelta(days=1), time.min, tzinfo=UTC
            )
        return data


@domain_view(policy.Action.BROWSE)
def export_list(request: HttpRequest, domain: Domain) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = ExportForm(request.POST)
        retry_after = export_quota_take(user=request.user) if form.is_valid() else None
        if retry_after is not None:
            minutes = -(-retry_after // 60)
            messages.error(
                request,
                f"You have asked for {settings.EXPORTS_PER_HOUR} exports this hour, "
                f"the most allowed. Try again in {minutes} minute"
                f"{'s' if minutes != 1 else ''}; earlier exports stay below.",
            )
            status = 429
        elif form.is_valid():
            job = export_request(
                domain=domain,
                user=request.user,
                kind=form.cleaned_data["kind"],
                since=form.cleaned_data["since_at"],
                until=form.cleaned_data["until_at"],
                excel_bom=form.cleaned_data["excel_bom"],
            )
            return redirect("dash:export-detail", slug=domain.slug, pk=job.pk)
        else:
            status = 422
    else:
        today = timezone.now().date()
        form = ExportForm(
            initial={
                "kind": next(iter(EXPORTERS), ""),
                "since": today - timedelta(days=7),
                "until": today,
            }
        )
    page = page_of(
        request,
        ExportJob.objects.filter(domain=domain),
        ordering=("-received_at", "-id"),
        page_size=20,
    )
    response = render(
        request,
        TEMPLATE,
        {"domain": domain, "form": form, "page": page},
        status=status,
    )
    if status == 429:
        response["Retry-After"] = str(retry_after)
    return response


@domain_view(policy.Action.BROWSE)
def export_detail(request: HttpRequest, domain: Domain, pk: int) -> HttpResponse:
    job = get_object_or_404(ExportJob, domain=domain, pk=pk)
    context = {"domain": domain, "job": job}
    if request.htmx:
        finished = job.state in (OutboxState.DONE, OutboxState.FAILED)
        response = render(request, f"{TEMPLATE}#progress", context)
        if finished:
            # Same content, but htmx stops asking.
            stop = HttpResponseStopPolling(response.content)
            return stop
        return response
    return render(request, "dashboard/export_detail.html", context)


@domain_view(policy.Action.BROWSE)
def export_download(request: HttpRequest, domain: Domain, pk: int) -> HttpResponse:
    job = get_object_or_404(ExportJob, domain=domain, pk=pk, state=OutboxState.DONE)
    path = export_path(job)
    if not job.file_name or not path.is_file():
        raise Http404("The export file is gone; request it again.")
    return FileResponse(
        open(path, "rb"),
        as_attachment=True,
        filename=job.file_name,
        content_type="text/csv; charset=utf-8",
    )
