"""The office dashboard at volume: its server time against the same aggregates as hand-written
SQL in the same run (issues 4 and 10: ratio, and the page's query count).

Reads the city-scale campaign (``benchmarks.city_data()``: ``seed_demo --scale city``, or the
share ``BENCH_CITY`` of it), then renders ``dashboard:progress`` for the campaign's last month
through the test client as the office, and runs the baseline: the department totals of the
month's snapshot, the pacing series, trainees by county and the evidence-vs-returns comparison,
each one SQL statement computed live. Both sides are timed ``REPEAT`` times (wall clock, best
kept).

Since session 3 the page no longer computes the county and evidence aggregates per request: the
monthly snapshot keeps them (``ReportRun.breakdowns``). ``dashboard_vs_sql`` still divides by the
live aggregates (the figure issues 4 and 10 define, comparable with earlier runs), so below 1 it
says what the snapshot saves; ``dashboard_snapshot_sql_seconds`` is the hand-written read of the
same snapshot (rows, months, breakdowns), for context: the rest of the page's time is its
template and chart work, which the HTTP benchmark weighs against a minimal view.

    python -m benchmarks.dashboard          # SQLite, or DATABASE_URL's server
"""

import datetime
import time

REPEAT = 7

BASELINE_SQL = (
    # The month's snapshot, summed by department (the department table and bar chart).
    """
    SELECT r.department_id, SUM(r.cumulative_trained), SUM(r.cumulative_passed),
           SUM(r.cumulative_certified), SUM(r.cumulative_employed),
           SUM(r.cumulative_entrepreneurs), SUM(r.quota)
    FROM training_progressrow r WHERE r.report_run_id = %(run)s GROUP BY r.department_id
    """,
    # The pacing line: every computed month of the campaign.
    """
    SELECT month, elapsed_months, total_months, expected_percent, totals
    FROM training_reportrun WHERE campaign_id = %(campaign)s ORDER BY month
    """,
    # Trainees and passes by county up to the month's end (the county table).
    """
    SELECT co.name, COUNT(e.id), SUM(CASE WHEN e.result = 'passed' THEN 1 ELSE 0 END)
    FROM training_enrollment e
    JOIN training_trainingclass c ON c.id = e.training_class_id
    JOIN training_institution i ON i.id = c.institution_id
    JOIN core_county co ON co.id = i.county_id
    WHERE e.campaign_id = %(campaign)s AND c.status IN ('approved', 'closed')
      AND c.end_date <= %(month_end)s
    GROUP BY co.name, co.sort_order ORDER BY co.sort_order
    """,
    # Evidence: class records by category and month of the class's end.
    """
    SELECT c.category_id, c.end_date, COUNT(e.id),
           SUM(CASE WHEN e.result = 'passed' THEN 1 ELSE 0 END),
           SUM(CASE WHEN j.outcome IN ('employed', 'self_employed') THEN 1 ELSE 0 END)
    FROM training_enrollment e
    JOIN training_trainingclass c ON c.id = e.training_class_id
    LEFT JOIN training_jobreferral j ON j.enrollment_id = e.id
    WHERE e.campaign_id = %(campaign)s AND c.status IN ('approved', 'closed')
      AND c.end_date >= %(month)s AND c.end_date <= %(month_end)s
    GROUP BY c.category_id, c.end_date
    """,
    # ... against the reported lines of the month.
    """
    SELECT l.category_id, l.trained, l.passed, l.employed
    FROM training_returnline l JOIN training_monthlyreturn m ON m.id = l.monthly_return_id
    WHERE m.campaign_id = %(campaign)s AND m.month = %(month)s AND m.status <> 'draft'
    """,
)

SNAPSHOT_SQL = (
    BASELINE_SQL[0],
    BASELINE_SQL[1],
    "SELECT breakdowns FROM training_reportrun WHERE id = %(run)s",
)


def _best(fn, repeat: int = REPEAT) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    import benchmarks

    with benchmarks.database():
        from django.conf import settings
        from django.db import connection
        from django.test import Client
        from django.urls import reverse

        from core.models import User
        from training import deadlines
        from training.models import Enrollment, ReportRun

        city = benchmarks.city_data()
        campaign = city["campaign"]
        print(f"dashboard_seed_seconds: {city['seed_seconds']:.1f}")
        enrollments = Enrollment.objects.count()
        print(f"dashboard_enrollment_rows: {enrollments}")

        run = ReportRun.objects.filter(campaign=campaign).order_by("-month").first()
        month_end = deadlines.next_month(run.month) - datetime.timedelta(days=1)
        params = {
            "run": run.pk,
            "campaign": campaign.pk,
            "month": run.month,
            "month_end": month_end,
        }
        client = Client()
        client.force_login(User.objects.get(username="office"))
        url = reverse("dashboard:progress") + f"?month={run.month:%Y-%m}"
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]

        def page() -> None:
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        def run_sql(statements) -> None:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql, params)
                    cursor.fetchall()

        def baseline() -> None:
            run_sql(BASELINE_SQL)

        def snapshot_baseline() -> None:
            run_sql(SNAPSHOT_SQL)

        page()  # warm caches (templates, content types) before timing either side
        baseline()
        executed: list[str] = []

        def count(execute, sql, params, many, context):
            executed.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            page()
        page_seconds = _best(page)
        sql_seconds = _best(baseline)
        snapshot_seconds = _best(snapshot_baseline)
        print(f"dashboard_server_seconds: {page_seconds:.4f}")
        print(f"dashboard_raw_sql_seconds: {sql_seconds:.4f}")
        print(f"dashboard_vs_sql: {page_seconds / sql_seconds:.2f}")
        print(f"dashboard_snapshot_sql_seconds: {snapshot_seconds:.4f}")
        print(f"dashboard_queries: {len(executed)}")


if __name__ == "__main__":
    main()
