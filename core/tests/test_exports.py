"""The exporter base, the audit-workbook registry, write_exporters and the export-job machinery,
exercised with small exporters over core's own tables (the audit workbook itself is tested in
dashboard/tests/test_exports.py)."""

import datetime
import io
import itertools
import time
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from core import exports
from core.errors import RuleViolation
from core.exports import (
    PERCENT_FORMAT,
    Exporter,
    ExportKind,
    WorkbookPlan,
    mask_for,
    percent,
    register_audit_exporter,
    write_exporters,
)
from core.models import AuditEvent, Department, ExportJob
from core.roles import Role
from core.tasks import run_export_job
from core.tests.factories import DepartmentFactory, UserFactory, user_with_role

pytestmark = pytest.mark.django_db

HOSTILE = ["=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)", "-2+3", "\t=1+1"]
ID = "41100219900101123X"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Test users get a password; the production hasher spends ~1 s on each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class DepartmentExporter(Exporter):
    """Test sheet: departments with a share and an ID-like column masked by role."""

    sheet_name = "单位"
    headers = ("代码", "名称", "排序", "占比%", "证件号码")
    widths = (10, 30, 8, 10, 22)
    number_formats = {3: PERCENT_FORMAT}

    def _queryset(self):
        return Department.objects.order_by("code")

    def iter_rows(self):
        for code, name, order in (
            self._queryset()
            .values_list("code", "name", "sort_order")
            .iterator(chunk_size=self.chunk_size)
        ):
            yield (code, name, order, percent(order, 3), self.mask(ID))

    def row_count(self):
        return self._queryset().count()


class CountingExporter(Exporter):
    """Test sheet: ``n`` synthetic rows, optionally calling ``on_row`` as each is yielded."""

    sheet_name = "计数"
    headers = ("序号",)

    def __init__(self, *, campaign=None, user=None, n=2500, on_row=None):
        super().__init__(campaign=campaign, user=user)
        self.n = n
        self.on_row = on_row

    def iter_rows(self):
        for number in range(1, self.n + 1):
            if self.on_row:
                self.on_row(number)
            yield (number,)

    def row_count(self):
        return self.n


def _open(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def _write(exporters, **kwargs) -> bytes:
    buffer = io.BytesIO()
    write_exporters(buffer, exporters, **kwargs)
    return buffer.getvalue()


# --- masking and percentages -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "masked"),
    [
        (Role.OFFICE, True),
        (Role.AUDITOR, True),
        (Role.CLERK, True),
        (Role.WORKER, True),
        (Role.REVIEWER, False),
        (Role.FINANCE, False),
    ],
)
def test_id_numbers_are_masked_unless_the_role_may_see_them(role, masked):
    shown = mask_for(user_with_role(role))(ID)
    assert (shown == "4110**********123X") is masked
    assert (shown == ID) is not masked


def test_exports_without_a_user_mask_id_numbers_and_leave_empty_ones_empty():
    assert mask_for(None)(ID) == "4110**********123X"
    assert mask_for(None)("") == ""
    assert mask_for(UserFactory(is_superuser=True))(ID) == ID


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (1, 3, Decimal("33.3")),
        (2, 3, Decimal("66.7")),
        (1, 16, Decimal("6.3")),  # 6.25 rounds half up, not to even
        (0, 5, Decimal("0.0")),
        (7, 5, Decimal("140.0")),
        (3, 0, None),
        (None, 5, None),
    ],
)
def test_percent_has_one_decimal_half_up_and_is_empty_without_a_base(part, whole, expected):
    assert percent(part, whole) == expected


def test_the_base_exporter_demands_both_methods():
    exporter = Exporter(campaign=None, user=None)
    with pytest.raises(NotImplementedError):
        next(iter(exporter.iter_rows()))
    with pytest.raises(NotImplementedError):
        exporter.row_count()


# --- the registry -------------------------------------------------------------------------------


@pytest.fixture
def empty_registry(monkeypatch):
    monkeypatch.setattr(exports, "_AUDIT_EXPORTERS", {})
    monkeypatch.setattr(exports, "_discovered", True)


_made = itertools.count()


def _sheet(name, **attrs):
    """A new exporter class each call (its own dotted path), with sheet ``name``."""
    body = {"sheet_name": name, "headers": ("列",)} | attrs
    return type(f"Sheet{next(_made)}", (Exporter,), body)


def test_audit_sheets_come_out_in_registered_order(empty_registry):
    third, first, second = _sheet("丙"), _sheet("甲"), _sheet("乙")
    register_audit_exporter(third, order=30)
    register_audit_exporter(first, order=10)
    register_audit_exporter(second, order=20)
    assert exports.audit_exporter_classes() == [first, second, third]


def test_registering_the_same_class_twice_keeps_one_entry(empty_registry):
    sheet = _sheet("甲")
    register_audit_exporter(sheet, order=10)
    register_audit_exporter(sheet, order=5)
    assert exports.audit_exporter_classes() == [sheet]


def test_two_classes_cannot_claim_one_sheet_name(empty_registry):
    register_audit_exporter(_sheet("甲"), order=10)
    with pytest.raises(ValueError, match="already registered"):
        register_audit_exporter(_sheet("甲", widths=(5,)), order=20)


@pytest.mark.parametrize(
    "attrs",
    [
        {"sheet_name": ""},
        {"sheet_name": "分类/任务"},
        {"sheet_name": "长" * 32},
        {"headers": ()},
        {"widths": (1, 2)},
        {"number_formats": {3: PERCENT_FORMAT}},
    ],
)
def test_a_malformed_exporter_is_refused_at_registration(empty_registry, attrs):
    with pytest.raises(ValueError, match=r"sheet name|headers|widths|number_formats"):
        register_audit_exporter(_sheet(attrs.pop("sheet_name", "甲"), **attrs), order=1)


def test_the_registry_discovers_every_apps_exports_module(monkeypatch):
    monkeypatch.setattr(exports, "_discovered", False)
    names = [cls.sheet_name for cls in exports.audit_exporter_classes()]
    assert names[:4] == ["目标任务", "分类任务", "月度进度", "报送情况"]
    assert exports.export_kind_get("audit_workbook").code == "audit_workbook"


# --- write_exporters ----------------------------------------------------------------------------


def test_each_sheet_has_a_bold_header_frozen_panes_and_widths():
    DepartmentFactory(code="a1", name="甲单位")
    book = _open(_write([DepartmentExporter(campaign=None, user=None)]))
    sheet = book["单位"]
    assert [c.value for c in sheet[1]] == ["代码", "名称", "排序", "占比%", "证件号码"]
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width == 30


def test_numbers_stay_numbers_and_percentages_show_one_decimal():
    DepartmentFactory(code="a1", name="甲单位", sort_order=1)
    row = list(_open(_write([DepartmentExporter(campaign=None, user=None)]))["单位"].rows)[1]
    assert row[2].value == 1
    assert row[2].data_type == "n"
    assert row[3].value == pytest.approx(33.3)
    assert row[3].number_format == "0.0"
    assert row[4].value == "4110**********123X"


def test_hostile_text_is_never_written_as_a_formula():
    for number, text in enumerate(HOSTILE):
        DepartmentFactory(code=f"h{number}", name=text)
    sheet = _open(_write([DepartmentExporter(campaign=None, user=None)]))["单位"]
    names = [row[1].value for row in sheet.iter_rows(min_row=2)]
    assert names == HOSTILE  # as typed, in code order h0..h4
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]


def test_sheets_are_written_in_the_given_order_and_counted():
    DepartmentFactory(code="a1")
    buffer = io.BytesIO()
    counts = write_exporters(
        buffer, [CountingExporter(n=3), DepartmentExporter(campaign=None, user=None)]
    )
    assert counts == {"计数": 3, "单位": Department.objects.count()}
    assert _open(buffer.getvalue()).sheetnames == ["计数", "单位"]


def test_progress_is_reported_at_start_every_thousand_rows_and_at_the_end():
    calls = []
    _write([CountingExporter(n=2500)], progress=lambda done, total: calls.append((done, total)))
    assert calls == [(0, 2500), (1000, 2500), (2000, 2500), (2500, 2500)]


def test_progress_ends_at_100_percent_when_the_count_was_off():
    class Undercounted(CountingExporter):
        def row_count(self):
            return 10

    calls = []
    _write([Undercounted(n=1500)], progress=lambda done, total: calls.append((done, total)))
    assert calls == [(0, 10), (1000, 1000), (1500, 1500)]


def test_duplicate_sheet_names_are_refused():
    with pytest.raises(ValueError, match="duplicate"):
        _write([CountingExporter(n=1), CountingExporter(n=1)])


def test_a_row_of_the_wrong_length_is_refused():
    class Ragged(CountingExporter):
        def iter_rows(self):
            yield (1, 2)

    with pytest.raises(ValueError, match="2 values for 1 headers"):
        _write([Ragged()])


# --- the ExportJob model ------------------------------------------------------------------------


def test_progress_cannot_exceed_the_total():
    with pytest.raises(IntegrityError), transaction.atomic():
        ExportJob.objects.create(
            kind="k", requested_by=UserFactory(), progress_done=5, progress_total=4
        )


def test_a_done_job_must_have_a_file_and_an_end_time():
    with pytest.raises(IntegrityError), transaction.atomic():
        ExportJob.objects.create(
            kind="k", requested_by=UserFactory(), status="done", finished_at=timezone.now()
        )


def test_one_person_has_at_most_one_active_job_per_kind():
    user = UserFactory()
    ExportJob.objects.create(kind="k", requested_by=user)
    ExportJob.objects.create(kind="other", requested_by=user)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExportJob.objects.create(kind="k", requested_by=user, status="running")


# --- the job services ---------------------------------------------------------------------------


@pytest.fixture
def kind(monkeypatch):
    """A test export kind: the departments sheet, or whatever ``kind.builder`` returns."""

    class Holder:
        builder = staticmethod(
            lambda *, user: WorkbookPlan(
                exporters=[DepartmentExporter(campaign=None, user=user)], filename="测试_单位.xlsx"
            )
        )

    spec = ExportKind(
        code="test_kind", label="测试", build=lambda *, user: Holder.builder(user=user)
    )
    monkeypatch.setitem(exports._EXPORT_KINDS, "test_kind", spec)
    monkeypatch.setattr(exports, "_discovered", True)
    return Holder


def _actions(job):
    return list(
        AuditEvent.objects.for_object(job)
        .order_by("created_at", "id")
        .values_list("action", flat=True)
    )


def test_a_started_job_runs_at_commit_in_eager_mode_and_stores_the_workbook(
    kind, django_capture_on_commit_callbacks
):
    DepartmentFactory(code="a1", name="甲单位")
    office = user_with_role(Role.OFFICE)
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.export_job_start(kind="test_kind", actor=office)
        assert job.status == ExportJob.Status.QUEUED
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert job.progress_done == job.progress_total == Department.objects.count()
    assert job.row_counts == {"单位": Department.objects.count()}
    assert job.download_name == "测试_单位.xlsx"
    assert job.file.name.startswith("exports/")
    assert job.file.name.endswith(".xlsx")
    with job.file.open("rb") as fileobj:
        assert _open(fileobj.read()).sheetnames == ["单位"]
    assert _actions(job) == ["export.start", "export.done"]
    assert job.finished_at is not None


def test_the_workers_audit_rows_carry_the_address_the_job_was_asked_from(kind):
    """The worker runs outside any request; its export.done row says where the export was
    requested, as rows written inside a request do."""
    from core.middleware import client_ip

    office = user_with_role(Role.OFFICE)
    token = client_ip.set("198.51.100.7")
    try:
        job = exports.export_job_start(kind="test_kind", actor=office)  # queued: not run yet
    finally:
        client_ip.reset(token)
    assert client_ip.get() is None
    exports.export_job_run(job_id=job.pk)  # as the worker runs it
    rows = AuditEvent.objects.for_object(job)
    assert dict(rows.values_list("action", "ip_address")) == {
        "export.start": "198.51.100.7",
        "export.done": "198.51.100.7",
    }
    assert client_ip.get() is None  # the worker's context is left as it was


def test_the_workbook_is_built_with_the_requesters_role(kind, django_capture_on_commit_callbacks):
    DepartmentFactory(code="a1")
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.export_job_start(kind="test_kind", actor=user_with_role(Role.AUDITOR))
    job.refresh_from_db()
    with job.file.open("rb") as fileobj:
        sheet = _open(fileobj.read())["单位"]
    assert sheet["E2"].value == "4110**********123X"


@pytest.mark.parametrize("role", [Role.CLERK, Role.WORKER, Role.REVIEWER, Role.FINANCE])
def test_only_office_and_auditor_may_start_an_export(kind, role):
    with pytest.raises(PermissionDenied):
        exports.export_job_start(kind="test_kind", actor=user_with_role(role))
    assert not ExportJob.objects.exists()
    assert not AuditEvent.objects.filter(action="export.start").exists()


def test_an_unknown_kind_is_a_rule_violation():
    with pytest.raises(RuleViolation):
        exports.export_job_start(kind="nope", actor=user_with_role(Role.OFFICE))


def test_starting_again_while_a_job_is_active_returns_that_job(kind):
    office = user_with_role(Role.OFFICE)
    first = exports.export_job_start(kind="test_kind", actor=office)  # callbacks not run: queued
    second = exports.export_job_start(kind="test_kind", actor=office)
    assert second.pk == first.pk
    assert ExportJob.objects.count() == 1
    assert AuditEvent.objects.filter(action="export.start").count() == 1


def test_a_job_lost_by_its_worker_does_not_block_a_new_one(kind):
    office = user_with_role(Role.OFFICE)
    lost = exports.export_job_start(kind="test_kind", actor=office)
    long_ago = timezone.now() - datetime.timedelta(hours=2)
    ExportJob.objects.filter(pk=lost.pk).update(status="running", started_at=long_ago)
    fresh = exports.export_job_start(kind="test_kind", actor=office)
    lost.refresh_from_db()
    assert fresh.pk != lost.pk
    assert lost.status == ExportJob.Status.FAILED
    assert "超时" in lost.error


def test_running_a_finished_job_again_changes_nothing(kind, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.export_job_start(kind="test_kind", actor=user_with_role(Role.OFFICE))
    job.refresh_from_db()
    name, events = job.file.name, AuditEvent.objects.count()
    assert run_export_job.delay(job.pk).get() == "done"
    job.refresh_from_db()
    assert job.file.name == name
    assert AuditEvent.objects.count() == events


def test_a_job_running_in_another_worker_is_not_started_twice(kind):
    job = exports.export_job_start(kind="test_kind", actor=user_with_role(Role.OFFICE))
    ExportJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now())
    exports.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.RUNNING
    assert not job.file


def test_a_failing_export_marks_the_job_failed_with_the_reason(
    kind, django_capture_on_commit_callbacks
):
    def broken(*, user):
        raise RuleViolation("尚未载入专项活动方案，无法导出")

    kind.builder = broken
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.export_job_start(kind="test_kind", actor=user_with_role(Role.OFFICE))
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert job.error == "尚未载入专项活动方案，无法导出"
    assert not job.file
    assert _actions(job) == ["export.start", "export.failed"]


def test_a_crash_while_writing_leaves_no_file(kind, django_capture_on_commit_callbacks):
    class Crashing(CountingExporter):
        def iter_rows(self):
            yield (1,)
            raise OSError("disk full")

    kind.builder = lambda *, user: WorkbookPlan(exporters=[Crashing()], filename="x.xlsx")
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.export_job_start(kind="test_kind", actor=user_with_role(Role.OFFICE))
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert "disk full" in job.error
    assert not job.file


def test_progress_is_recorded_while_rows_are_written(kind, django_capture_on_commit_callbacks):
    seen = {}

    def look(number):
        if number == 1500:
            job = ExportJob.objects.get()
            seen.update(status=job.status, done=job.progress_done, total=job.progress_total)

    kind.builder = lambda *, user: WorkbookPlan(
        exporters=[CountingExporter(n=2500, on_row=look)], filename="x.xlsx"
    )
    with django_capture_on_commit_callbacks(execute=True):
        exports.export_job_start(kind="test_kind", actor=user_with_role(Role.OFFICE))
    assert seen == {"status": "running", "done": 1000, "total": 2500}


def test_a_job_is_visible_to_its_requester_only(kind):
    office = user_with_role(Role.OFFICE)
    job = exports.export_job_start(kind="test_kind", actor=office)
    assert exports.export_job_get_for_user(user=office, pk=job.pk) == job
    for other in (user_with_role(Role.OFFICE), user_with_role(Role.AUDITOR)):
        with pytest.raises(Http404):
            exports.export_job_get_for_user(user=other, pk=job.pk)
    with pytest.raises(Http404):
        exports.export_job_get_for_user(user=office, pk=job.pk + 1000)
    assert list(exports.export_job_list_for_user(user=office)) == [job]


def test_downloading_writes_an_audit_row_and_needs_a_finished_file(
    kind, django_capture_on_commit_callbacks
):
    office = user_with_role(Role.OFFICE)
    queued = exports.export_job_start(kind="test_kind", actor=office)
    with pytest.raises(RuleViolation):
        exports.export_job_download(job=queued, actor=office)
    with django_capture_on_commit_callbacks(execute=True):
        exports.export_job_run(job_id=queued.pk)
    queued.refresh_from_db()
    with exports.export_job_download(job=queued, actor=office) as fileobj:
        assert fileobj.read(2) == b"PK"
    assert _actions(queued)[-1] == "export.download"


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_job_from_the_broker(kind, real_worker):
    DepartmentFactory(code="a1")
    job = exports.export_job_start(kind="test_kind", actor=user_with_role(Role.OFFICE))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.2)
    assert job.status == ExportJob.Status.DONE
    with job.file.open("rb") as fileobj:
        assert _open(fileobj.read())["单位"]["B1"].value == "名称"
