"""One pull request per drift on the (fake) GitHub through real PyGithub:
opened once, force-updated when the drift changes, left alone after a person
pushed, closed when the drift goes away, never reopened for the same drift;
the commit status on the graph's commit; GitHub's errors kept and raised."""

import copy

import pytest

from config.tasks import PermanentError, TransientError
from pipelines.drift.models import DriftPullRequest, DriftRepositorySettings, PullState
from pipelines.drift.services import checks, documents, proofs, pulls, status
from tests.pipelines.drift.conftest import LIVE, graph_with

pytest_plugins = ["tests.fakes.plugin"]
pytestmark = pytest.mark.django_db
REPO = "shop/app"


@pytest.fixture
def github(fake_github):
    fake_github.push(REPO, "main", {"README.md": "# shop\n"}, message="Initial")
    return fake_github


class Flow:
    """Post schemas, check, prove, sync: what the tasks do, in this process."""

    def __init__(self, target, github, capture):
        self.target, self.github, self.capture = target, github, capture
        self.repo = target.domain.repositories.get()
        self.graph_sha = ""

    def post(self, source, document, sha):
        with self.capture(execute=False):
            documents.schema_document_record(
                target=self.target,
                source=source,
                document=document,
                repository=self.repo,
                commit_sha=sha,
            )

    def graph(self, document, message="codegen"):
        self.graph_sha = self.github.push(
            REPO, "main", {"schema.json": message}, message=message
        )
        self.post("graph", document, self.graph_sha)
        return self.run()

    def live(self, document, sha):
        self.post("snapshot", document, sha)
        return self.run()

    def run(self):
        with self.capture(execute=False):
            drift = checks.drift_check(target_id=self.target.pk)
            if drift is None:
                return None  # no graph yet
            if drift.fingerprint:
                proofs.drift_prove(
                    target_id=self.target.pk, fingerprint=drift.fingerprint
                )
            pulls.drift_pull_sync(target_id=self.target.pk)
            status.drift_status_post(target_id=self.target.pk)
        drift.refresh_from_db()
        return drift

    def pulls(self):
        return self.github.pulls(REPO)


@pytest.fixture
def flow(target, github, django_capture_on_commit_callbacks):
    f = Flow(target, github, django_capture_on_commit_callbacks)
    f.live(LIVE, "a" * 40)
    return f


def test_a_proven_drift_opens_exactly_one_pull_request(flow, github):
    drift = flow.graph(graph_with(tightening=True))
    [pull] = flow.pulls()
    branch = f"controlplane/drift/shop-db-{drift.fingerprint[:8]}"
    assert pull["head"]["ref"] == branch
    assert pull["title"] == "Schema drift on shop-db: 4 changes (tightening)"
    assert {label["name"] for label in pull["labels"]} == {
        "controlplane:drift",
        "tightening",
    }
    assert "| tightening | make customers.nickname NOT NULL |" in pull["body"]
    assert "**Proof on a throwaway database**: passed" in pull["body"]
    assert flow.graph_sha in pull["body"]
    row = DriftPullRequest.objects.get()
    assert row.path.startswith("migrations/controlplane/") and row.path.endswith(
        "_shop-db.sql"
    )
    committed = github.file(REPO, branch, row.path)
    assert 'CREATE TABLE "public"."refunds"' in committed
    assert "-- ==== DOWN (roll back) ====" in committed
    # The same drift again (another commit of the same graph): no second PR.
    flow.graph(graph_with(tightening=True), message="codegen again")
    assert len(flow.pulls()) == 1
    [posted] = github.statuses(REPO, flow.graph_sha)
    assert posted["context"] == "controlplane/schema-drift"
    assert posted["state"] == "failure"
    assert f"migration PR #{pull['number']}" in posted["description"]
    assert posted["target_url"] == pull["html_url"]


def test_a_changed_drift_force_updates_our_branch(flow, github):
    first = flow.graph(graph_with())
    row = DriftPullRequest.objects.get()
    old_head = row.our_head_sha
    second = flow.graph(graph_with(tightening=True), message="codegen 2")
    assert second.fingerprint != first.fingerprint
    [pull] = flow.pulls()  # still one, the same branch
    row.refresh_from_db()
    assert row.fingerprint == second.fingerprint and row.our_head_sha != old_head
    assert github.branch_sha(REPO, row.branch) == row.our_head_sha
    assert pull["title"].endswith("4 changes (tightening)")
    assert "make customers.nickname NOT NULL" in github.file(REPO, row.branch, row.path)
    # One commit on top of main: the earlier one was replaced, not stacked.
    assert github.commit(REPO, row.our_head_sha)["parents"][0][
        "sha"
    ] == github.branch_sha(REPO, "main")


def test_after_a_person_pushed_the_branch_is_left_alone_with_a_comment(flow, github):
    flow.graph(graph_with())
    row = DriftPullRequest.objects.get()
    theirs = github.push(REPO, row.branch, {"NOTE.md": "my fix"}, author="hubot")
    flow.graph(graph_with(tightening=True), message="codegen 2")
    assert github.branch_sha(REPO, row.branch) == theirs
    [comment] = github.comments(REPO, row.number)
    assert "moved" in comment and "leaves it alone" in comment
    # The same moved drift again: no second comment.
    flow.graph(graph_with(tightening=True), message="codegen 3")
    assert len(github.comments(REPO, row.number)) == 1


def test_the_pull_request_is_closed_when_the_drift_goes_away(flow, github):
    flow.graph(graph_with())
    row = DriftPullRequest.objects.get()
    drift = flow.graph(
        copy.deepcopy(LIVE), message="codegen back"
    )  # graph changed back
    assert drift.fingerprint == ""
    [pull] = flow.pulls()
    assert pull["state"] == "closed" and pull["merged_at"] is None
    assert "drift on shop-db is gone" in github.comments(REPO, row.number)[-1]
    row.refresh_from_db()
    assert row.state == PullState.CLOSED
    [posted] = github.statuses(REPO, flow.graph_sha)
    assert posted["state"] == "success"


def test_a_closed_pull_request_is_not_reopened_for_the_same_drift(flow, github):
    first = flow.graph(graph_with())
    row = DriftPullRequest.objects.get()
    github.close_pull(REPO, row.number)
    flow.graph(graph_with(), message="codegen again")
    assert len(flow.pulls()) == 1
    row.refresh_from_db()
    assert row.state == PullState.CLOSED
    # A different drift opens a new one.
    second = flow.graph(graph_with(tightening=True), message="codegen 2")
    assert second.fingerprint != first.fingerprint
    assert len(flow.pulls()) == 2
    assert DriftPullRequest.objects.filter(state=PullState.OPEN).count() == 1


def test_the_live_schema_catching_up_closes_it_after_merge(flow, github):
    flow.graph(graph_with())
    row = DriftPullRequest.objects.get()
    github.merge_pull(REPO, row.number)
    drift = flow.live(graph_with(), "b" * 40)
    assert drift.fingerprint == ""
    row.refresh_from_db()
    assert row.state == PullState.MERGED
    assert github.comments(REPO, row.number) == []


def test_a_failed_proof_opens_no_pull_request(flow, github):
    graph = graph_with(additive=False)
    graph["entities"][0]["fields"][1]["max_length"] = 3  # seeded emails do not fit
    drift = flow.graph(graph)
    assert drift.proof_state == "failed"
    assert flow.pulls() == []
    [posted] = github.statuses(REPO, flow.graph_sha)
    assert (
        posted["state"] == "failure" and "proof failed at 'up'" in posted["description"]
    )


def test_a_moved_drift_that_fails_its_proof_is_said_once_on_the_open_pull(flow, github):
    flow.graph(graph_with())
    row = DriftPullRequest.objects.get()
    head = row.our_head_sha
    graph = graph_with(additive=False)
    graph["entities"][0]["fields"][1]["max_length"] = 3  # seeded emails do not fit
    drift = flow.graph(graph, message="codegen 2")
    assert drift.proof_state == "failed"
    # The branch keeps the proven migration; the pull request says why.
    assert github.branch_sha(REPO, row.branch) == head
    [comment] = github.comments(REPO, row.number)
    assert "failed its proof" in comment and "step `up`" in comment
    assert f"`{drift.fingerprint[:8]}`" in comment and "do not merge" in comment
    flow.graph(graph, message="codegen 3")  # the same failing drift again
    assert len(github.comments(REPO, row.number)) == 1
    row.refresh_from_db()
    assert row.state == PullState.OPEN and row.our_head_sha == head


def test_a_close_retried_after_github_failed_comments_once(
    flow, github, django_capture_on_commit_callbacks
):
    flow.graph(graph_with())
    row = DriftPullRequest.objects.get()
    flow.post("graph", copy.deepcopy(LIVE), github.push(REPO, "main", {"y": "1"}))
    with django_capture_on_commit_callbacks(execute=False):
        checks.drift_check(target_id=flow.target.pk)
    # The comment is posted, then closing the pull request answers 502.
    github.fail_next("bad_gateway", path_contains="/pulls/", method="PATCH")
    with (
        pytest.raises(TransientError),
        django_capture_on_commit_callbacks(execute=False),
    ):
        pulls.drift_pull_sync(target_id=flow.target.pk)
    assert len(github.comments(REPO, row.number)) == 1
    with django_capture_on_commit_callbacks(execute=False):
        pulls.drift_pull_sync(target_id=flow.target.pk)  # the task's retry
    [comment] = github.comments(REPO, row.number)
    assert "drift on shop-db is gone" in comment
    [pull] = flow.pulls()
    assert pull["state"] == "closed"
    row.refresh_from_db()
    assert row.state == PullState.CLOSED


def test_the_folder_is_configurable_per_repository(flow, github):
    DriftRepositorySettings.objects.create(
        repository=flow.repo, migrations_folder="db/changes"
    )
    flow.graph(graph_with())
    row = DriftPullRequest.objects.get()
    assert row.path.startswith("db/changes/")
    assert github.file(REPO, row.branch, row.path)


def test_github_errors_are_kept_and_raised(
    flow, github, django_capture_on_commit_callbacks
):
    flow.graph(graph_with())
    row = DriftPullRequest.objects.get()
    flow.post(
        "graph", graph_with(tightening=True), github.push(REPO, "main", {"x": "1"})
    )
    with django_capture_on_commit_callbacks(execute=False):
        drift = checks.drift_check(target_id=flow.target.pk)
        proofs.drift_prove(target_id=flow.target.pk, fingerprint=drift.fingerprint)
    github.fail_next("bad_gateway")
    with (
        pytest.raises(TransientError),
        django_capture_on_commit_callbacks(execute=False),
    ):
        pulls.drift_pull_sync(target_id=flow.target.pk)
    row.refresh_from_db()
    assert "502" in row.error
    github.fail_next("not_found")
    with (
        pytest.raises(PermanentError),
        django_capture_on_commit_callbacks(execute=False),
    ):
        pulls.drift_pull_sync(target_id=flow.target.pk)
    # Once GitHub answers again, the sync completes.
    with django_capture_on_commit_callbacks(execute=False):
        pulls.drift_pull_sync(target_id=flow.target.pk)
    row.refresh_from_db()
    assert row.fingerprint == drift.fingerprint and row.error == ""


def test_a_django_app_gets_a_django_migration(flow, github):
    DriftRepositorySettings.objects.create(
        repository=flow.repo, migrations_folder="shop/migrations", output="django"
    )
    flow.graph(graph_with())
    row = DriftPullRequest.objects.get()
    assert row.path.startswith("shop/migrations/") and row.path.endswith("_shop_db.py")
    source = github.file(REPO, row.branch, row.path)
    namespace: dict = {}
    exec(compile(source, row.path, "exec"), namespace)  # noqa: S102 (our own output)
    migration = namespace["Migration"]
    assert migration.atomic is False
    [operation] = migration.operations
    assert 'CREATE TABLE "public"."refunds"' in operation.sql
    assert 'DROP TABLE "public"."refunds"' in operation.reverse_sql
