"""The runs page's rows as HTML: fifty rows through the template language cost
several milliseconds (about twenty variable lookups a row), and format_html()
about four (each value goes through Django's lazy-aware escaping). Built here
from the rows' values with the standard library's html.escape (what Django's
escape() calls), the same markup costs well under one. The page's template
keeps everything else (the loop's empty state, the "Older" link);
tests/pipelines/test_pages.py holds the markup to what the template made."""

import functools
from html import escape

from django.utils.safestring import SafeString

from dashboard.platform.links import RowLink
from dashboard.templatetags.glance import badge, human_duration, when
from pipelines.ingest.models import RunStatus

_STATUS_LABELS = dict(RunStatus.choices)


def run_rows_html(runs, *, run_link: RowLink, commit_link: RowLink) -> SafeString:
    """`runs`: rows of selectors.runs_of() (dicts of RUN_LIST_FIELDS and id)."""
    html = "\n".join(_row(run, run_link, commit_link) for run in runs)
    return SafeString(html)  # nosec B703 # every value escaped in _row()


def _row(run: dict, run_link: RowLink, commit_link: RowLink) -> str:
    pk, attempt, pull = run["id"], run["attempt"], run["pull_request_number"]
    sha, started, completed = run["head_sha"], run["started_at"], run["completed_at"]
    name = escape(run["workflow"] or run["provider"])
    number = escape(str(run["run_number"] or run["external_id"]))
    attempt = f' <span class="muted">attempt {attempt}</span>' if attempt > 1 else ""
    pull = f' <span class="muted">PR #{pull}</span>' if pull else ""
    commit = _commit(sha, commit_link) if sha else "—"
    seconds = (completed - started).total_seconds() if completed and started else None
    return (
        f'<tr data-run="{pk}">\n'
        f'    <td><a href="{escape(run_link.at(pk))}">{name} #{number}</a>{attempt}</td>\n'
        f"    <td>{escape(run['repository__full_name'])}</td>\n"
        f"    <td>{escape(run['branch'] or '—')}{pull}</td>\n"
        f"    <td>{commit}</td>\n"
        f"    <td>{_state(run['conclusion'], run['status'])}</td>\n"
        f"    <td>{when(started)}</td>\n"
        f"    <td>{human_duration(seconds)}</td>\n"
        "  </tr>"
    )


def _commit(sha: str, commit_link: RowLink) -> str:
    shown = sha if len(sha) <= 8 else f"{sha[:7]}…"
    return f'<a href="{escape(commit_link.at(sha))}"><code>{escape(shown)}</code></a>'


@functools.lru_cache(maxsize=256)
def _state(conclusion: str, status: str) -> str:
    """The run's badge: its conclusion once it has one, else its status (a
    handful of distinct pairs: made once each)."""
    if conclusion:
        return badge(conclusion)
    return badge(status, _STATUS_LABELS.get(status, status))
