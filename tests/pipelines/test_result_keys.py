"""Test results' keys (pipelines/0011): no per-row foreign keys, statement
triggers in their place. What a key would refuse is still refused, with the
error a key raises (IntegrityError), and Django's cascades still delete."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from pipelines.models import Outcome, Run, TestReport, TestResult
from tests.factories import DomainFactory, RepositoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def report():
    repository = RepositoryFactory(domain=DomainFactory(slug="keys"))
    runs = [
        Run.objects.create(
            provider="github_actions",
            repository=repository,
            domain_id=repository.domain_id,
            external_id=str(i),
            head_sha=f"{i:040x}",
            status="completed",
            started_at=timezone.now(),
        )
        for i in range(2)
    ]
    return TestReport.objects.create(
        run=runs[0], domain_id=runs[0].domain_id, file="r.xml", sha256="0" * 64
    )


def result(**fields) -> TestResult:
    return TestResult(test_key="k" * 40, name="t", outcome=Outcome.PASSED, **fields)


def test_results_of_a_report_and_its_run_are_stored(report):
    TestResult.objects.bulk_create(
        [result(report=report, run_id=report.run_id) for _ in range(3)]
    )
    assert TestResult.objects.filter(report=report).count() == 3


@pytest.mark.parametrize("wrong", ["report", "run"])
def test_a_result_naming_no_such_report_or_another_run_is_refused(report, wrong):
    other_run = Run.objects.exclude(pk=report.run_id).get()
    fields = {"report_id": report.pk, "run_id": report.run_id}
    if wrong == "report":
        fields["report_id"] = report.pk + 1000
    else:
        fields["run_id"] = other_run.pk
    with (
        pytest.raises(IntegrityError, match="no such report of that run"),
        transaction.atomic(),
    ):
        TestResult.objects.bulk_create([result(**fields)])
    assert not TestResult.objects.exists()


@pytest.mark.parametrize("wrong", ["report", "run"])
def test_one_wrong_result_among_many_good_ones_is_refused(report, wrong):
    """The check reads a statement's distinct (report, run) pairs (0014): one
    wrong pair among a thousand right rows still refuses the statement."""
    other_run = Run.objects.exclude(pk=report.run_id).get()
    rows = [result(report_id=report.pk, run_id=report.run_id) for _ in range(1000)]
    if wrong == "report":
        rows.insert(500, result(report_id=report.pk + 1000, run_id=report.run_id))
    else:
        rows.insert(500, result(report_id=report.pk, run_id=other_run.pk))
    with (
        pytest.raises(IntegrityError, match="no such report of that run"),
        transaction.atomic(),
    ):
        TestResult.objects.bulk_create(rows)
    assert not TestResult.objects.exists()


def test_a_result_cannot_be_moved_to_another_run(report):
    stored = TestResult.objects.create(
        **{
            f.attname: getattr(result(report=report, run_id=report.run_id), f.attname)
            for f in TestResult._meta.concrete_fields
            if not f.primary_key
        }
    )
    other_run = Run.objects.exclude(pk=report.run_id).get()
    with pytest.raises(IntegrityError), transaction.atomic():
        TestResult.objects.filter(pk=stored.pk).update(run_id=other_run.pk)


def test_a_report_with_results_is_not_deleted_behind_djangos_back(report):
    TestResult.objects.bulk_create([result(report=report, run_id=report.run_id)])
    with (
        pytest.raises(IntegrityError, match="still has test results"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM pipelines_testreport WHERE id = %s", [report.pk])
    other_run = Run.objects.exclude(pk=report.run_id).get()
    with (
        pytest.raises(IntegrityError, match="its id and run stay"),
        transaction.atomic(),
    ):
        TestReport.objects.filter(pk=report.pk).update(run=other_run)
    assert TestReport.objects.filter(pk=report.pk).exists()


def test_deleting_a_run_still_deletes_its_reports_and_results(report):
    TestResult.objects.bulk_create([result(report=report, run_id=report.run_id)])
    report.run.delete()
    assert not TestReport.objects.filter(pk=report.pk).exists()
    assert not TestResult.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_report_being_filled_cannot_be_deleted_from_another_connection(report):
    """As with a key: the inserting transaction share-locks the report, so a
    concurrent DELETE waits (here: gives up at its lock_timeout) instead of
    leaving results without their report."""
    import psycopg

    params = connection.get_connection_params()
    dsn = {k: params[k] for k in ("dbname", "user", "host", "port") if params.get(k)}
    with transaction.atomic():
        TestResult.objects.bulk_create([result(report=report, run_id=report.run_id)])
        with psycopg.connect(**dsn, autocommit=True) as other:
            other.execute("SET lock_timeout = '300ms'")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute(
                    "DELETE FROM pipelines_testreport WHERE id = %s", [report.pk]
                )
    # Committed: the report and its result are both there.
    assert TestResult.objects.filter(report=report).count() == 1
    TestResult.objects.filter(report=report).delete()
    TestReport.objects.all().delete()
    Run.objects.all().delete()
