"""`make run` without PostgreSQL falls back to SQLite (scripts/local_env.sh):
the migrations, the demo and every page of it must work there too. Run in a
child process with its own SQLite file, as `make run` would."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CHECK = r"""
import os, re, django
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
django.setup()
from django.core.management import call_command
from django.test import Client
from django.contrib.auth import get_user_model
from dashboard.domains.models import Domain

call_command("migrate", verbosity=0)
call_command("load_demo", verbosity=0)
client = Client(raise_request_exception=False)
client.force_login(get_user_model().objects.get(username="admin"))
urls = ["/", "/control-plane/", "/ops/deliveries/unmapped/",
        "/ops/monitor-deliveries/unmapped/", "/api/v1/openapi.json"]
for domain in Domain.objects.all():
    base = f"/d/{domain.slug}/"
    page = client.get(base).content.decode()
    urls += [base, base + "incidents/", base + "proposals/", base + "drift/"]
    urls += re.findall(r'href="(/d/%s/[^"#?]*)"' % domain.slug, page)
    for rng in ("24h", "7d", "30d", "90d"):
        dash = client.get(f"{base}dashboard/?range={rng}").content.decode()
        urls += [u.replace("&amp;", "&") for u in re.findall(
            r'hx-get="(/d/[^"]+/dashboard/[a-z0-9-]+/[^"]*)"', dash)]
checked, bad = set(), []
for url in urls:
    if url in checked:
        continue
    checked.add(url)
    status = client.get(url).status_code
    if status != 200:
        bad.append(f"{status} {url}")
print(f"checked {len(checked)}")
assert not bad, bad
assert len(checked) > 50, len(checked)
"""


@pytest.mark.xdist_group("sqlite-demo")
def test_the_demo_and_its_pages_work_on_sqlite(tmp_path):
    # What a bare `make run` has: no DATABASE_URL, no Redis, no broker (the
    # filesystem one, here in the test's own folder).
    dropped = ("DATABASE", "PYTEST", "REDIS_URL", "CELERY_BROKER")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env |= {
        "CONTROLPLANE_RUN_DIR": str(tmp_path),
        "DEBUG": "1",
        "SECRET_KEY": "sqlite-demo-test-" + "k" * 40,
        "ALLOWED_HOSTS": "testserver",
        "CONTROLPLANE_TEST_CHILD": "1",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(  # nosec B603 (our own interpreter)
        [sys.executable, "-c", CHECK],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    tail = (done.stdout + done.stderr)[-3000:]
    assert done.returncode == 0, tail
    assert "checked " in done.stdout, tail
