"""The monthly progress job at city scale (issue 10): computing one month's report — the Celery
task ``compute_monthly_progress`` run in-process — with its query count and time, against the
same job on the 10× smaller campaign (``benchmarks.city_data()`` measures it on the way up).
The query count must not grow with the data: the benchmark fails when the two counts differ.

Prints ``progress_job_queries`` (city), ``progress_job_queries_small``, ``progress_job_seconds``,
``progress_job_seconds_small`` and ``progress_job_time_ratio`` (city ÷ small, for context).

    python -m benchmarks.progress_job
"""

import time

REPEAT = 3


def measure_progress(city: dict) -> tuple[int, float]:
    """(queries, best seconds) of computing the campaign's last month through the task."""
    from django.db import connection

    from dashboard.demo_city import clock_at
    from training.tasks import compute_monthly_progress

    campaign = city["campaign"]
    month = campaign.reporting_months()[-1]
    kwargs = {"month": f"{month:%Y-%m}", "campaign_id": campaign.pk}
    executed: list[str] = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with clock_at(city["moment"]):
        result = compute_monthly_progress.apply(kwargs=kwargs).get()  # warm
        if not result or result["month"] != kwargs["month"]:
            raise AssertionError(f"the job did not compute {kwargs['month']}: {result}")
        with connection.execute_wrapper(count):
            compute_monthly_progress.apply(kwargs=kwargs).get()
        times = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            compute_monthly_progress.apply(kwargs=kwargs).get()
            times.append(time.perf_counter() - started)
    return len(executed), min(times)


def city_enrollments() -> int:
    from training.models import Enrollment

    return Enrollment.objects.count()


def main() -> None:
    import benchmarks

    with benchmarks.database():
        city = benchmarks.city_data()
        small = city["small"]
        queries, seconds = measure_progress(city)
        print(f"progress_job_enrollments: {city_enrollments()}")
        print(f"progress_job_enrollments_small: {small['enrollments']}")
        print(f"progress_job_queries: {queries}")
        print(f"progress_job_queries_small: {small['progress_queries']}")
        print(f"progress_job_seconds: {seconds:.4f}")
        print(f"progress_job_seconds_small: {small['progress_seconds']:.4f}")
        print(f"progress_job_time_ratio: {seconds / small['progress_seconds']:.2f}")
        if queries != small["progress_queries"]:
            raise AssertionError(
                f"query count grows with the data: {queries} at city scale, "
                f"{small['progress_queries']} at a tenth"
            )


if __name__ == "__main__":
    main()
