#!/usr/bin/env bash
# `make run`: migrate, load demo data, then web server + Celery worker + beat.
# With no environment it runs on SQLite, a local-memory cache and a filesystem
# broker; DATABASE_URL / REDIS_URL / CELERY_BROKER_URL switch to real services.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
. scripts/local_env.sh  # DEBUG=1 and a generated local SECRET_KEY
mkdir -p .run/broker/queue .run/broker/processed .run/broker/control

$PY manage.py migrate --noinput
$PY manage.py load_demo

pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 20); do
    kill -0 "${pids[@]}" 2>/dev/null || break
    sleep 0.5
  done
  kill -9 "${pids[@]}" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

$PY -m celery -A config worker -Q default,ingest,github -c 2 -l INFO \
  >.run/worker.log 2>&1 &
pids+=($!)
$PY -m celery -A config beat -l INFO -s .run/celerybeat-schedule \
  >.run/beat.log 2>&1 &
pids+=($!)

cat <<MSG

  Control plane: http://${HOST}:${PORT}/
  Demo logins (password demo-password-123):
    admin   (staff, sees every domain)
    alice   (payments admin, search viewer)
    eve     (payments engineer)
    rita    (payments and onboarding reviewer)
    victor  (payments viewer)
    sam     (search admin)
  Worker and beat logs: .run/worker.log, .run/beat.log
  API reference: http://${HOST}:${PORT}/api/v1/docs

  GitHub webhook secret (GITHUB_WEBHOOK_SECRET, kept in .run/webhook_secret):
    ${GITHUB_WEBHOOK_SECRET}
  Send a signed test delivery (a ping; 200 means the secret matches):
    body='{"zen":"Keep it logically awesome.","hook_id":1}'
    sig=\$(printf %s "\$body" | openssl dgst -sha256 -hmac '${GITHUB_WEBHOOK_SECRET}' | sed 's/^.* //')
    curl -i http://${HOST}:${PORT}/api/v1/webhooks/github \\
      -H 'Content-Type: application/json' -H 'X-GitHub-Event: ping' \\
      -H "X-GitHub-Delivery: test-\$(date +%s%N)" \\
      -H "X-Hub-Signature-256: sha256=\$sig" --data-binary "\$body"
  Each domain's settings page shows the webhook setup for GitHub, and its
  ingest-tokens page the CI snippets (JUnit, performance, query plans).

MSG
$PY manage.py runserver "${HOST}:${PORT}" --noreload &
pids+=($!)
wait -n "${pids[@]}"
