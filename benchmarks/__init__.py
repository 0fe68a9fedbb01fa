"""Scale benchmarks. Each module has a ``main()`` that prints ``name: value`` lines, comparing our
path with a baseline measured in the same run; ``python -m benchmarks`` runs them all.

Benchmarks that need the database use ``database()``: Django set up with the project settings
and a throwaway test database (created, migrated, destroyed afterwards), the way the test
runner makes one — never the development or production database.
"""

import contextlib
import os
from collections.abc import Iterator

_depth = 0
_state: tuple | None = None


@contextlib.contextmanager
def database() -> Iterator[None]:
    """Set Django up and open a fresh, migrated test database for the block; nested uses (one
    module run by ``python -m benchmarks``, inside the runner's block) share the outer one."""
    global _depth, _state
    if _depth == 0:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xuchang_skills.settings")
        import django

        django.setup()
        from django.conf import settings
        from django.test.utils import setup_databases, setup_test_environment

        test_settings = settings.DATABASES["default"].setdefault("TEST", {})
        if "sqlite" not in settings.DATABASES["default"]["ENGINE"] and not test_settings.get(
            "NAME"
        ):
            # Not the test suite's database: a benchmark may run while the tests do.
            test_settings["NAME"] = f"bench_{settings.DATABASES['default']['NAME']}"
        # As in production and under the test runner: with DEBUG on, every query's SQL and
        # parameters would be formatted and kept, which is not what we measure.
        setup_test_environment(debug=False)
        _state = setup_databases(verbosity=0, interactive=False)
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            from django.test.utils import teardown_databases, teardown_test_environment

            teardown_databases(_state, verbosity=0)
            teardown_test_environment()
            _state = None
