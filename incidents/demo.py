"""Demo incidents for `python manage.py load_demo`: placeholder, filled below."""


def load(sender: object = None, **_: object) -> None:
    return None
