"""One pull request per drift, through the GitHub adapter (filled in once the
adapter's contents/pull functions land)."""


def drift_pull_sync(*, target_id: int) -> None:
    raise NotImplementedError
