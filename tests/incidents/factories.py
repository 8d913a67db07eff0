"""Factories of the incident tests: deployments (a pipelines table nobody else
makes by hand yet) and incidents, with valid-but-weird values."""

import datetime as dt

import factory

from incidents.models import Incident
from pipelines.ingest.models import Deployment
from tests.factories import EDGE_TIMES, WEIRD_NAMES, DomainFactory, RepositoryFactory


class DeploymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deployment

    repository = factory.SubFactory(RepositoryFactory)
    domain = factory.LazyAttribute(lambda o: o.repository.domain)
    external_id = factory.Sequence(lambda n: 1_000_000 + n)
    environment = "production"
    sha = factory.Sequence(lambda n: f"{n:040x}")
    ref = "main"
    state = "success"
    created_at = factory.Sequence(
        lambda n: EDGE_TIMES[n % len(EDGE_TIMES)] + dt.timedelta(minutes=n)
    )


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident

    domain = factory.SubFactory(DomainFactory)
    source = "api"
    external_id = factory.Sequence(lambda n: f"INC-{n}")
    title = factory.Sequence(lambda n: f"{WEIRD_NAMES[n % len(WEIRD_NAMES)]} outage")
    severity = "SEV2"
    status = "triggered"
    started_at = factory.Sequence(
        lambda n: EDGE_TIMES[n % len(EDGE_TIMES)] + dt.timedelta(hours=n)
    )
