#!/usr/bin/env bash
# The release phase of a deploy: migrate, then fill the panel caches the way a
# user would, so the first people after a deploy do not pay for cold panels
# (cache keys carry the schema version, so a migration starts them cold).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
$PY manage.py collectstatic --noinput -v0
$PY manage.py migrate --noinput
$PY manage.py warm_caches
