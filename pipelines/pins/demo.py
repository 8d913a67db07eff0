"""Demo pins for `python manage.py load_demo`: filled in below."""


def load(sender: object = None, **_: object) -> None:
    return None
