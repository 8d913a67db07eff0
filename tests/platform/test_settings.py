"""Production settings pass Django's deployment checklist; migrations are in step."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, env: dict[str, str | None]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={k: v for k, v in {**os.environ, **env}.items() if v is not None},
        check=False,
    )


def test_check_deploy_has_no_warnings_under_production_settings():
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "a-real-production-secret-" + "k3y!" * 12,
        "ALLOWED_HOSTS": "controlplane.example.org",
        "SECURE_SSL_REDIRECT": None,  # the test suite turns it off; production not
        "DJANGO_ALLOW_ASYNC_UNSAFE": None,  # set for the browser tests only
    }
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def serve(env: dict[str, str | None]) -> subprocess.CompletedProcess:
    """Import the WSGI application, as gunicorn and runserver do."""
    return subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={k: v for k, v in {**os.environ, **env}.items() if v is not None},
        check=False,
    )


def test_debug_off_without_a_secret_key_refuses_to_start():
    env = {"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "0", "SECRET_KEY": ""}
    result = serve(env)
    assert result.returncode != 0 and "Set SECRET_KEY" in result.stderr


def test_a_worker_refuses_the_development_key_too():
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "",
        "CELERY_BROKER_URL": "memory://",
    }
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={k: v for k, v in {**os.environ, **env}.items() if v is not None},
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    assert "worker not started: Set SECRET_KEY" in result.stdout + result.stderr


def test_with_no_environment_debug_is_off_and_a_secret_key_is_required():
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": None,
        "SECRET_KEY": None,
    }
    # Management commands run (embedded defaults); serving refuses.
    assert manage("check", env=env).returncode == 0
    result = serve(env)
    assert result.returncode != 0 and "Set SECRET_KEY" in result.stderr

    env["SECRET_KEY"] = "a-real-production-secret-" + "k3y!" * 12
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEBUG)",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_make_run_environment_turns_debug_on_with_a_generated_local_key(tmp_path):
    """scripts/local_env.sh (sourced by `make run`) writes a random key once into
    .run/secret_key and reuses it; never the public development key."""
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").symlink_to(sys.executable)
    source = f". {ROOT / 'scripts' / 'local_env.sh'} && echo $DEBUG $SECRET_KEY"
    command = ["env", "-u", "DEBUG", "-u", "SECRET_KEY", "bash", "-c", source]
    first, again = (
        subprocess.run(
            command, cwd=tmp_path, capture_output=True, text=True, check=True
        )
        for _ in range(2)
    )
    debug, key = first.stdout.split()
    assert debug == "1"
    assert len(key) >= 50 and "insecure" not in key
    assert again.stdout == first.stdout
    assert (tmp_path / ".run" / "secret_key").stat().st_mode & 0o077 == 0


def test_models_and_migrations_agree():
    result = manage(
        "makemigrations",
        "--check",
        "--dry-run",
        env={"DJANGO_SETTINGS_MODULE": "config.test_settings"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db(transaction=True)
def test_migrations_go_to_zero_and_back_on_a_populated_database():
    """Data in every table that matters, then all project apps to zero and forward
    again; the backfill in dashboard 0002 fills owner/name for existing rows."""
    from django.core.management import call_command
    from django.db import connection

    from dashboard.models import Repository
    from tests.factories import DomainFactory, RepositoryFactory

    RepositoryFactory(domain=DomainFactory(), full_name="acme/payments-api")
    call_command("migrate", "dashboard", "0001", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO dashboard_repository (domain_id, full_name, default_branch, "
            "pins_path, migrations_path, created_at) SELECT id, 'acme/ledger', 'main', "
            "'p', 'm', now() FROM dashboard_domain LIMIT 1"
        )
    call_command("migrate", verbosity=0)
    repo = Repository.objects.using("default").get(full_name="acme/ledger")
    assert (repo.owner, repo.name) == ("acme", "ledger")

    apps_in_order = ["incidents", "slos", "pipelines", "dashboard"]
    for app in apps_in_order:
        call_command("migrate", app, "zero", verbosity=0)
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    assert not [t for t in tables if t.startswith(("dashboard_", "pipelines_"))]
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    assert "dashboard_repository" in tables
