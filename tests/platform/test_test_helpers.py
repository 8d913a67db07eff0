"""The helpers other tests lean on must themselves catch what they claim to."""

import pytest

from dashboard.models import Domain, Service
from tests.factories import DomainFactory, ServiceFactory
from tests.support.explain import explain_cost, plan_node_types
from tests.support.queries import (
    QueryCountError,
    assert_constant_queries,
    assert_num_queries,
)


@pytest.mark.django_db
def test_assert_num_queries_prints_the_sql_when_the_count_is_wrong():
    with (
        pytest.raises(QueryCountError, match='FROM "dashboard_domain"'),
        assert_num_queries(0),
    ):
        list(Domain.objects.all())


@pytest.mark.django_db
def test_the_scaling_check_catches_an_n_plus_one():
    domain = DomainFactory()

    def add(n):
        for _ in range(n):
            ServiceFactory(domain=domain)

    def n_plus_one():
        return [s.domain.slug for s in Service.objects.all()]

    def joined():
        return [s.domain.slug for s in Service.objects.select_related("domain")]

    with pytest.raises(QueryCountError, match="grows with the data"):
        assert_constant_queries(add, n_plus_one)
    assert assert_constant_queries(add, joined) == 1


@pytest.mark.django_db
def test_explain_cost_reads_the_planners_total_cost():
    DomainFactory.create_batch(3)
    by_slug = Domain.objects.filter(slug="domain-x")
    everything = Domain.objects.all()
    assert explain_cost(everything) > 0
    assert any(
        node.startswith(("Seq Scan", "Index")) for node in plan_node_types(by_slug)
    )
