"""The test results lose their (test_key, run) index.

No query reads results by test_key: the flaky tests (the one reader of
test_key) read a commit's runs' results through result_run_outcome_idx and
group them by test_key. The index still cost every inserted result a B-tree
insert at a random place (test_key is a sha1): with a few million results, a
JUnit report's COPY of 50,000 rows spent about 600 of its 850 ms of database
CPU on this index alone (measured on 5,000,000 rows)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("pipelines", "0014_result_keys_check_distinct"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="testresult",
            name="result_test_idx",
        ),
    ]
