"""Hourly rollups: the machinery every capability's rollups share.

A capability registers a `Source` (raw model, time field, rollup model, the
fields to read, and a fold from raw rows to rollup rows) in its AppConfig.ready();
see pipelines/ingest/rollups.py. The one primitive is `rollup_rebuild(source,
domain_id, since, until)`: read the raw rows of that domain in that range once
(on the domain/time index), fold them per key and hour in Python, and replace the
rollup rows of the range in one transaction. On PostgreSQL a source that gives
its fold as SQL (`select_sql`) is folded inside the database instead: one
`DELETE` and one `INSERT … SELECT … GROUP BY`, no row crosses into Python (a
full rebuild is one statement per source for every domain at once). The refresher (`rollups_refresh`, a
Celery beat task) finds which hours changed — new rows by primary key above a
watermark, plus a recent window for rows that were updated (a run completing, a
duplicate delivery) — and rebuilds only those. `manage.py rebuild_rollups`
rebuilds everything.
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import shared_task
from django.db import connections, models, transaction
from django.utils import timezone

from config.tasks import enqueue_on_commit, task_options
from dashboard.board.models import RollupWatermark
from dashboard.board.panels import panels_invalidate
from dashboard.domains.models import Domain, Repository
from dashboard.platform.caching import cache_add, invalidate

logger = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
# Rows updated after they were first counted are almost always recent: GitHub
# stops a job after six hours. The refresher rebuilds this window every time.
RECENT_WINDOW = timedelta(hours=7)
NEW_ROWS_BATCH = 50_000
UPDATE_SLACK = timedelta(minutes=5)


def floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Source:
    """One raw table folded into one rollup table, per domain and hour."""

    name: str
    model: type[models.Model]
    time_field: str
    rollup: type[models.Model]
    fields: tuple[str, ...]
    fold: Callable[[int | None, Iterable[tuple]], list[models.Model]]
    # Rows of no domain (unmapped webhook deliveries) are rolled up too.
    with_unmapped: bool = False
    # A field stamped on every change (auto_now), with an index of its own: rows
    # changed since the last refresh are folded again even when their hour is
    # older than RECENT_WINDOW (a run that completes a day after it started).
    updated_field: str = ""
    # The same fold as one SELECT (PostgreSQL), yielding `select_columns` of the
    # rollup table per key and hour, from the raw rows that pass `{scope}` (a
    # condition on domain_id) and `{window}` (on time_field: in [%(since)s,
    # %(until)s), or TRUE for all time). Empty: the Python fold only.
    select_sql: str = ""
    select_columns: tuple[str, ...] = ()
    # A coarser rollup kept from this one's rows (the CI rollup per day), called
    # after every rebuild inside its transaction, so readers never see the two
    # disagree: derived(domain_id=…, since=…, until=…) for one domain's hours,
    # derived(domain_id=None, since=None, until=None) for everything. Returns
    # the number of rows it wrote.
    derived: Callable[..., int] | None = None


SOURCES: dict[str, Source] = {}


def source_register(source: Source) -> None:
    """Called from an AppConfig.ready(); registering the same name again replaces it."""
    SOURCES[source.name] = source


# --- Rebuild and refresh --------------------------------------------------------------
def rollup_rebuild(
    *, source: Source, domain_id: int | None, since: datetime, until: datetime
) -> int:
    """Replace the rollup rows of one domain in [since, until) (hour-aligned),
    and the derived rollup's rows that cover them."""
    since, until = (
        floor_hour(since),
        floor_hour(until - timedelta(microseconds=1)) + HOUR,
    )
    if source.derived is None:
        return _hours_rebuild(source, domain_id, since, until)
    with transaction.atomic(using="default"):
        count = _hours_rebuild(source, domain_id, since, until)
        source.derived(domain_id=domain_id, since=since, until=until)
    return count


def _hours_rebuild(
    source: Source, domain_id: int | None, since: datetime, until: datetime
) -> int:
    if _folds_in_sql(source):
        scope = "domain_id IS NULL" if domain_id is None else "domain_id = %(domain)s"
        return _rebuild_in_sql(
            source,
            scope=scope,
            params={"domain": domain_id, "since": since, "until": until},
        )
    raw = source.model.objects.using("default").filter(
        **{f"{source.time_field}__gte": since, f"{source.time_field}__lt": until}
    )
    raw = (
        raw.filter(domain__isnull=True)
        if domain_id is None
        else raw.filter(domain_id=domain_id)
    )
    rows = raw.order_by().values_list(*source.fields).iterator(chunk_size=10_000)
    built = source.fold(domain_id, rows)
    with transaction.atomic(using="default"):
        existing = source.rollup.objects.using("default").filter(
            hour__gte=since, hour__lt=until
        )
        existing = (
            existing.filter(domain__isnull=True)
            if domain_id is None
            else existing.filter(domain_id=domain_id)
        )
        existing.delete()
        source.rollup.objects.using("default").bulk_create(built, batch_size=2_000)
    return len(built)


def _folds_in_sql(source: Source) -> bool:
    return bool(source.select_sql) and connections["default"].vendor == "postgresql"


def _rebuild_in_sql(source: Source, *, scope: str, params: dict) -> int:
    """DELETE the rollup rows in scope (and range, when bounded) and INSERT the
    fold of the raw rows in scope, in one transaction: the rows never leave
    PostgreSQL. `scope` is a condition on domain_id, shared by both tables."""
    bounded = "since" in params
    rollup = source.rollup._meta.db_table
    # Table names and fixed conditions only:
    delete = f"DELETE FROM {rollup} WHERE {scope}"  # noqa: S608  # nosec B608
    if bounded:
        delete += " AND hour >= %(since)s AND hour < %(until)s"
    window = (
        f"{source.time_field} >= %(since)s AND {source.time_field} < %(until)s"
        if bounded
        else "TRUE"
    )
    select = source.select_sql.format(scope=scope, window=window)
    columns = ", ".join(source.select_columns)
    insert = f"INSERT INTO {rollup} ({columns}) {select}"  # nosec B608
    with (
        transaction.atomic(using="default"),
        connections["default"].cursor() as cursor,
    ):
        cursor.execute(delete, params)
        cursor.execute(insert, params)
        return max(cursor.rowcount, 0)


def _ranges(hours: set[datetime]) -> list[tuple[datetime, datetime]]:
    """Contiguous [start, end) ranges covering the given hours."""
    ranges: list[tuple[datetime, datetime]] = []
    for hour in sorted(hours):
        if ranges and ranges[-1][1] == hour:
            ranges[-1] = (ranges[-1][0], hour + HOUR)
        else:
            ranges.append((hour, hour + HOUR))
    return ranges


def rollups_refresh(*, now: datetime | None = None) -> dict[str, int]:
    """Fold what changed since the last refresh into the rollups; returns the number
    of rollup rows rebuilt per source. Safe to run concurrently: the watermark row
    is locked, so a second refresher waits instead of double-counting."""
    now = now or timezone.now()
    rebuilt: dict[str, int] = {}
    domain_ids = list(Domain.objects.using("default").values_list("id", flat=True))
    for source in SOURCES.values():
        with transaction.atomic(using="default"):
            mark, _ = RollupWatermark.objects.using("default").get_or_create(
                name=source.name
            )
            mark = (
                RollupWatermark.objects.using("default")
                .select_for_update()
                .get(pk=mark.pk)
            )
            touched: dict[int | None, set[datetime]] = defaultdict(set)
            new_rows = list(
                source.model.objects.using("default")
                .filter(pk__gt=mark.last_id)
                .order_by("pk")
                .values_list("pk", "domain_id", source.time_field)[:NEW_ROWS_BATCH]
            )
            for _pk, domain_id, moment in new_rows:
                touched[domain_id].add(floor_hour(moment))
            if source.updated_field and mark.refreshed_at:
                # A little before the last refresh: a transaction stamps the
                # row before it commits.
                changed_since = mark.refreshed_at - UPDATE_SLACK
                for domain_id, moment in (
                    source.model.objects.using("default")
                    .filter(**{f"{source.updated_field}__gte": changed_since})
                    .order_by()
                    .values_list("domain_id", source.time_field)[:NEW_ROWS_BATCH]
                ):
                    touched[domain_id].add(floor_hour(moment))
            recent_start = floor_hour(now - RECENT_WINDOW)
            recent = {recent_start + i * HOUR for i in range(8)}
            for domain_id in (
                [*domain_ids, None] if source.with_unmapped else domain_ids
            ):
                touched[domain_id] |= recent
            count = 0
            for domain_id, hours in touched.items():
                for start, end in _ranges(hours):
                    count += rollup_rebuild(
                        source=source, domain_id=domain_id, since=start, until=end
                    )
            if new_rows:
                mark.last_id = new_rows[-1][0]
            mark.refreshed_at = now
            mark.save(update_fields=["last_id", "refreshed_at"])
            rebuilt[source.name] = count
    return rebuilt


def rollups_rebuild_all(
    *, domain_ids: list[int | None] | None = None
) -> dict[str, int]:
    """Rebuild every rollup from the raw tables (after a bulk load or a bug fix).
    On PostgreSQL, every domain of a source at once is one statement."""
    from django.db.models import Max, Min

    result: dict[str, int] = {}
    ids = (
        domain_ids
        if domain_ids is not None
        else [*Domain.objects.using("default").values_list("id", flat=True), None]
    )
    for source in SOURCES.values():
        raw = source.model.objects.using("default")
        if _folds_in_sql(source) and domain_ids is None:
            # Top first: a row that arrives during the rebuild is folded in by
            # it or by the next refresh (its id is above the watermark).
            top = raw.aggregate(top=Max("pk"))["top"]
            scope = "TRUE" if source.with_unmapped else "domain_id IS NOT NULL"
            with transaction.atomic(using="default"):
                count = _rebuild_in_sql(source, scope=scope, params={})
                if source.derived is not None:
                    source.derived(domain_id=None, since=None, until=None)
            bounds = {"top": top}
        else:
            bounds = raw.aggregate(
                first=Min(source.time_field),
                last=Max(source.time_field),
                top=Max("pk"),
            )
            count = 0
            if bounds["first"] is not None:
                for domain_id in ids:
                    if domain_id is None and not source.with_unmapped:
                        continue
                    count += rollup_rebuild(
                        source=source,
                        domain_id=domain_id,
                        since=bounds["first"],
                        until=bounds["last"] + HOUR,
                    )
        RollupWatermark.objects.using("default").update_or_create(
            name=source.name,
            defaults={"last_id": bounds["top"] or 0, "refreshed_at": timezone.now()},
        )
        result[source.name] = count
        logger.info("rollup rebuilt", extra={"source": source.name, "rows": count})
    return result


def rollups_touch(*, domain_id: int, now: datetime | None = None) -> int:
    """Rebuild one domain's recent hours of every rollup at once, and drop its
    cached panels, so evidence ingested a moment ago shows within seconds instead
    of after the next refresh plus the panel TTL. Takes each source's watermark
    lock, so it never races the refresher."""
    now = now or timezone.now()
    invalidate("rollups.touch_pending", domain_id)  # changes from here on ask again
    count = 0
    for source in SOURCES.values():
        with transaction.atomic(using="default"):
            RollupWatermark.objects.using("default").get_or_create(name=source.name)
            RollupWatermark.objects.using("default").select_for_update().get(
                name=source.name
            )
            count += rollup_rebuild(
                source=source,
                domain_id=domain_id,
                since=now - RECENT_WINDOW,
                until=floor_hour(now) + HOUR,
            )
    transaction.on_commit(lambda: panels_invalidate(domain_id), using="default")
    return count


def rollups_touch_request(*, repository_id: int) -> None:
    """Ask for a touch of the repository's domain after this transaction commits;
    one pending request per domain at a time (a burst of runs costs one rebuild)."""
    domain_id = (
        Repository.objects.using("default")
        .filter(pk=repository_id)
        .values_list("domain_id", flat=True)
        .first()
    )
    if domain_id is None:
        return
    if cache_add("rollups.touch_pending", domain_id):
        enqueue_on_commit("dashboard.touch_rollups", domain_id)


@shared_task(name="dashboard.refresh_rollups", **task_options(max_retries=0))
def refresh_rollups_task(self) -> dict[str, int]:
    return rollups_refresh()


@shared_task(name="dashboard.touch_rollups", **task_options(max_retries=0))
def touch_rollups_task(self, domain_id: int) -> int:
    return rollups_touch(domain_id=domain_id)
