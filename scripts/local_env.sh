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
