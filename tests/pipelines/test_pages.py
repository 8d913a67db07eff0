"""CI pages: runs (filters, cursor pages, htmx rows), a run (jobs, test summary,
failures, gate block), the deliveries ledger and replays; restricted per domain;
query counts constant in the number of rows."""

import pytest

from dashboard.models import OutboxState
from pipelines.models import Outcome, WebhookDelivery
from tests.factories import EDGE_TIMES, DomainFactory, UserFactory, member
from tests.pipelines.factories import (
    JobFactory,
    RunFactory,
    TestReportFactory,
    TestResultFactory,
    WebhookDeliveryFactory,
)
from tests.support.queries import assert_constant_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(ci_domain):
    viewer = UserFactory(username="ci-viewer")
    member(viewer, ci_domain, "viewer")
    engineer = UserFactory(username="ci-engineer")
    member(engineer, ci_domain, "engineer")
    outsider = UserFactory(username="ci-outsider")
    member(outsider, DomainFactory(slug="elsewhere"), "admin")
    staff = UserFactory(username="ci-staff", is_staff=True, is_superuser=True)
    return {
        "viewer": viewer,
        "engineer": engineer,
        "outsider": outsider,
        "staff": staff,
    }


@pytest.fixture
def repo(ci_domain):
    return ci_domain.repositories.get(full_name="octo-org/octo-repo")


def login(client, user):
    client.force_login(user)
    return client


# --- Runs -----------------------------------------------------------------------
def test_the_runs_page_lists_the_domains_runs_newest_first(client, people, repo):
    old = RunFactory(repository=repo, workflow="CI", started_at=EDGE_TIMES[0])
    new = RunFactory(repository=repo, workflow="CI", started_at=EDGE_TIMES[1])
    RunFactory(workflow="MARKER-foreign")  # another domain's run
    response = login(client, people["viewer"]).get("/d/payments-ci/runs/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index(f'data-run="{new.pk}"') < html.index(f'data-run="{old.pk}"')
    assert "MARKER-foreign" not in html


def test_each_run_row_opens_its_run_and_its_commit_and_shows_names_as_text(
    client, people, repo
):
    run = RunFactory(
        repository=repo,
        workflow="<b>CI</b> & co",
        head_sha="ab12cd34" * 5,
        attempt=2,
        pull_request_number=41,
        branch="feature/x",
        conclusion="failure",
    )
    html = login(client, people["viewer"]).get("/d/payments-ci/runs/").content.decode()
    row = html[html.index(f'<tr data-run="{run.pk}">') :].split("</tr>")[0]
    assert (
        f'<a href="/d/payments-ci/runs/{run.pk}/">&lt;b&gt;CI&lt;/b&gt; &amp; co #'
        in row
    )
    assert '<span class="muted">attempt 2</span>' in row
    assert "feature/x" in row and '<span class="muted">PR #41</span>' in row
    assert (
        f'<a href="/d/payments-ci/commits/{run.head_sha}/"><code>ab12cd3…</code>' in row
    )
    assert "badge-bad" in row
    for link in (
        f"/d/payments-ci/runs/{run.pk}/",
        f"/d/payments-ci/commits/{run.head_sha}/",
    ):
        assert client.get(link).status_code == 200


def test_the_runs_page_is_404_for_someone_outside_the_domain(client, people):
    assert (
        login(client, people["outsider"]).get("/d/payments-ci/runs/").status_code == 404
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"branch": "main"}, {"main-ci-success", "main-lint-failure"}),
        ({"status": "failure"}, {"main-lint-failure", "dev-ci-failure"}),
        ({"status": "in_progress"}, {"dev-ci-running"}),
        ({"workflow": "Lint"}, {"main-lint-failure"}),
        ({"branch": "dev", "status": "failure"}, {"dev-ci-failure"}),
    ],
)
def test_runs_filter_by_branch_status_and_workflow(
    client, people, repo, query, expected
):
    for branch, workflow, status, conclusion in [
        ("main", "CI", "completed", "success"),
        ("main", "Lint", "completed", "failure"),
        ("dev", "CI", "completed", "failure"),
        ("dev", "CI", "in_progress", ""),
    ]:
        label = f"{branch}-{workflow.lower()}-{conclusion or 'running'}"
        RunFactory(
            repository=repo,
            branch=branch,
            workflow=workflow,
            status=status,
            conclusion=conclusion,
            external_id=label,
        )
    html = (
        login(client, people["viewer"])
        .get("/d/payments-ci/runs/", query)
        .content.decode()
    )
    shown = {
        label
        for label in (
            "main-ci-success",
            "main-lint-failure",
            "dev-ci-failure",
            "dev-ci-running",
        )
        if f"#{label}" in html
    }
    assert shown == expected


def test_runs_page_by_page_and_htmx_gets_only_rows(client, people, repo):
    RunFactory.create_batch(7, repository=repo)
    login(client, people["viewer"])
    first = client.get("/d/payments-ci/runs/", {"page_size": 5})
    cursor = first.context["page"].next_cursor
    assert cursor and len(first.context["page"].items) == 5
    rows = client.get(
        "/d/payments-ci/runs/",
        {"page_size": 5, "cursor": cursor},
        headers={"HX-Request": "true"},
    )
    html = rows.content.decode()
    assert "<html" not in html and html.count("data-run=") == 2
    assert client.get("/d/payments-ci/runs/", {"cursor": "bad!"}).status_code == 400


def test_runs_page_query_count_is_constant_in_rows(client, people, repo):
    login(client, people["viewer"])
    assert_constant_queries(
        lambda n: RunFactory.create_batch(n, repository=repo),
        lambda: client.get("/d/payments-ci/runs/"),
    )


# --- A run ----------------------------------------------------------------------
def test_a_run_shows_jobs_test_summary_failures_with_messages_and_gates(
    client, people, repo
):
    run = RunFactory(repository=repo, workflow="CI", run_number=12)
    JobFactory(run=run, name="lint")
    JobFactory(run=run, name="test (3.11)", conclusion="failure")
    report = TestReportFactory(run=run, tests=40, failures=2, errors=1, skipped=3)
    TestResultFactory(
        report=report,
        name="test_refund_rounding",
        message="AssertionError: 0.1 != 0.10",
    )
    TestResultFactory(
        report=report,
        name="test_ledger",
        outcome=Outcome.ERROR,
        message="ConnectionRefusedError",
    )
    TestResultFactory(
        report=report, name="test_passing_quietly", outcome=Outcome.PASSED, message=""
    )
    html = (
        login(client, people["viewer"])
        .get(f"/d/payments-ci/runs/{run.pk}/")
        .content.decode()
    )
    assert "lint" in html and "test (3.11)" in html
    assert "<strong>40</strong> tests: 34 passed" in html
    assert "AssertionError: 0.1 != 0.10" in html and "ConnectionRefusedError" in html
    assert "test_passing_quietly" not in html  # only failures are listed
    assert 'id="gates"' in html and "No gate verdicts for this commit yet." in html


def test_another_domains_run_is_404(client, people):
    foreign = RunFactory()
    assert (
        login(client, people["viewer"])
        .get(f"/d/payments-ci/runs/{foreign.pk}/")
        .status_code
        == 404
    )
    assert client.get(f"/d/{foreign.domain.slug}/runs/{foreign.pk}/").status_code == 404


def test_run_page_query_count_is_constant_in_jobs_and_failures(client, people, repo):
    run = RunFactory(repository=repo)
    report = TestReportFactory(run=run)
    login(client, people["viewer"])

    def more(n):
        JobFactory.create_batch(n, run=run)
        TestResultFactory.create_batch(n, report=report)

    assert_constant_queries(more, lambda: client.get(f"/d/payments-ci/runs/{run.pk}/"))


# --- Deliveries ledger ----------------------------------------------------------
def test_the_ledger_shows_each_delivery_with_its_state_reason_and_duplicates(
    client, people, ci_domain
):
    WebhookDeliveryFactory(
        domain=ci_domain, delivery_id="dup-1", event="workflow_run", duplicate_count=2
    )
    WebhookDeliveryFactory(
        domain=ci_domain,
        delivery_id="bad-1",
        event="workflow_job",
        state=OutboxState.FAILED,
        error="KeyError: 'run_id'",
    )
    WebhookDeliveryFactory(delivery_id="unmapped-1", state=OutboxState.IGNORED)
    html = (
        login(client, people["viewer"])
        .get("/d/payments-ci/deliveries/")
        .content.decode()
    )
    assert "dup-1" in html and "yes, 2× redelivered" in html
    assert "KeyError: &#x27;run_id&#x27;" in html
    assert "unmapped-1" not in html  # not this domain's
    assert "sha256 valid" in html
    assert "Replay" not in html  # viewers cannot replay


def test_an_engineer_replays_a_failed_delivery(client, people, ci_domain):
    failed = WebhookDeliveryFactory(
        domain=ci_domain, state=OutboxState.FAILED, error="x"
    )
    login(client, people["engineer"])
    assert "Replay" in client.get("/d/payments-ci/deliveries/").content.decode()
    response = client.post(f"/d/payments-ci/deliveries/{failed.pk}/replay")
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.state == OutboxState.PENDING and failed.replay_count == 1


def test_a_viewer_cannot_replay(client, people, ci_domain):
    failed = WebhookDeliveryFactory(domain=ci_domain, state=OutboxState.FAILED)
    response = login(client, people["viewer"]).post(
        f"/d/payments-ci/deliveries/{failed.pk}/replay"
    )
    assert response.status_code == 403
    failed.refresh_from_db()
    assert failed.state == OutboxState.FAILED


def test_a_done_delivery_is_not_replayed(client, people, ci_domain):
    done = WebhookDeliveryFactory(domain=ci_domain, state=OutboxState.DONE)
    login(client, people["engineer"]).post(
        f"/d/payments-ci/deliveries/{done.pk}/replay", follow=True
    )
    done.refresh_from_db()
    assert done.replay_count == 0


def test_staff_see_and_replay_unmapped_deliveries(client, people, ci_domain):
    ignored = WebhookDeliveryFactory(
        delivery_id="nobody-claims",
        state=OutboxState.IGNORED,
        reason="Repository acme/ünmapped is not mapped to a domain; map it, then replay.",
    )
    WebhookDeliveryFactory(domain=ci_domain, delivery_id="claimed")
    assert (
        login(client, people["engineer"]).get("/ops/deliveries/unmapped/").status_code
        == 302
    )
    html = (
        login(client, people["staff"]).get("/ops/deliveries/unmapped/").content.decode()
    )
    assert "nobody-claims" in html and "claimed<" not in html
    assert "acme/ünmapped is not mapped" in html
    assert "Refused for their signature" in html
    client.post(f"/ops/deliveries/{ignored.pk}/replay")
    assert WebhookDelivery.objects.get(pk=ignored.pk).state == OutboxState.PENDING


def test_staff_see_deliveries_refused_for_their_signature(client, people, ci_domain):
    from tests.pipelines.conftest import deliver

    deliver(
        client, "push", b"{}", secret="wrong", headers={"X-Request-ID": "bad-sig-9"}
    )
    html = (
        login(client, people["staff"]).get("/ops/deliveries/unmapped/").content.decode()
    )
    assert "bad-sig-9" in html
    assert not WebhookDelivery.objects.exists()


def test_ledger_query_counts_are_constant_in_rows(client, people, ci_domain):
    login(client, people["engineer"])
    # Warm the process-wide content-type cache: run alone, the first count
    # included its two lookups and the check failed.
    client.get("/d/payments-ci/deliveries/")
    assert_constant_queries(
        lambda n: WebhookDeliveryFactory.create_batch(
            n, domain=ci_domain, state=OutboxState.FAILED
        ),
        lambda: client.get("/d/payments-ci/deliveries/"),
    )
    login(client, people["staff"])
    assert_constant_queries(
        lambda n: WebhookDeliveryFactory.create_batch(n, state=OutboxState.IGNORED),
        lambda: client.get("/ops/deliveries/unmapped/"),
    )
