"""EXPLAIN budgets for the gates' list queries on a seeded dataset: index
scans, never a sequential scan of the whole table, whatever its size."""

import pytest
from django.db import connection
from django.utils import timezone

from dashboard.platform.pagination import keyset_page
from pipelines.gates.selectors import flaky_tests_of, verdicts_for_commit
from pipelines.models import FlakyTest, GateVerdict
from tests.factories import DomainFactory, RepositoryFactory
from tests.pipelines.factories import sha_for
from tests.support.explain import explain_cost, plan_node_types

pytestmark = pytest.mark.django_db

DOMAINS = 20
PER_DOMAIN = 250  # 5,000 rows per table


@pytest.fixture
def seeded():
    now = timezone.now()
    repos = [RepositoryFactory(domain=DomainFactory()) for _ in range(DOMAINS)]
    contexts = ["controlplane/tests", "controlplane/perf", "controlplane/query-plans"]
    GateVerdict.objects.bulk_create(
        GateVerdict(
            domain_id=repo.domain_id,
            repository=repo,
            sha=sha_for(f"{repo.pk}-{i // 3}"),
            context=contexts[i % 3],
            state="success",
            description="all 1 tests passed",
            evaluated_at=now,
            changed_at=now - timezone.timedelta(seconds=i),
        )
        for repo in repos
        for i in range(PER_DOMAIN)
    )
    FlakyTest.objects.bulk_create(
        FlakyTest(
            domain_id=repo.domain_id,
            repository=repo,
            test_key=sha_for(f"{repo.pk}-{i}"),
            name=f"test_{i}",
            flip_count=1,
            first_seen_at=now,
            last_seen_at=now - timezone.timedelta(seconds=i),
            last_sha=sha_for(i),
        )
        for repo in repos
        for i in range(PER_DOMAIN)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE pipelines_gateverdict")
        cursor.execute("ANALYZE pipelines_flakytest")
    return repos


def page_query(qs, ordering):
    # What keyset_page runs: the ordered, limited queryset.
    return qs.order_by(*ordering)[:51]


def test_the_flaky_list_reads_the_index_not_the_table(seeded):
    domain = seeded[3].domain
    qs = page_query(flaky_tests_of(domain), ("-last_seen_at", "-id"))
    nodes = plan_node_types(qs)
    assert "Seq Scan on pipelines_flakytest" not in nodes, nodes
    assert explain_cost(qs) < 100
    # …and the page itself is right.
    page = keyset_page(
        flaky_tests_of(domain),
        ordering=("-last_seen_at", "-id"),
        cursor=None,
        page_size=50,
    )
    assert [f.name for f in page.items[:2]] == ["test_0", "test_1"]


def test_a_commits_verdicts_read_the_index_not_the_table(seeded):
    repo = seeded[5]
    sha = sha_for(f"{repo.pk}-7")
    qs = verdicts_for_commit(repo.domain, sha)
    nodes = plan_node_types(qs)
    assert "Seq Scan on pipelines_gateverdict" not in nodes, nodes
    assert explain_cost(qs) < 50
    assert qs.count() == 3
