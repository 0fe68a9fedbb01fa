"""A Celery worker killed (``kill -9``) in the middle of the monthly report (issue 11 item 7).

A real worker process on the test database computes February 2013; a fault point
(``report_compute.rows_written``, core/faults.py) holds it after the snapshot rows are inserted
and before the commit, and the test kills its process group there. The database rolls the
transaction back: no report run, no snapshot row. A fresh worker then computes the month, a
second run (the command's path) gives identical totals and rows, and there is one snapshot.
"""

import datetime
import time

import pytest

from core.tests.failure_support import (
    forget_unacked,
    kill_hard,
    require_services,
    wait_for,
    worker_log,
    worker_process,
)
from training.models import ProgressRow, ReportRun
from training.services.reports import report_compute
from training.tasks import compute_monthly_progress
from training.tests.test_report_worker import _accepted
from xuchang_skills.celery import app as celery_app

pytestmark = [
    pytest.mark.faults,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]
FEBRUARY = datetime.date(2013, 2, 1)


def _snapshot(run: ReportRun) -> tuple:
    rows = sorted(
        tuple(row)
        for row in ProgressRow.objects.filter(report_run=run).values_list(
            "category_id",
            "department_id",
            "month_trained",
            "cumulative_trained",
            "cumulative_passed",
            "percent_of_quota",
            "punctuality",
        )
    )
    return run.totals, rows


def test_worker_killed_mid_report_leaves_nothing_and_the_rerun_gives_one_identical_snapshot(
    plan, tmp_path
):
    require_services()
    _accepted(plan, "gxj", datetime.date(2013, 1, 1), c1=(1000, 800, 600, 500, 20))
    _accepted(plan, "gxj", FEBRUARY, c1=(2000, 1500, 1000, 900, 30))
    _accepted(plan, "mzj", FEBRUARY, c7=(250, 200, 150, 100, 5))
    marker = tmp_path / "reached"
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    try:
        faulty = {
            "XUCHANG_FAULT_POINT": "report_compute.rows_written",
            "XUCHANG_FAULT_MARKER": str(marker),
            "XUCHANG_FAULT_SLEEP": "300",
        }
        with worker_process(tmp_path, env=faulty) as worker:
            compute_monthly_progress.apply_async(
                kwargs={"month": "2013-02", "campaign_id": plan.pk}
            )
            try:
                wait_for(marker.exists, timeout=90, what="the worker to reach the fault point")
            except AssertionError:
                raise AssertionError(worker_log(tmp_path)) from None
            started = time.monotonic()
            kill_hard(worker)
        # The killed worker's transaction is rolled back: nothing of it is visible.
        assert ReportRun.objects.filter(month=FEBRUARY).count() == 0
        assert ProgressRow.objects.count() == 0
        print(  # noqa: T201 - the figure the issue asks for
            f"\nworker killed mid-report: 0 report runs, 0 snapshot rows after kill -9 "
            f"({time.monotonic() - started:.2f} s)"
        )

        celery_app.control.purge()
        with worker_process(tmp_path):
            compute_monthly_progress.apply_async(
                kwargs={"month": "2013-02", "campaign_id": plan.pk}
            )
            wait_for(
                lambda: ReportRun.objects.filter(month=FEBRUARY).exists(),
                timeout=90,
                what="the re-run on a fresh worker",
            )
    finally:
        celery_app.conf.task_always_eager = True
        celery_app.control.purge()
        forget_unacked()

    after_crash = _snapshot(ReportRun.objects.get(month=FEBRUARY))
    report_compute(campaign=plan, month=FEBRUARY)  # the command's path: a second run
    assert ReportRun.objects.filter(month=FEBRUARY).count() == 1
    run = ReportRun.objects.get(month=FEBRUARY)
    assert _snapshot(run) == after_crash
    assert run.rows.count() == 13
    # January 1000 + February 2000 (gxj) + February 250 (mzj), counted once.
    assert sum(row[3] for row in after_crash[1]) == 3250
