"""What the dashboard app tells the capabilities built on it.

`demo_loaded` is sent by `python manage.py load_demo` once the demo domains,
people and repositories exist (inside its transaction), so each capability adds
its own demo data: receivers take no arguments but `sender` and must be
idempotent (load_demo runs on every `make run`).
"""

from django.dispatch import Signal

demo_loaded = Signal()
