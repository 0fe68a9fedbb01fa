"""The monthly progress job through a real worker on the real broker (Redis in CI).

The message is sent twice, as a broker redelivery would: the worker computes twice, and there is
still one snapshot with the same totals.
"""

import datetime
import time
from zoneinfo import ZoneInfo

import pytest

from core.models import AuditEvent, Department
from training.models import FIGURE_FIELDS, MonthlyReturn, ReportRun, ReturnLine, TrainingCategory
from training.tasks import compute_monthly_progress

pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True)]
SH = ZoneInfo("Asia/Shanghai")
TIMEOUT_SECONDS = 30


def _accepted(campaign, code: str, month: datetime.date, **by_number) -> None:
    department = Department.objects.get(code=code)
    ret = MonthlyReturn.objects.create(
        campaign=campaign,
        department=department,
        month=month,
        status=MonthlyReturn.Status.ACCEPTED,
        first_submitted_at=datetime.datetime(month.year, month.month, 28, tzinfo=SH),
    )
    for category in TrainingCategory.objects.filter(campaign=campaign, department=department):
        values = by_number.get(f"c{category.number}", (0, 0, 0, 0, 0))
        ReturnLine.objects.create(
            monthly_return=ret, category=category, **dict(zip(FIGURE_FIELDS, values, strict=True))
        )


def _wait_for_computations(count: int) -> list[AuditEvent]:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        events = list(AuditEvent.objects.filter(action="progress_report.compute").order_by("id"))
        if len(events) >= count:
            return events
        time.sleep(0.2)
    pytest.fail(f"the worker did not compute {count} reports within {TIMEOUT_SECONDS} s")


def test_real_worker_computes_the_month_twice_with_the_same_totals(plan, real_worker):
    _accepted(plan, "gxj", datetime.date(2013, 1, 1), c1=(1000, 800, 600, 500, 20))
    _accepted(plan, "gxj", datetime.date(2013, 2, 1), c1=(2000, 1500, 1000, 900, 30))
    _accepted(plan, "mzj", datetime.date(2013, 2, 1), c7=(250, 200, 150, 100, 5))

    compute_monthly_progress.delay("2013-02", campaign_id=plan.pk)
    compute_monthly_progress.delay("2013-02", campaign_id=plan.pk)
    first, second = _wait_for_computations(2)

    run = ReportRun.objects.get()
    assert run.month == datetime.date(2013, 2, 1)
    assert run.rows.count() == 13
    assert [first.changes["recompute"], second.changes["recompute"]] == [False, True]
    assert first.changes["totals"] == second.changes["totals"] == run.totals
    # February: 2 of 24 months → 8.3 %; cumulative trained 1000 + 2000 + 250 = 3250 of 400000
    assert run.totals["pacing"]["expected_percent"] == "8.3"
    assert run.totals["city"]["cumulative"]["trained"] == 3250
    assert run.totals["city"]["month"]["trained"] == 2250
    assert run.totals["city"]["percent_of_quota"] == "0.8"  # 3250/400000 = 0.8125
    assert run.computed_by is None
