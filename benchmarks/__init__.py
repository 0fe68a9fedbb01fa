"""Scale benchmarks. Each module has a ``main()`` that prints ``name: value`` lines, comparing our
path with a baseline measured in the same run; ``python -m benchmarks`` (``make bench``) runs
them all.

Benchmarks that need the database use ``database()``: Django set up with the project settings
and a throwaway test database (created, migrated, destroyed afterwards), the way the test
runner makes one — never the development or production database. ``city_data()`` seeds the
city-scale campaign into it once per run (``seed_demo --scale city``), shared by every module.

Environment: ``DATABASE_URL`` (PostgreSQL for figures that mean anything), ``BENCH_CITY`` (share
of the city to seed, default 1), ``BENCH_KEEPDB=1`` (keep the seeded databases for the next
run), ``BENCH_HTTP_SECONDS`` (default 30 per page). Modules whose name starts with ``_`` are
helpers, not benchmarks.
"""

import contextlib
import os
from collections.abc import Iterator

_depth = 0
_state: tuple | None = None
#: ``BENCH_KEEPDB=1``: keep the benchmark databases (and their seeded data) between runs, as
#: ``pytest --reuse-db`` does; the seed is then skipped (it is idempotent).
KEEPDB = os.environ.get("BENCH_KEEPDB", "") == "1"


@contextlib.contextmanager
def database() -> Iterator[None]:
    """Set Django up and open a fresh, migrated test database for the block; nested uses (one
    module run by ``python -m benchmarks``, inside the runner's block) share the outer one."""
    global _depth, _state
    if _depth == 0:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xuchang_skills.settings")
        import django

        django.setup()
        import logging

        # The in-process Celery task runs log a line each; the figures are what we print.
        logging.getLogger("celery").setLevel(logging.WARNING)
        from django.conf import settings
        from django.test.utils import setup_databases, setup_test_environment

        test_settings = settings.DATABASES["default"].setdefault("TEST", {})
        if "sqlite" in settings.DATABASES["default"]["ENGINE"] and not test_settings.get("NAME"):
            # A file, not memory: some benchmarks run ``manage.py`` in a child process on it.
            import tempfile

            test_settings["NAME"] = os.path.join(
                tempfile.gettempdir(), f"bench_{os.getpid()}.sqlite3"
            )
        if "sqlite" not in settings.DATABASES["default"]["ENGINE"] and not test_settings.get(
            "NAME"
        ):
            # Not the test suite's database: a benchmark may run while the tests do.
            test_settings["NAME"] = f"bench_{settings.DATABASES['default']['NAME']}"
        # As in production and under the test runner: with DEBUG on, every query's SQL and
        # parameters would be formatted and kept, which is not what we measure.
        setup_test_environment(debug=False)
        _state = setup_databases(verbosity=0, interactive=False, keepdb=KEEPDB)
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            from django.test.utils import teardown_databases, teardown_test_environment

            teardown_databases(_state, verbosity=0, keepdb=KEEPDB)
            teardown_test_environment()
            _state = None


# ---- the city-scale data every benchmark reads (issue 10) --------------------------------------

#: ``BENCH_CITY``: the share of the city-scale campaign to seed (``1`` = ``seed_demo --scale
#: city``: 300,000 workers, 400,000 enrollments, …; ``0.1`` for a quick run).
CITY_FRACTION = float(os.environ.get("BENCH_CITY", "1"))
#: The "10× smaller run" the volume-independence checks compare against.
SMALL_DIVISOR = 10
#: Part of the kept small run's file name: bump it when a small-run figure's method changes, so a
#: kept database (``BENCH_KEEPDB=1``) does not report figures measured the old way (2: the export's
#: peak RSS is the child's own ``VmHWM``, not ``wait4``'s, which includes the parent's size).
SMALL_METHOD = 2


def city_data(fraction: float | None = None) -> dict:
    """Seed the city-scale demo into the current (benchmark) database once and return what the
    benchmarks need: the campaign, the demo's moment (the clock stands after the campaign), the
    fraction, the seeding time, and ``small``: the figures of the 10× smaller run.

    The smaller run is the same database on its way up: the seed first goes to a tenth of the
    fraction, the volume-dependent figures (progress job, audit export) are measured there, then
    the seed tops up to the full fraction. One migration, one base demo, and the two sizes differ
    only in volume."""
    global _city
    if _city is not None:
        return _city
    import json
    import tempfile
    import time

    from django.db import connection

    from core.services import roles_sync
    from dashboard.demo_city import city_moment, seed_city, seeded_fraction
    from training.models import Campaign
    from training.services.plan import plan_load

    fraction = CITY_FRACTION if fraction is None else fraction
    small_fraction = fraction / SMALL_DIVISOR
    roles_sync()
    if Campaign.objects.current() is None:
        plan_load()
    campaign = Campaign.objects.current()
    city = {"campaign": campaign, "moment": city_moment(campaign), "fraction": fraction}
    saved = os.path.join(
        tempfile.gettempdir(),
        f"bench_small_v{SMALL_METHOD}_{os.path.basename(str(connection.settings_dict['NAME']))}.json",
    )
    started = time.perf_counter()
    if seeded_fraction(campaign) < small_fraction or not os.path.exists(saved):
        seed_city(fraction=small_fraction, log=lambda _line: None)
        small_seconds = time.perf_counter() - started
        small = _measure_small({**city, "fraction": small_fraction})
        small["seed_seconds"] = small_seconds
        with open(saved, "w") as handle:
            json.dump(small, handle)
    else:
        with open(saved) as handle:
            small = json.load(handle)
    started_full = time.perf_counter()
    seed_city(fraction=fraction, log=lambda _line: None)
    city["seed_seconds"] = small.get("seed_seconds", 0.0) + time.perf_counter() - started_full
    city["small"] = small
    _city = city
    return _city


def _measure_small(city: dict) -> dict:
    import tempfile

    from benchmarks.audit_export import measure_export
    from benchmarks.progress_job import measure_progress
    from training.models import Enrollment

    queries, seconds = measure_progress(city)
    with tempfile.TemporaryDirectory() as folder:
        export = measure_export(folder)
    return {
        "fraction": city["fraction"],
        "enrollments": Enrollment.objects.count(),
        "progress_queries": queries,
        "progress_seconds": seconds,
        **{f"export_{key}": value for key, value in export.items()},
    }


_city: dict | None = None


def database_env() -> dict[str, str]:
    """Environment for a child process (``manage.py …``) that must open the benchmark database
    the parent is using."""
    from django.conf import settings
    from django.db import connection

    env = dict(os.environ)
    # The production way: DEBUG off (no query log), the same secret (the same derived keys).
    env["DEBUG"] = "false"
    env["SECRET_KEY"] = settings.SECRET_KEY
    settings_dict = connection.settings_dict
    if connection.vendor == "postgresql":
        user = settings_dict.get("USER") or ""
        password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = settings_dict.get("PORT") or "5432"
        env["DATABASE_URL"] = f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{settings_dict['NAME']}"
    return env
