"""One result type for every write that may create, change or leave a row alone
(idempotent upserts, redelivered webhooks, operator commands run twice)."""

from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

T = TypeVar("T")

Status = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class Upserted(Generic[T]):
    """What a write did (`status`) to which row (`obj`)."""

    obj: T
    status: Status

    @property
    def created(self) -> bool:
        return self.status == "created"

    @property
    def changed(self) -> bool:
        return self.status != "unchanged"
