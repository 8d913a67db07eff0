"""What ingestion tells the rest of the control plane.

`commit_evidence_changed` is sent after the transaction commits whenever a
commit's CI evidence changed: a run finished, a JUnit report was parsed, a
performance sample or a query plan arrived. Keyword arguments: `repository_id`,
`sha`. The gates connect to it (pipelines/apps.py) to judge the commit again.
"""

from django.dispatch import Signal

commit_evidence_changed = Signal()

# Sent while a delivery is processed (inside its transaction, so what a
# receiver stores commits or fails with the delivery): every deployment status,
# whatever its order (`deployment` = the Deployment row, `state`, `status_id`,
# `created_at`), and every push (`push` = the Push row, `commits` = the
# payload's commits as [{"sha", "timestamp"}]). The incidents app keeps the
# facts the DORA keys need from them.
deployment_status_seen = Signal()
push_seen = Signal()
