"""JUnit XML: a streaming, entity-free parser for the dialects real tools write,
and the reports (stored raw first, parsed by a worker) it fills.

Dialects: pytest, Maven Surefire/Failsafe, Gradle, jest-junit, go-junit-report;
nested <testsuite> in <testsuite>, <properties>, <skipped>/<error>/<failure>,
<system-out>/<system-err>. Counts come from the testcases themselves, not from
the suites' attributes (which nested suites double-count and tools get wrong).
"""

import contextlib
import hashlib
import logging
import math
import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from math import isfinite
from typing import IO
from xml.parsers import expat

from django.core.files import File
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone

from config import request_context
from config.tasks import publish_light_on_commit
from dashboard.platform.cleaning import finite, note
from dashboard.platform.models import OutboxState
from pipelines.ingest.models import Outcome, Run, TestReport, TestResult
from pipelines.ingest.services.runs import commit_data_changed

logger = logging.getLogger(__name__)

MESSAGE_MAX = 2_000
DETAILS_MAX = 16_000


class JUnitError(ValueError):
    """The document is not a JUnit report we can read (422 to the client)."""

    def __init__(
        self, detail: str, *, line: int | None = None, column: int | None = None
    ):
        super().__init__(detail)
        self.detail = detail
        self.line = line
        self.column = column


@dataclass
class Case:
    suite: str
    classname: str
    name: str
    file: str
    line: int | None
    outcome: str
    duration_seconds: float | None
    message: str = ""
    details: str = ""
    system_out: str = ""


@dataclass
class Totals:
    suites: int = 0
    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    testcase_seconds: float = 0.0
    top_level_seconds: float | None = None
    _top: list[float] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return self.tests - self.failures - self.errors - self.skipped

    @property
    def duration_seconds(self) -> float:
        if self.top_level_seconds is not None:
            return self.top_level_seconds
        if self._top:
            return sum(self._top)
        return self.testcase_seconds


def _local(tag: str) -> str:
    """The tag without a namespace ({urn:x}testcase -> testcase)."""
    return tag.rsplit("}", 1)[-1] if "}" in tag else tag


# The largest value TestResult.line (a PostgreSQL integer) holds.
LINE_MAX = 2_147_483_647


def _seconds(raw: str | None) -> float | None:
    """A duration; "NaN", "Infinity", "1e400" or junk is no duration."""
    if not raw:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        # Some Surefire locales write "1,234.5".
        return finite(raw.replace(",", ""))
    return seconds if math.isfinite(seconds) else None


def _line(raw: str | None) -> int | None:
    """A line number; one beyond the column (or negative) is unknown."""
    try:
        line = int(raw) if raw else None
    except ValueError:
        return None
    if line is not None and not 0 <= line <= LINE_MAX:
        note(f"JUnit line={raw[:30]} is out of range; stored as unknown")
        return None
    return line


def _clip(text: str | None, limit: int, what: str = "") -> str:
    """Text cut to `limit` characters; a cut column (`what`) is noted.

    Texts come from expat, which never delivers a NUL (dropped from the bytes
    before, and refused as a character reference) nor a lone surrogate (invalid
    UTF-8 or UTF-16, or an invalid character reference, is malformed XML): what
    text_clean() would remove cannot be there."""
    if not text:
        return ""
    text = text.strip()
    if len(text) <= limit:
        return text
    if what:
        note(f"JUnit {what} cut from {len(text):,} to {limit:,} characters")
    return text[: limit - 1] + "…"


class _WithoutNul:
    """A UTF-8 byte stream with its NUL bytes dropped: some reporters copy a
    test's raw output (NULs included) into the XML, which expat refuses and a
    PostgreSQL text column cannot hold. UTF-16/32 documents (NULs in every
    character) are passed through unchanged."""

    def __init__(self, raw: IO[bytes]):
        self.raw = raw
        self.first = True
        self.wide = False

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        if self.first and chunk:
            self.first = False
            bom = chunk[:2] in (b"\xff\xfe", b"\xfe\xff")
            self.wide = bom or b"\x00" in chunk[:4]
        if self.wide or b"\x00" not in chunk:
            return chunk
        note("JUnit NUL bytes removed")
        return chunk.replace(b"\x00", b"")


def parse(
    source: str | IO[bytes], totals: Totals | None = None, *, cases: bool = True
) -> Iterator[Case | None]:
    """Yield every testcase, streaming: nothing but the open elements' state is
    kept, so a 500,000-testcase report never sits whole in memory. With
    cases=False only the counts are kept (None is yielded per testcase)."""
    make = _as_case if cases else None
    return _Reader(totals if totals is not None else Totals(), make).rows(source)


def _as_case(
    suite: str,
    classname: str,
    name: str,
    file: str,
    line: int | None,
    outcome: str,
    seconds: float | None,
    message: str,
    details: str,
    system_out: str,
) -> Case:
    return Case(
        suite=suite,
        classname=classname,
        name=name,
        file=file,
        line=line,
        outcome=outcome,
        duration_seconds=seconds,
        message=message,
        details=details,
        system_out=system_out,
    )


def _problem(attrs: dict, text: str | None) -> tuple[str, str]:
    """The message and details of an <error>, <failure> or <skipped>."""
    text = (text or "").strip()
    message = attrs.get("message") or (text.splitlines()[0] if text else "")
    kind = attrs.get("type")
    if kind and kind not in message:
        message = f"{kind}: {message}" if message else kind
    return _clip(message, MESSAGE_MAX), _clip(text, DETAILS_MAX)


# A testcase's children whose text is kept (their text before any child element,
# as ElementTree's .text).
_KEPT = frozenset(("error", "failure", "skipped", "system-out", "system-err"))


# A testcase being read is a list (cheaper to make than an object, once per
# testcase): its depth, attributes, outcome, message, details and output.
_OPEN_OUTCOME, _OPEN_MESSAGE, _OPEN_DETAILS, _OPEN_OUTPUT = 2, 3, 4, 5
_PASSED, _FAILED, _ERROR, _SKIPPED = (
    Outcome.PASSED,
    Outcome.FAILED,
    Outcome.ERROR,
    Outcome.SKIPPED,
)


def check(source: str | IO[bytes], *, outcomes: bool = True) -> Totals:
    """Read the whole document once (streaming, nothing kept) and return its
    counts, or raise JUnitError: the cheap synchronous check at the edge.

    expat's callbacks straight, no ElementTree: nothing is built per element.
    The refusals are parse()'s (entity declarations and external references,
    as defusedxml refuses them; the same messages), and the counts are
    parse()'s (tested file by file). With outcomes=False only the testcases are
    counted (`tests`; the rest stays 0), with no Python run per element
    (_Counter), which is all the upload's answer says."""
    if isinstance(source, str):  # a path
        with open(source, "rb") as fh:
            return check(fh, outcomes=outcomes)
    checker = _Checker() if outcomes else _Counter()
    return checker.run(_WithoutNul(source))


class _Checker:
    """The counting state of check(): a stack of open tags, the outcome and
    time of the open testcase, the time of each open suite."""

    def __init__(self) -> None:
        self.totals = Totals()
        self.stack: list[str] = []
        self.times: list[str | None] = []
        self.outcome = Outcome.PASSED

    def run(self, stream: "_WithoutNul") -> Totals:
        parser = self.parser()
        while chunk := stream.read(64 * 1024):
            self.feed(parser, chunk, False)
        self.feed(parser, b"", True)
        return self.totals

    def parser(self) -> "expat.XMLParserType":
        parser = expat.ParserCreate(namespace_separator="}")
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.EntityDeclHandler = self.entity
        parser.UnparsedEntityDeclHandler = self.unparsed_entity
        parser.ExternalEntityRefHandler = self.external
        return parser

    @staticmethod
    def feed(parser: "expat.XMLParserType", chunk: bytes, final: bool) -> None:
        try:
            parser.Parse(chunk, final)
        except expat.ExpatError as exc:
            message = expat.ErrorString(exc.code)
            raise JUnitError(
                f"Malformed XML at line {exc.lineno}, column {exc.offset + 1}: "
                f"{message}.",
                line=exc.lineno,
                column=exc.offset + 1,
            ) from exc

    def start(self, tag: str, attrs: dict) -> None:
        tag = _local(tag)
        stack = self.stack
        if not stack and tag not in ("testsuites", "testsuite"):
            raise JUnitError(
                f"Not a JUnit report: the root element is <{tag}>, expected "
                "<testsuites> or <testsuite>."
            )
        if tag == "testsuite":
            self.totals.suites += 1
        elif tag == "testcase":
            self.outcome = Outcome.PASSED
        elif stack and stack[-1] == "testcase":
            if tag in ("error", "failure") and self.outcome not in (
                Outcome.ERROR,
                Outcome.FAILED,
            ):
                self.outcome = Outcome.ERROR if tag == "error" else Outcome.FAILED
            elif tag == "skipped" and self.outcome == Outcome.PASSED:
                self.outcome = Outcome.SKIPPED
        stack.append(tag)
        self.times.append(attrs.get("time"))

    def end(self, _tag: str) -> None:
        tag = self.stack.pop()
        raw_time = self.times.pop()
        totals = self.totals
        if tag == "testcase":
            totals.tests += 1
            totals.testcase_seconds += _seconds(raw_time) or 0.0
            if self.outcome == Outcome.FAILED:
                totals.failures += 1
            elif self.outcome == Outcome.ERROR:
                totals.errors += 1
            elif self.outcome == Outcome.SKIPPED:
                totals.skipped += 1
        elif tag == "testsuite":
            seconds = _seconds(raw_time)
            if not self.stack:
                totals.top_level_seconds = seconds
            elif len(self.stack) == 1 and self.stack[0] == "testsuites":
                totals._top.append(seconds or 0.0)
        elif tag == "testsuites" and not self.stack:
            seconds = _seconds(raw_time)
            if seconds is not None:
                totals.top_level_seconds = seconds

    def entity(self, name, is_parameter, value, base, system_id, *_args) -> None:
        raise JUnitError(
            f"XML entity declarations are refused (found {name!r}); a JUnit "
            "report never needs them, and they are how XML bombs work."
        )

    def unparsed_entity(self, name, *_args) -> None:
        self.entity(name, False, None, None, None)

    def external(self, context, base, system_id, public_id) -> None:
        raise JUnitError(
            f"Refused: external reference {system_id or public_id!r} in the document."
        )


class _Counter(_Checker):
    """check(outcomes=False): the root element from its start, the testcases
    from the elements' ends. No Python runs per element: each end appends its
    tag to a list (list.append, a C call; expat builds no attribute dict
    without a start handler), and the tags of each chunk are counted at once
    (Counter, in C) before the list is emptied, so it never holds more than a
    chunk's elements. A well-formed document ends every element it starts, and
    one that is not raises: the count is the testcases'."""

    def __init__(self) -> None:
        super().__init__()
        self.ended: list[str] = []

    def run(self, stream: "_WithoutNul") -> Totals:
        parser = self.parser()
        while chunk := stream.read(64 * 1024):
            self.feed(parser, chunk, False)
            self.count()
        self.feed(parser, b"", True)
        self.count()
        return self.totals

    def parser(self) -> "expat.XMLParserType":
        parser = super().parser()
        parser.StartElementHandler = self.root
        parser.EndElementHandler = self.ended.append
        self._parser = parser
        return parser

    def root(self, tag: str, attrs: dict) -> None:
        # The first element only: then no start handler at all.
        self._parser.StartElementHandler = None
        tag = _local(tag)
        if tag not in ("testsuites", "testsuite"):
            raise JUnitError(
                f"Not a JUnit report: the root element is <{tag}>, expected "
                "<testsuites> or <testsuite>."
            )

    def count(self) -> None:
        ended = self.ended
        if not ended:
            return
        for tag, n in Counter(ended).items():
            if tag == "testcase" or tag.endswith("}testcase"):
                self.totals.tests += n
        ended.clear()


class _Reader(_Checker):
    """parse()'s state: expat callbacks straight (no element tree), the same
    refusals as check(). Each finished testcase is handed to `make` (Case, or
    a COPY row) and kept until the chunk in hand is parsed, then yielded.

    The callbacks run once per element (50,000 testcases: 100,000 calls), so
    they are written for speed: a testcase being read is a list (_OPEN_*), the
    outcomes are module constants, a value is clipped only when it is long."""

    def __init__(self, totals: Totals, make) -> None:
        super().__init__()
        self.totals = totals
        self.make = make
        self.done: list = []
        self.suites: list[str] = []
        # The open testcases: [depth, attributes, outcome, message, details,
        # output (a list, once one of its children wrote any)].
        self.open: list[list] = []
        # The attributes of every open element (a suite's time is read at its
        # end).
        self.opened: list[dict] = []
        # The testcase child whose text is kept: its tag, attributes and depth;
        # its text so far, read until a child element of its own starts.
        self.child: tuple[str, dict, int] | None = None
        self.text: list[str] = []
        self.reading = False

    def rows(self, source: str | IO[bytes]) -> Iterator:
        if isinstance(source, str):  # a path
            with open(source, "rb") as fh:
                yield from self.rows(fh)
            return
        stream = _WithoutNul(source)
        parser = self.parser()
        parser.CharacterDataHandler = self.chars
        parser.buffer_text = True
        done = self.done
        while chunk := stream.read(64 * 1024):
            self.feed(parser, chunk, False)
            yield from done
            done.clear()
        self.feed(parser, b"", True)
        yield from done
        done.clear()

    def start(self, tag: str, attrs: dict) -> None:
        if "}" in tag:
            tag = tag.rsplit("}", 1)[-1]
        stack = self.stack
        self.reading = False
        if tag == "testcase" and stack:
            self.open.append([len(stack), attrs, _PASSED, "", "", None])
        elif not stack and tag not in ("testsuites", "testsuite"):
            raise JUnitError(
                f"Not a JUnit report: the root element is <{tag}>, expected "
                "<testsuites> or <testsuite>."
            )
        elif tag == "testsuite":
            self.totals.suites += 1
            self.suites.append(_clip(attrs.get("name"), 500, "suite"))
        elif tag in _KEPT and self.open and self.open[-1][0] == len(stack) - 1:
            self.child = (tag, attrs, len(stack))
            self.text = []
            self.reading = True
        stack.append(tag)
        self.opened.append(attrs)

    def chars(self, data: str) -> None:
        if self.reading:
            self.text.append(data)

    def end(self, _tag: str) -> None:
        stack = self.stack
        tag = stack.pop()
        attrs = self.opened.pop()
        child = self.child
        if child is not None and child[2] == len(stack):
            self._child_end(child[0], child[1])
        elif tag == "testcase":
            self._case_end(self.open.pop())
        elif tag == "testsuite":
            self.suites.pop()
            seconds = _seconds(attrs.get("time"))
            if not stack:
                self.totals.top_level_seconds = seconds
            elif len(stack) == 1 and stack[0] == "testsuites":
                self.totals._top.append(seconds or 0.0)
        elif tag == "testsuites" and not stack:
            seconds = _seconds(attrs.get("time"))
            if seconds is not None:
                self.totals.top_level_seconds = seconds

    def _child_end(self, kind: str, attrs: dict) -> None:
        parts = self.text
        # ElementTree's .text: None when there was none.
        text = "".join(parts) if parts else None
        self.child = None
        self.reading = False
        case = self.open[-1]
        outcome = case[_OPEN_OUTCOME]
        if kind in ("error", "failure"):
            if outcome is not _ERROR and outcome is not _FAILED:
                case[_OPEN_OUTCOME] = _ERROR if kind == "error" else _FAILED
                case[_OPEN_MESSAGE], case[_OPEN_DETAILS] = _problem(attrs, text)
        elif kind == "skipped":
            if outcome is _PASSED:
                case[_OPEN_OUTCOME] = _SKIPPED
                case[_OPEN_MESSAGE], case[_OPEN_DETAILS] = _problem(attrs, text)
        elif text:  # system-out, system-err
            if case[_OPEN_OUTPUT] is None:
                case[_OPEN_OUTPUT] = [text]
            else:
                case[_OPEN_OUTPUT].append(text)

    def _case_end(self, case: list) -> None:
        _depth, attrs, outcome, message, details, output = case
        raw = attrs.get("time")
        if raw:  # _seconds(raw), its common case inline
            try:
                seconds = float(raw)
            except ValueError:
                seconds = _seconds(raw)
            else:
                if not isfinite(seconds):
                    seconds = None
        else:
            seconds = None
        totals = self.totals
        totals.tests += 1
        if seconds:
            totals.testcase_seconds += seconds
        if outcome is not _PASSED:
            if outcome is _FAILED:
                totals.failures += 1
            elif outcome is _ERROR:
                totals.errors += 1
            else:
                totals.skipped += 1
        make = self.make
        if make is None:
            self.done.append(None)
            return
        # _clip()'s work, called only for a value it would cut.
        classname = attrs.get("classname") or attrs.get("class")
        if classname:
            classname = classname.strip()
            if len(classname) > 500:
                classname = _clip(classname, 500, "classname")
        else:
            classname = ""
        name = attrs.get("name")
        if name:
            name = name.strip()
            if len(name) > 1000:
                name = _clip(name, 1000, "name")
        # A blank name (some reporters write " ") is as good as none.
        if not name:
            name = "(unnamed)"
        file = attrs.get("file")
        if file:
            file = file.strip()
            if len(file) > 500:
                file = _clip(file, 500, "file")
        else:
            file = ""
        raw = attrs.get("line")
        suites = self.suites
        self.done.append(
            make(
                suites[-1] if suites else "",
                classname,
                name,
                file,
                _line(raw) if raw else None,
                outcome,
                seconds,
                message,
                details,
                _clip("\n".join(output), DETAILS_MAX)
                if output and outcome is not _PASSED
                else "",
            )
        )


def testcase_key(classname: str, name: str) -> str:
    return hashlib.sha1(
        f"{classname}::{name}".encode(), usedforsecurity=False
    ).hexdigest()


# --- Reports --------------------------------------------------------------------
@dataclass
class Spooled:
    """An upload copied to a temporary file, with its size and digest."""

    path: str
    size: int
    sha256: str

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


class TooLarge(ValueError):
    pass


def spool(chunks: Iterator[bytes], *, limit: int) -> Spooled:
    """Copy a body to disk in chunks, refusing it once it passes `limit` bytes."""
    digest = hashlib.sha256()
    size = 0
    fd, path = tempfile.mkstemp(prefix="junit-", suffix=".xml")
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise TooLarge(f"The report is larger than {limit} bytes.")
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        os.unlink(path)
        raise
    return Spooled(path=path, size=size, sha256=digest.hexdigest())


@transaction.atomic
def report_create(*, run: Run, spooled: Spooled, filename: str = "") -> TestReport:
    """Keep the upload (file storage) and its row, then let a worker parse it."""
    report = TestReport(
        run=run,
        domain_id=run.domain_id,
        filename=(filename or "junit.xml")[:255],
        size_bytes=spooled.size,
        sha256=spooled.sha256,
        request_id=_request_id(),
        enqueued_at=timezone.now(),
        enqueue_count=1,
    )
    with open(spooled.path, "rb") as fh:
        report.file.save(f"{spooled.sha256[:16]}.xml", File(fh), save=False)
    report.save()
    publish_light_on_commit(TestReport.outbox_task_name, report.pk)
    return report


def _request_id() -> str:
    return request_context.current_request_id()[:128]


def report_parse(*, report_id: int) -> str:
    """Parse a stored report into test results. Idempotent: a parsed report is
    left alone; a half-parsed one (worker killed) starts again from zero."""
    with transaction.atomic():
        report = (
            TestReport.objects.select_for_update()
            .select_related("run")
            .filter(pk=report_id)
            .first()
        )
        if report is None:
            return "missing"
        if report.state in (OutboxState.DONE, OutboxState.FAILED):
            return report.state
        TestResult.objects.filter(report=report).delete()
        totals = Totals()
        try:
            # A savepoint: a value the database still refuses fails this report
            # (replayable), never the transaction that records why.
            with transaction.atomic(), report.file.open("rb") as fh:
                _store(report, totals, fh)
        except (JUnitError, DataError, IntegrityError) as exc:
            detail = exc.detail if isinstance(exc, JUnitError) else _db_reason(exc)
            report.state = OutboxState.FAILED
            report.error = detail
            report.processed_at = timezone.now()
            report.save()
            logger.warning(
                "junit report refused",
                extra={"report_id": report.pk, "error": detail},
            )
            return report.state
        report.suites = totals.suites
        report.tests = totals.tests
        report.failures = totals.failures
        report.errors = totals.errors
        report.skipped = totals.skipped
        report.duration_seconds = finite(round(totals.duration_seconds, 3))
        report.state = OutboxState.DONE
        report.error = ""
        report.processed_at = timezone.now()
        report.save()
        commit_data_changed(
            repository_id=report.run.repository_id, sha=report.run.head_sha
        )
    logger.info(
        "junit report parsed",
        extra={
            "report_id": report.pk,
            "tests": totals.tests,
            "failures": totals.failures,
        },
    )
    return report.state


def _db_reason(exc: Exception) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return (
        f"The database refused a value of this report ({type(exc).__name__}: {first})."[
            :2000
        ]
    )


def report_fail(*, report_id: int, reason: str) -> str:
    """Mark a report failed for good (a data error the parse could not catch)."""
    TestReport.objects.filter(pk=report_id).exclude(state=OutboxState.DONE).update(
        state=OutboxState.FAILED, error=reason[:2000], processed_at=timezone.now()
    )
    return OutboxState.FAILED


# The columns COPY fills, in the order _row() gives them.
COPY_COLUMNS = (
    "report_id",
    "run_id",
    "test_key",
    "suite",
    "classname",
    "name",
    "file",
    "line",
    "outcome",
    "duration_seconds",
    "message",
    "details",
    "system_out",
)


def _store(report: TestReport, totals: Totals, fh: IO[bytes]) -> int:
    """Parse the report straight into the results table with one COPY (psycopg
    sends it in chunks as rows come): no model instances, no row-by-row INSERT,
    memory flat in the number of testcases. The caller's transaction holds it,
    so a refused value leaves no half of a report."""
    meta = TestResult._meta
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(meta.get_field(c.removesuffix("_id")).column) for c in COPY_COLUMNS
    )
    report_id, run_id = report.pk, report.run_id
    sha1 = hashlib.sha1

    def row(
        suite, classname, name, file, line, outcome, seconds, message, details, out
    ):
        key = sha1(f"{classname}::{name}".encode(), usedforsecurity=False)
        # The COPY_COLUMNS order.
        return (
            report_id,
            run_id,
            key.hexdigest(),
            suite,
            classname,
            name,
            file,
            line,
            outcome,
            seconds,
            message,
            details,
            out,
        )

    stored = 0
    if connection.vendor != "postgresql":
        return _store_batched(meta, columns, _Reader(totals, row).rows(fh))
    # Binary: no text escaping on our side, no parsing of numbers on theirs.
    copy_sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN (FORMAT BINARY)"  # nosec B608
    types = [
        meta.get_field(c.removesuffix("_id")).rel_db_type(connection)
        if c.endswith("_id")
        else meta.get_field(c).db_type(connection)
        for c in COPY_COLUMNS
    ]
    # psycopg's own errors become Django's (DataError, IntegrityError), as
    # through cursor.execute().
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(copy_sql) as copy,
    ):
        copy.set_types([t.split("(")[0] for t in types])
        write = copy.write_row
        for values in _Reader(totals, row).rows(fh):
            write(values)
            stored += 1
    return stored


def _store_batched(meta, columns: str, rows, batch: int = 500) -> int:
    """The same rows without COPY (SQLite, under a bare `make run`): INSERTs of
    `batch` rows at a time, memory still flat in the number of testcases."""
    marks = ", ".join(["%s"] * len(COPY_COLUMNS))
    table = connection.ops.quote_name(meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608  # nosec B608
    stored = 0
    with connection.cursor() as cursor:
        chunk = []
        for values in rows:
            chunk.append(values)
            if len(chunk) == batch:
                cursor.executemany(sql, chunk)
                stored += len(chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)
            stored += len(chunk)
    return stored
