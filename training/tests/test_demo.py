"""seed_demo fills a believable history of monthly returns up to the demo's today
(APP_TODAY=2014-07-02T10:00:00): accepted, late, missing and amended returns; a current month
with drafts and one submission; and it is safe to run twice."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.test.utils import override_settings

from core.models import AuditEvent, Department, User
from training import deadlines, selectors
from training.models import (
    OUTCOME_FIELDS,
    CorrectionRequest,
    MonthlyReturn,
    ReturnAmendment,
    ReturnLine,
    ReturnReminder,
)

pytestmark = pytest.mark.django_db
JUNE = datetime.date(2014, 6, 1)
RESPONSIBLE_UNITS = 9
HISTORY_MONTHS = 17  # 2013-01 … 2014-05


DEMO = {
    "DEBUG": True,
    "APP_TODAY": "2014-07-02T10:00:00",
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
}


@pytest.fixture(scope="module")
def _seeded_once(django_db_setup, django_db_blocker):
    """Seed once for the module (the full seed_demo takes seconds), inside a transaction that is
    rolled back at the end; each test runs in its own savepoint within it."""
    from core.services import roles_sync
    from training.services.plan import plan_load

    with django_db_blocker.unblock(), transaction.atomic(), override_settings(**DEMO):
        roles_sync()
        campaign = plan_load().campaign
        call_command("seed_demo", stdout=io.StringIO())
        yield campaign
        transaction.set_rollback(True)


@pytest.fixture
def seeded(_seeded_once, settings):
    for name, value in DEMO.items():
        setattr(settings, name, value)
    return _seeded_once


def counts() -> dict[str, int]:
    return {
        "returns": MonthlyReturn.objects.count(),
        "lines": ReturnLine.objects.count(),
        "corrections": CorrectionRequest.objects.count(),
        "amendments": ReturnAmendment.objects.count(),
        "reminders": ReturnReminder.objects.count(),
        "users": User.objects.count(),
        "seed_audits": AuditEvent.objects.filter(action="demo.seed").count(),
    }


def test_seed_demo_twice_gives_the_same_counts(seeded, capsys):
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    assert first["returns"] > 0
    assert first["seed_audits"] == 1
    assert "月度报送：已有数据，跳过" in capsys.readouterr().out


def test_history_has_accepted_late_missing_and_amended_returns(seeded):
    history = MonthlyReturn.objects.filter(month__lt=JUNE)
    assert history.filter(status=MonthlyReturn.Status.ACCEPTED).count() > history.count() * 0.8
    assert history.filter(is_late=True).exists()
    assert history.filter(is_late=False, status=MonthlyReturn.Status.SUBMITTED).exists()
    assert 0 < RESPONSIBLE_UNITS * HISTORY_MONTHS - history.count() <= 5  # a few missing
    assert not history.filter(status=MonthlyReturn.Status.DRAFT).exists()
    amended = history.get(amended_after_deadline=True)
    assert amended.status == MonthlyReturn.Status.ACCEPTED


def test_missing_returns_are_in_recent_months(seeded):
    have = set(MonthlyReturn.objects.values_list("department_id", "month"))
    months = deadlines.months_due(seeded, datetime.datetime(2014, 7, 2, 10, tzinfo=datetime.UTC))
    departments = Department.objects.filter(training_categories__campaign=seeded).distinct()
    missing = [(d.pk, m) for m in months if m < JUNE for d in departments if (d.pk, m) not in have]
    assert missing
    assert all(month >= datetime.date(2014, 3, 1) for _, month in missing)


def test_lateness_matches_the_deadlines(seeded):
    for ret in MonthlyReturn.objects.exclude(status=MonthlyReturn.Status.DRAFT):
        window = deadlines.window_for(seeded, ret.month)
        assert window.opens_at <= ret.first_submitted_at < window.locks_at
        assert ret.is_late == window.is_late(ret.first_submitted_at)
        assert ret.submitted_by is not None
        if ret.status == MonthlyReturn.Status.ACCEPTED:
            assert ret.decided_by is not None
            assert ret.decided_at > ret.first_submitted_at


def test_every_line_keeps_outcomes_within_trained_and_covers_its_categories(seeded):
    lines = ReturnLine.objects.select_related("category", "monthly_return")
    assert lines.exists()
    for line in lines:
        assert line.trained > 0
        for name in OUTCOME_FIELDS:
            assert 0 <= getattr(line, name) <= line.trained, (line, name)
        assert line.category.department_id == line.monthly_return.department_id
    per_return = MonthlyReturn.objects.annotate(n=Count("lines")).values_list(
        "department__code", "n"
    )
    expected = {"rsj": 4, "nyj": 2}
    for code, n in per_return:
        assert n == expected.get(code, 1)


def test_monthly_figures_follow_the_quota(seeded):
    for line in ReturnLine.objects.filter(amendments__isnull=True).select_related("category"):
        monthly = line.category.quota / 24
        assert 0.6 * monthly - 1 <= line.trained <= 1.4 * monthly + 1
        assert line.passed <= line.trained * 0.97 + 1


def test_the_approved_correction_is_kept_as_amendments(seeded):
    correction = CorrectionRequest.objects.get()
    assert correction.status == CorrectionRequest.Status.APPROVED
    assert correction.requested_by != correction.decided_by
    assert correction.reason
    window = deadlines.window_for(seeded, correction.monthly_return.month)
    assert correction.decided_at >= window.locks_at
    amendments = list(correction.amendments.select_related("line"))
    assert len(amendments) == 2
    for amendment in amendments:
        assert getattr(amendment.line, amendment.field) == amendment.new_value
        assert amendment.new_value > amendment.old_value
    ret = correction.monthly_return
    assert ret.amended_after_deadline is True
    assert ret.version == 4


def test_the_current_month_has_drafts_one_submission_and_reminders(seeded):
    june = MonthlyReturn.objects.filter(month=JUNE)
    assert june.filter(status=MonthlyReturn.Status.DRAFT).count() == 2
    submitted = june.get(status=MonthlyReturn.Status.SUBMITTED)
    assert submitted.is_late is False
    reminders = ReturnReminder.objects.filter(month=JUNE, kind=ReturnReminder.Kind.OPENING)
    assert reminders.count() == RESPONSIBLE_UNITS - 1
    assert not reminders.filter(department=submitted.department).exists()
    assert not ReturnReminder.objects.filter(kind=ReturnReminder.Kind.DUE).exists()


def test_the_office_matrix_shows_every_kind_of_cell(seeded):
    office = User.objects.get(username="office")
    matrix = selectors.return_matrix(user=office, campaign=seeded)
    assert len(matrix["months"]) == HISTORY_MONTHS + 1
    cells = [cell for row in matrix["rows"] for cell in row["cells"]]
    statuses = {cell["status"] for cell in cells}
    assert {"accepted", "missing", "on_time", "draft", "open"} <= statuses
    assert any(cell["late"] for cell in cells)
    assert sum(cell["amended"] for cell in cells) == 1


def test_seeding_writes_one_summary_audit_row(seeded):
    event = AuditEvent.objects.get(action="demo.seed")
    summary = event.changes["returns"]
    assert summary["returns"] == MonthlyReturn.objects.count()
    assert summary["lines"] == ReturnLine.objects.count()
    assert summary["amendments"] == 2
    assert not AuditEvent.objects.filter(action__startswith="monthly_return.").exists()
