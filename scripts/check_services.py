"""Stop early, with a useful message, when PostgreSQL or Redis is not reachable."""

import os
import socket
import sys
from urllib.parse import urlparse

SERVICES = {
    "PostgreSQL": (
        "DATABASE_URL",
        "postgres://postgres@127.0.0.1:5432/controlplane",
        "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    ),
    "Redis": (
        "REDIS_URL",
        "redis://127.0.0.1:6379/0",
        "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' "
        "--appendonly no",
    ),
}


def unreachable() -> list[str]:
    problems = []
    for name, (var, default, how) in SERVICES.items():
        url = urlparse(os.environ.get(var) or default)
        host, port = url.hostname or "127.0.0.1", url.port
        try:
            with socket.create_connection((host, port), timeout=2):
                pass
        except OSError as exc:
            problems.append(
                f"{name} is not reachable at {host}:{port} ({exc.strerror or exc}).\n"
                f"  Start it (for example: {how}),\n"
                f"  or point {var} at a running server."
            )
    return problems


def main() -> int:
    problems = unreachable()
    if problems:
        print("The tests need real services:\n" + "\n".join(problems), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
