"""The overview at `/` (issue 15): a row per domain, a cell per registered
column, the domain with a firing alert first, every cell a link, queries
constant in the number of domains."""

import re

import pytest

from dashboard.board import overview
from dashboard.board.overview import Cell, OverviewColumn
from dashboard.board.rollups import rollups_refresh
from tests.dashboard_panels.conftest import Builder
from tests.factories import DomainFactory, RepositoryFactory, UserFactory, member
from tests.support.queries import assert_constant_queries

pytestmark = pytest.mark.django_db


def _builder(name: str) -> Builder:
    domain = DomainFactory(name=name)
    return Builder(domain, [RepositoryFactory(domain=domain)])


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-domain="([\w-]+)"', html)


def _cells(html: str, slug: str) -> str:
    start = html.index(f'<tr data-domain="{slug}"')
    return html[start : html.index("</tr>", start)]


def test_the_domain_with_a_firing_alert_ranks_first(client):
    calm, burning, quiet = _builder("Alpha calm"), _builder("Zulu burning"), None
    calm.runs(12, conclusion_every=100)  # all pass
    burning.runs(12, conclusion_every=100)
    burning.slos(1)  # an SLO with an open paging alert
    quiet = DomainFactory(name="Beta quiet")  # no data at all
    hidden = _builder("Hidden elsewhere")
    hidden.slos(1)
    rollups_refresh()
    user = UserFactory()
    for d in (calm.domain, burning.domain, quiet):
        member(user, d, "viewer")
    client.force_login(user)
    html = client.get("/").content.decode()
    assert _rows(html)[0] == burning.domain.slug
    assert set(_rows(html)) == {calm.domain.slug, burning.domain.slug, quiet.slug}
    row = _cells(html, burning.domain.slug)
    assert "1 firing" in row and "1 paging" in row
    assert f'href="/d/{burning.domain.slug}/slos/"' in row
    assert "100.0 %" in row
    assert f'href="/d/{burning.domain.slug}/dashboard/?range=7d#panel-ci-health"' in row
    assert "none firing" not in _cells(html, quiet.slug)  # no SLOs: no claim
    assert "—" in _cells(html, quiet.slug)


def test_a_failing_gate_on_a_default_branch_and_a_low_pass_rate_show(client):
    from pipelines.gates.models import GateVerdict
    from pipelines.models import Run

    shaky = _builder("Shaky")
    runs = shaky.runs(10, conclusion_every=2)  # half fail
    rollups_refresh()
    repo = shaky.repositories[0]
    head = Run.objects.filter(repository=repo, branch=repo.default_branch).order_by(
        "-started_at", "-id"
    )
    assert runs and head.exists()
    GateVerdict.objects.create(
        domain=shaky.domain,
        repository=repo,
        sha=head.first().head_sha,
        context="controlplane/tests",
        state="failure",
        description="2 tests failed",
        evaluated_at=head.first().started_at,
        changed_at=head.first().started_at,
    )
    user = UserFactory()
    member(user, shaky.domain, "viewer")
    client.force_login(user)
    row = _cells(client.get("/").content.decode(), shaky.domain.slug)
    assert "1 failing" in row and "of 1 default branch" in row
    assert 'class="level-2"' in row
    assert f'href="/d/{shaky.domain.slug}/dashboard/#panel-gates"' in row


def test_a_capability_adds_a_column_by_registering_it(client):
    b = _builder("Registered")
    seen = []

    def cells(domains, now):
        seen.append(len(domains))
        return {d.pk: Cell("3 pins to review", href="/pins/", level=2) for d in domains}

    column = OverviewColumn("test-pins", "Pin reviews", cells, weight=1)
    overview.overview_column_register(column)
    try:
        user = UserFactory()
        member(user, b.domain, "viewer")
        client.force_login(user)
        html = client.get("/").content.decode()
        assert '<th scope="col">Pin reviews</th>' in html
        assert '<a href="/pins/">3 pins to review</a>' in html
        assert seen == [1]  # one call for all the domains
    finally:
        overview.COLUMNS.pop("test-pins")


def test_the_overview_query_count_is_constant_in_domains(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)

    def more_domains(n: int) -> None:
        for i in range(n):
            b = _builder(f"Domain {DomainFactory._meta.model.objects.count()}-{i}")
            b.runs(3)
            b.slos(1)
            b.incidents(1)
            b.drift(1)
        rollups_refresh()

    def call():
        assert client.get("/").status_code == 200

    call()
    assert_constant_queries(more_domains, call)


def test_open_incidents_pin_reviews_and_drift_have_their_columns(client):
    from tests.incidents.factories import IncidentFactory
    from tests.pins.factories import pin_world

    calm, hurt = _builder("Alpha calm"), _builder("Omega hurt")
    IncidentFactory(domain=hurt.domain, severity="SEV1", status="triggered")
    IncidentFactory(domain=calm.domain, severity="SEV4", status="resolved")
    pin_world(hurt.domain, hurt.repositories[0], marker="ov")  # an open proposal
    hurt.drift(1)
    user = UserFactory()
    for b in (calm, hurt):
        member(user, b.domain, "viewer")
    client.force_login(user)
    html = client.get("/").content.decode()
    assert _rows(html)[0] == hurt.domain.slug  # a SEV1 open outranks the rest
    row = _cells(html, hurt.domain.slug)
    assert "1 open" in row and "worst SEV1" in row
    assert f'href="/d/{hurt.domain.slug}/incidents/"' in row
    assert "1 waiting" in row and f'href="/d/{hurt.domain.slug}/proposals/"' in row
    assert "1 of 1 drifting" in row and f'href="/d/{hurt.domain.slug}/drift/"' in row
    calm_row = _cells(html, calm.domain.slug)
    assert "none open" in calm_row and "none waiting" in calm_row
    assert "drifting" not in calm_row  # no schema target: no claim
