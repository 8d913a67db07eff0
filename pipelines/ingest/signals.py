"""What ingestion tells the rest of the control plane.

`commit_evidence_changed` is sent after the transaction commits whenever a
commit's CI evidence changed: a run finished, a JUnit report was parsed, a
performance sample or a query plan arrived. Keyword arguments: `repository_id`,
`sha`. The gates connect to it (pipelines/apps.py) to judge the commit again.
"""

from django.dispatch import Signal

commit_evidence_changed = Signal()
