"""Links of a long list, reversed once per page instead of once per row."""

from urllib.parse import quote

from django.urls import reverse

# Stands for the row's value while reversing: digits, so that an int and a str
# converter both accept it.
_SLOT = "918273645"


class RowLink:
    """The URL named `name` for every row of a list: `reverse()` once, with all
    arguments fixed but `slot` (the last in the URL), which each row fills:
    `link.at(run.pk)`."""

    def __init__(self, name: str, slot: str, **fixed: object) -> None:
        url = reverse(name, kwargs={**fixed, slot: _SLOT})
        self.head, found, self.tail = url.rpartition(_SLOT)
        if not found:
            raise ValueError(f"{name} has no {slot} to fill")

    def at(self, value: object) -> str:
        return f"{self.head}{quote(str(value), safe='')}{self.tail}"
