# Sourced by `make run` and `make migrate`: the local demo's environment.
# Settings are secure by default (DEBUG off, SECRET_KEY required); the demo turns
# DEBUG on and uses a key generated once per checkout, kept in .run/secret_key
# (never committed), instead of a public one. Variables already set win.
mkdir -p .run
if [ ! -s .run/secret_key ]; then
  (umask 077 && .venv/bin/python -c \
    'import secrets; print(secrets.token_urlsafe(50))' >.run/secret_key)
fi
export DEBUG="${DEBUG:-1}"
export SECRET_KEY="${SECRET_KEY:-$(cat .run/secret_key)}"
# A local GitHub webhook secret, generated once like the key, so signed test
# deliveries work from the first minute (`make run` prints a curl example).
if [ ! -s .run/webhook_secret ]; then
  (umask 077 && .venv/bin/python -c \
    'import secrets; print(secrets.token_hex(20))' >.run/webhook_secret)
fi
export GITHUB_WEBHOOK_SECRET="${GITHUB_WEBHOOK_SECRET:-$(cat .run/webhook_secret)}"
# The database: PostgreSQL when one answers on 127.0.0.1:5432 (what production
# runs; the fast paths — SLO window sums, JUnit COPY, rollups folded in SQL —
# and schema drift's proofs need it), else SQLite in .run/ with a warning: the
# demo and every page work there on portable, slower paths
# (tests/platform/test_sqlite_demo.py). DATABASE_URL, when set, wins.
if [ -z "${DATABASE_URL:-}" ] && command -v pg_isready >/dev/null 2>&1 \
  && pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/controlplane_run"
  .venv/bin/python - <<'PY' || unset DATABASE_URL
import psycopg
with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
    if not c.execute("SELECT 1 FROM pg_database WHERE datname = 'controlplane_run'").fetchone():
        c.execute('CREATE DATABASE "controlplane_run"')
PY
fi
if [ -z "${DATABASE_URL:-}" ]; then
  echo "local_env: no PostgreSQL on 127.0.0.1:5432, running on SQLite (.run/db.sqlite3)" \
    "on slower portable paths; schema drift's proofs need PostgreSQL (set DATABASE_URL)." >&2
fi
