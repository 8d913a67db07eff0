"""What ingestion tells the rest of the control plane.

`commit_evidence_changed` is sent after the transaction commits whenever a
commit's CI evidence changed: a run finished, a JUnit report was parsed, a
performance sample or a query plan arrived. Keyword arguments: `repository_id`,
`sha`. The gates connect to it (pipelines/apps.py) to judge the commit again.
"""

from django.dispatch import Signal

commit_evidence_changed = Signal()

# Sent after the transaction commits for every processed `pull_request`
# delivery. Keyword arguments: repository_id, number, action, state, merged,
# head_sha, base_sha, head_ref, base_ref, author, title, url. The pins connect
# to it (pipelines/apps.py) to read the pull request's pins.
pull_request_received = Signal()

# Sent after the transaction commits for every processed `push` delivery.
# Keyword arguments: repository_id, ref, before, after, pusher. The pins connect
# to it to read the default branch's pins.
push_received = Signal()
