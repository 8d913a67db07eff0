"""Reading a repository's pins at an exact sha through the GitHub adapter."""

import logging
from dataclasses import dataclass, field

from config.tasks import PermanentError
from dashboard.domains.models import Repository
from pipelines.github import repos
from pipelines.pins.models import PinRepositorySettings
from pipelines.pins.spec import (
    DEFAULT_PATH,
    MAX_PROMPT_BYTES,
    PinsFileError,
    PinSpec,
    pins_dump,
    pins_parse,
    spec_of,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prompt:
    path: str
    blob_sha: str
    text: str


@dataclass
class PinsAt:
    """What the repository's pins file (and its prompts) hold at `sha`."""

    sha: str
    path: str
    file_sha: str = ""  # the pins file's blob sha ("" when absent)
    file_text: str = ""
    pins: dict[str, PinSpec] = field(default_factory=dict)
    prompts: dict[str, Prompt] = field(default_factory=dict)
    error: str = ""

    @property
    def found(self) -> bool:
        return bool(self.file_sha)

    def prompt_of(self, pin: PinSpec) -> Prompt | None:
        return self.prompts.get(pin.prompt) if pin.prompt else None


def pins_path_of(repository: Repository) -> str:
    found = (
        PinRepositorySettings.objects.using("default")
        .filter(repository=repository)
        .values_list("path", flat=True)
        .first()
    )
    return found or DEFAULT_PATH


def _text(content: bytes, what: str) -> str:
    if len(content) > MAX_PROMPT_BYTES:
        raise ValueError(f"{what} is larger than {MAX_PROMPT_BYTES} bytes")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{what} is not UTF-8 text") from exc
    if "\x00" in text:
        raise ValueError(f"{what} holds a NUL character")
    return text


def pins_read(repository: Repository, sha: str) -> PinsAt:
    """The pins file and every prompt it references, at `sha`. GitHub failures
    leave as TransientError/PermanentError; a bad file is `error`, not raised."""
    path = pins_path_of(repository)
    at = PinsAt(sha=sha, path=path)
    found = repos.file_at(repository.full_name, path, sha)
    if found is None:
        return at
    at.file_sha = found.sha
    try:
        at.file_text = _text(found.content, f"The pins file {path}")
        at.pins = pins_parse(at.file_text)
    except PinsFileError as exc:
        at.error = "; ".join(exc.errors)[:2000]
        return at
    except ValueError as exc:
        at.error = str(exc)
        return at
    problems = []
    for pin in at.pins.values():
        if not pin.prompt or pin.prompt in at.prompts:
            continue
        prompt = repos.file_at(repository.full_name, pin.prompt, sha)
        if prompt is None:
            problems.append(
                f"pin {pin.id!r}: prompt file {pin.prompt} does not exist at {sha[:12]}"
            )
            continue
        try:
            text = _text(prompt.content, f"pin {pin.id!r}: prompt file {pin.prompt}")
        except ValueError as exc:
            problems.append(str(exc))
            continue
        at.prompts[pin.prompt] = Prompt(pin.prompt, prompt.sha, text)
    if problems:
        at.error = "; ".join(problems)[:2000]
    return at


def pins_file_with(
    *, repository: Repository, sha: str, entry: dict, prompt_text: str
) -> dict[str, str | None]:
    """The files of one commit that set `entry` in the pins file at `sha`
    (replacing the pin of that id, or adding it) and its prompt's text."""
    path = pins_path_of(repository)
    found = repos.file_at(repository.full_name, path, sha)
    pins = {}
    if found is not None:
        try:
            pins = pins_parse(found.content.decode("utf-8"))
        except (PinsFileError, UnicodeDecodeError) as exc:
            raise PermanentError(
                f"The pins file {path} at {sha[:12]} is invalid, so it cannot be "
                f"changed here: {exc}"
            ) from exc
    spec = spec_of(entry)
    pins[spec.id] = spec
    files: dict[str, str | None] = {path: pins_dump(list(pins.values()))}
    if spec.prompt:
        files[spec.prompt] = prompt_text
    return files
