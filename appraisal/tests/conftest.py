import pytest


@pytest.fixture(autouse=True)
def _level_rules(request):
    """The level rules are seeded by a data migration, and a transactional test anywhere in the
    run flushes every table afterwards; put the defaults back for each test that uses the
    database so the outcome never depends on test order."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    transactional = marker.kwargs.get("transaction", False)
    request.getfixturevalue("transactional_db" if transactional else "db")
    from appraisal.tests.test_pilots_support import ensure_level_rules

    ensure_level_rules()
