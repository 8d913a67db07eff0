"""What ingestion tells the rest of the control plane.

`commit_evidence_changed` is sent after the transaction commits whenever a
commit's CI evidence changed: a run finished, a JUnit report was parsed, a
performance sample or a query plan arrived. Keyword arguments: `repository_id`,
`sha`. The gates connect to it (pipelines/apps.py) to judge the commit again.
"""

from django.dispatch import Signal

commit_evidence_changed = Signal()

# Sent while a delivery is processed (inside its transaction, so what a
# receiver stores commits or fails with the delivery; a receiver that enqueues
# work uses enqueue_on_commit):
# - every deployment status, whatever its order (`deployment` = the Deployment
#   row, `state`, `status_id`, `created_at`): the incidents app keeps the facts
#   the DORA keys need;
# - every push: `push` = the Push row, `commits` = the payload's commits as
#   [{"sha", "timestamp"}], `repository_id`, `ref`, `before`, `after`, `pusher`.
#   The incidents app keeps commit times (DORA lead time); the pins read the
#   default branch's pins.
deployment_status_seen = Signal()
push_received = Signal()

# Sent after the transaction commits for every processed `pull_request`
# delivery. Keyword arguments: repository_id, number, action, state, merged,
# head_sha, base_sha, head_ref, base_ref, author, title, url. The pins connect
# to it (pipelines/apps.py) to read the pull request's pins.
pull_request_received = Signal()
