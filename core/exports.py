"""Excel exports: exporter classes, the audit-workbook registry, and background export jobs.

An *exporter* is one sheet: a fixed Chinese ``sheet_name``, ``headers``, column ``widths`` and an
``iter_rows()`` generator that reads through a selector with ``.iterator()`` / ``.values_list()``,
so memory stays flat however many rows there are. ``row_count()`` is a cheap count used only for
the progress bar. Each app keeps its exporters in ``<app>/exports.py``.

A *workbook* is an ordered list of exporters. The audit workbook (审计工作簿) is assembled from
whatever apps register with ``register_audit_exporter(cls, order=N)`` when their ``exports``
module is imported; ``<app>.exports`` modules are imported automatically (like the admin's
autodiscovery) the first time a registry is read, so a new app adds a sheet without editing
anyone else's file.

An *export kind* (``ExportKind``) names what an ``ExportJob`` builds: the dashboard registers
"audit_workbook". ``export_job_start`` queues a job, ``export_job_run`` (called by the Celery task
``core.tasks.run_export_job``) writes the file in a temporary place, then stores it on the job;
the requester polls the job page and downloads the file. Without a broker (Celery eager) the job
runs as soon as the starting transaction commits.

Every cell goes through ``core.xlsx.XlsxWriter``: text is never a formula, ID numbers stay text.
"""

from __future__ import annotations

import datetime
import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _

from core.errors import RuleViolation
from core.middleware import client_ip
from core.models import ExportJob, User
from core.roles import CITY_WIDE_READERS, Role
from core.services import audit_record
from core.validators import mask_resident_id
from core.xlsx import XlsxWriter

if TYPE_CHECKING:
    from os import PathLike

    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# Masking
# --------------------------------------------------------------------------------------------

# Roles whose work needs full resident ID numbers: the 人社 reviewer checks a person's identity
# against certificates, finance matches payees to bank records. Everyone else, the office and the
# superior auditor included, receives masked numbers (4110**********123X).
ID_NUMBER_ROLES = frozenset({Role.REVIEWER, Role.FINANCE})


def may_see_id_numbers(user: User | None) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and (user.is_superuser or user.has_role(*ID_NUMBER_ROLES))
    )


def _show_in_full(value: str | None) -> str:
    return value or ""


def _masked(value: str | None) -> str:
    return mask_resident_id(value) if value else ""


def mask_for(user: User | None) -> Callable[[str | None], str]:
    """The function an exporter applies to every ID number: identity for roles that may see
    them, ``mask_resident_id`` otherwise (also for ``None``, a command run without a user)."""
    return _show_in_full if may_see_id_numbers(user) else _masked


# --------------------------------------------------------------------------------------------
# Exporters
# --------------------------------------------------------------------------------------------

PERCENT_FORMAT = "0.0"
INTEGER_FORMAT = "0"


def percent(part: int | None, whole: int | None) -> Decimal | None:
    """``part`` as a percentage of ``whole`` with one decimal (half up); None when either is
    missing or ``whole`` is 0, so the cell stays empty instead of showing a made-up 0."""
    if part is None or not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


class Exporter:
    """One sheet of a workbook. Subclasses set the class attributes and implement the two methods.

    ``number_formats`` maps a 0-based column index to an Excel number format (e.g.
    ``PERCENT_FORMAT`` for a percentage column); other numbers keep the writer's defaults.
    Constructed per export with the campaign and the person exporting, so that rows can depend on
    the role (``self.mask`` masks ID numbers unless the role may see them).
    """

    sheet_name: ClassVar[str] = ""
    headers: ClassVar[Sequence[str]] = ()
    widths: ClassVar[Sequence[float] | None] = None
    number_formats: ClassVar[Mapping[int, str]] = {}
    chunk_size: ClassVar[int] = 2000

    def __init__(self, *, campaign: Any, user: User | None) -> None:
        self.campaign = campaign
        self.user = user
        self.mask = mask_for(user)

    def iter_rows(self) -> Iterator[Sequence[Any]]:
        """Yield one sequence per data row, in ``headers`` order."""
        raise NotImplementedError

    def row_count(self) -> int:
        """How many rows ``iter_rows`` will yield (a cheap count, for progress only)."""
        raise NotImplementedError


_INVALID_SHEET_CHARS = frozenset("[]:*?/\\")


def _check_exporter_class(cls: type[Exporter]) -> None:
    name = cls.sheet_name
    if not name or len(name) > 31 or _INVALID_SHEET_CHARS & set(name):
        raise ValueError(f"{cls.__qualname__}: invalid Excel sheet name {name!r}")
    if not cls.headers:
        raise ValueError(f"{cls.__qualname__}: headers are required")
    if cls.widths is not None and len(cls.widths) != len(cls.headers):
        raise ValueError(f"{cls.__qualname__}: widths must have one entry per header")
    if any(not 0 <= index < len(cls.headers) for index in cls.number_formats):
        raise ValueError(f"{cls.__qualname__}: number_formats names a column that does not exist")


# --------------------------------------------------------------------------------------------
# The audit-workbook registry
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Registration:
    order: int
    cls: type[Exporter]


# Keyed by the class's dotted path, so re-importing a module replaces its entries.
_AUDIT_EXPORTERS: dict[str, _Registration] = {}
_discovered = False


def _autodiscover() -> None:
    """Import every installed app's ``exports`` module once, so their registrations run."""
    global _discovered
    if not _discovered:
        _discovered = True
        autodiscover_modules("exports")


def register_audit_exporter(cls: type[Exporter], *, order: int) -> type[Exporter]:
    """Add a sheet to the audit workbook at position ``order`` (lower first). Sheet names must be
    unique across the workbook. Returns ``cls``, so it can be used after the class statement."""
    _check_exporter_class(cls)
    key = f"{cls.__module__}.{cls.__qualname__}"
    for other_key, registration in _AUDIT_EXPORTERS.items():
        if other_key != key and registration.cls.sheet_name == cls.sheet_name:
            raise ValueError(f"sheet name {cls.sheet_name!r} is already registered by {other_key}")
    _AUDIT_EXPORTERS[key] = _Registration(order=order, cls=cls)
    return cls


def audit_exporter_classes() -> list[type[Exporter]]:
    """The audit workbook's sheets, in order."""
    _autodiscover()
    registrations = sorted(_AUDIT_EXPORTERS.values(), key=lambda r: (r.order, r.cls.sheet_name))
    return [registration.cls for registration in registrations]


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------

ProgressCallback = Callable[[int, int], None]
PROGRESS_EVERY = 1000


class _ExportWriter(XlsxWriter):
    """The project's writer plus per-column number formats (percentages with one decimal)."""

    def append_formatted(
        self, worksheet: WriteOnlyWorksheet, values: Iterable[Any], formats: Mapping[int, str]
    ) -> None:
        if not formats:
            self.append(worksheet, values)
            return
        cells = []
        for index, value in enumerate(values):
            number_format = formats.get(index)
            if not number_format:
                # Plain values where possible: the writer's fast path (XlsxWriter._value).
                cells.append(self._value(worksheet, value))
                continue
            cell = self._cell(worksheet, value)
            if cell is not None and cell.data_type == "n":
                cell.number_format = number_format
            cells.append(cell)
        worksheet.append(cells)


def write_exporters(
    target: str | PathLike[str] | IO[bytes],
    exporters: Iterable[Exporter],
    progress: ProgressCallback | None = None,
    *,
    every: int = PROGRESS_EVERY,
) -> dict[str, int]:
    """Write one sheet per exporter, in order, and return the row count of each sheet.

    Each sheet gets a bold header row, frozen panes at A2 and the exporter's widths. With
    ``progress``, the row counts are read first and ``progress(rows_done, rows_total)`` is called
    at the start, every ``every`` rows and at the end (then ``rows_done == rows_total``, even if
    the data changed between counting and writing). Raises ValueError for duplicate sheet names
    or a row whose length differs from the headers.
    """
    exporters = list(exporters)
    names = [exporter.sheet_name for exporter in exporters]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate sheet names in {names}")
    total = sum(exporter.row_count() for exporter in exporters) if progress else 0
    done = 0
    counts: dict[str, int] = {}
    with _ExportWriter() as writer:
        if progress:
            progress(0, total)
        for exporter in exporters:
            width = len(exporter.headers)
            worksheet = writer.add_sheet(
                exporter.sheet_name, exporter.headers, widths=exporter.widths, freeze="A2"
            )
            rows = 0
            for row in exporter.iter_rows():
                if len(row) != width:
                    raise ValueError(
                        f"{type(exporter).__qualname__} yielded {len(row)} values for "
                        f"{width} headers"
                    )
                writer.append_formatted(worksheet, row, exporter.number_formats)
                rows += 1
                done += 1
                if progress and done % every == 0:
                    progress(done, max(total, done))
            counts[exporter.sheet_name] = rows
        writer.save(target)
    if progress:
        progress(done, done)
    return counts


# --------------------------------------------------------------------------------------------
# Export kinds and jobs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkbookPlan:
    """What a job writes: the exporters (already constructed) and the file name people see."""

    exporters: list[Exporter]
    filename: str


@dataclass(frozen=True)
class ExportKind:
    """A workbook people can ask for as a job. ``build(user=...)`` returns its ``WorkbookPlan``
    (raising RuleViolation when it cannot be built now, e.g. no campaign loaded)."""

    code: str
    label: str
    build: Callable[..., WorkbookPlan]
    roles: frozenset[Role] = field(default=CITY_WIDE_READERS)


_EXPORT_KINDS: dict[str, ExportKind] = {}


def register_export_kind(kind: ExportKind) -> ExportKind:
    if len(kind.code) > ExportJob._meta.get_field("kind").max_length:
        raise ValueError(f"export kind code {kind.code!r} is too long")
    _EXPORT_KINDS[kind.code] = kind
    return kind


def export_kind_get(code: str) -> ExportKind:
    """The registered kind, or RuleViolation for an unknown code."""
    _autodiscover()
    kind = _EXPORT_KINDS.get(code)
    if kind is None:
        raise RuleViolation(_("未知的导出类型：%(code)s") % {"code": code}, code="unknown_kind")
    return kind


def can_start_export(user: User, kind: ExportKind) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(*kind.roles))


def can_view_export_job(user: User, job: ExportJob) -> bool:
    """Only the requester: the file was built with the requester's role (masking), so it is
    never handed to somebody else, not even a colleague with the same role."""
    return user.is_authenticated and job.requested_by_id == user.pk


def _stale_after() -> datetime.timedelta:
    # A job still queued or running well past the task's hard time limit was lost (broker
    # restarted, worker killed); it must not block its requester forever.
    limit = getattr(settings, "CELERY_TASK_TIME_LIMIT", None) or 30 * 60
    return datetime.timedelta(seconds=limit + 5 * 60)


def _is_stale(job: ExportJob, now: datetime.datetime) -> bool:
    return (job.started_at or job.created_at) < now - _stale_after()


def _fail(job: ExportJob, message: str) -> None:
    job.status = ExportJob.Status.FAILED
    job.error = message
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at", "updated_at"])


@transaction.atomic
def export_job_start(*, kind: str, actor: User) -> ExportJob:
    """Queue a workbook of ``kind`` for ``actor`` and return the job.

    If the actor already has a job of this kind queued or running, that job is returned instead
    of starting a second one (a double click). A job left over from a lost worker is marked
    failed first. Side effects: AuditEvent ``export.start``; ``run_export_job`` queued after
    commit (run at once in eager mode). Raises PermissionDenied when the actor's role may not
    export this kind, RuleViolation for an unknown kind.
    """
    from core.outbox import outbox_enqueue
    from core.tasks import run_export_job

    spec = export_kind_get(kind)
    if not can_start_export(actor, spec):
        raise PermissionDenied
    now = timezone.now()
    active = (
        ExportJob.objects.select_for_update()
        .filter(kind=kind, requested_by=actor, status__in=ExportJob.ACTIVE_STATUSES)
        .first()
    )
    if active is not None:
        if not _is_stale(active, now):
            return active
        _fail(active, _("超时未完成，已重新开始"))
        audit_record(
            actor=None, action="export.failed", obj=active, to_state="failed", reason=active.error
        )
    try:
        with transaction.atomic():
            job = ExportJob.objects.create(
                kind=kind, requested_by=actor, requested_from=client_ip.get()
            )
    except IntegrityError:
        # Another request of the same person created it in between (UniqueConstraint).
        return ExportJob.objects.get(
            kind=kind, requested_by=actor, status__in=ExportJob.ACTIVE_STATUSES
        )
    audit_record(
        actor=actor, action="export.start", obj=job, to_state=job.status, changes={"kind": kind}
    )
    outbox_enqueue(run_export_job, job_id=job.pk)  # survives a broker outage (core.outbox)
    return job


@transaction.atomic
def _claim(job_id: int) -> ExportJob | None:
    """Mark the job running, or None when it must not run (finished, or running elsewhere)."""
    job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.is_finished:
        return None
    now = timezone.now()
    if job.status == ExportJob.Status.RUNNING and not _is_stale(job, now):
        return None
    job.status = ExportJob.Status.RUNNING
    job.started_at = now
    job.progress_done = 0
    job.save(update_fields=["status", "started_at", "progress_done", "updated_at"])
    return job


def _report_progress(job_id: int) -> ProgressCallback:
    def report(done: int, total: int) -> None:
        # A plain UPDATE outside any transaction, so the polling page sees it at once.
        ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).update(
            progress_done=done, progress_total=total, updated_at=timezone.now()
        )

    return report


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Write the job's workbook and store it on the job. Called by the Celery task.

    Idempotent: a finished job (done or failed) is left alone, and so is one another worker is
    still running. Not atomic on purpose: progress is committed as rows are written, so the job
    page can show it. The workbook goes to a temporary file first, then into storage, so a
    half-written file is never offered. On success: status done, AuditEvent ``export.done`` with
    the row count of each sheet. On any error: status failed with the message, AuditEvent
    ``export.failed``; the error is logged, not raised (a retry would fail the same way).
    """
    job = _claim(job_id)
    if job is None:
        return ExportJob.objects.filter(pk=job_id).first()
    # The worker has no request: its audit rows carry the address the job was asked from.
    token = client_ip.set(job.requested_from)
    try:
        return _run(job)
    finally:
        client_ip.reset(token)


def _run(job: ExportJob) -> ExportJob:
    job_id = job.pk
    try:
        plan = export_kind_get(job.kind).build(user=job.requested_by)
        with tempfile.TemporaryDirectory(prefix="export-") as tmp:
            path = Path(tmp) / "workbook.xlsx"
            counts = write_exporters(path, plan.exporters, progress=_report_progress(job.pk))
            with path.open("rb") as fileobj:
                job.file.save("workbook.xlsx", File(fileobj), save=False)
    except Exception as exc:
        logger.exception("export job %s failed", job_id)
        if job.file:
            job.file.delete(save=False)
        message = exc.message if isinstance(exc, RuleViolation) else f"{type(exc).__name__}: {exc}"
        with transaction.atomic():
            job.refresh_from_db(fields=["progress_done", "progress_total"])
            _fail(job, str(message)[:2000])
            audit_record(
                actor=job.requested_by,
                action="export.failed",
                obj=job,
                from_state="running",
                to_state="failed",
                reason=job.error,
            )
        return job
    rows = sum(counts.values())
    with transaction.atomic():
        job.status = ExportJob.Status.DONE
        job.progress_done = job.progress_total = rows
        job.row_counts = counts
        job.download_name = plan.filename
        job.finished_at = timezone.now()
        job.save()
        audit_record(
            actor=job.requested_by,
            action="export.done",
            obj=job,
            from_state="running",
            to_state="done",
            changes={"kind": job.kind, "rows": counts, "filename": plan.filename},
        )
    return job


def export_job_get_for_user(*, user: User, pk: int) -> ExportJob:
    """The job if ``user`` may see it; Http404 otherwise (whether or not it exists)."""
    job = ExportJob.objects.select_related("requested_by").filter(pk=pk).first()
    if job is None or not can_view_export_job(user, job):
        raise Http404
    return job


def export_job_list_for_user(*, user: User, kind: str | None = None):
    """The user's own jobs, newest first."""
    if not user.is_authenticated:
        return ExportJob.objects.none()
    qs = ExportJob.objects.filter(requested_by=user)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-created_at", "-id")


@transaction.atomic
def export_job_download(*, job: ExportJob, actor: User) -> File:
    """Open a finished job's file for its requester. Side effect: AuditEvent
    ``export.download`` (who received the data, and when). Raises Http404 for someone else's
    job, RuleViolation when the file is not ready."""
    if not can_view_export_job(actor, job):
        raise Http404
    if job.status != ExportJob.Status.DONE or not job.file:
        raise RuleViolation(_("文件尚未生成完毕"), code="not_ready")
    audit_record(actor=actor, action="export.download", obj=job, changes={"kind": job.kind})
    return job.file.open("rb")
