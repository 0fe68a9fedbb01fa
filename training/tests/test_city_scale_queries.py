"""What the city-scale benchmarks changed (issue 10): the class lists count enrollments with a
correlated subquery (counted for the page's rows only, never a JOIN + GROUP BY over every
enrollment of every class), and the indexes the list pages order by exist."""

import pytest
from django.db import connection

from appraisal.models import Registration
from core.roles import Role
from core.tests.factories import user_with_role
from training.models import Worker
from training.selectors.classes import class_list_for_user, class_queue_for_user
from training.services import classes as svc
from training.tests.test_classes_support import (  # noqa: F401 (fixtures)
    enroll,
    frozen_fixture,
    make_class,
    media_root,
    rsj_clerk,
    staff_of,
)

pytestmark = pytest.mark.django_db


def test_class_list_counts_each_class_enrollments(plan, roles):
    staff = staff_of()
    empty = make_class(plan, staff, name="空班")
    two = make_class(plan, staff, name="两人班")
    five = make_class(plan, staff, name="五人班")
    enroll(two, 2)
    enroll(five, 5)
    counts = {c.pk: c.enrollment_count for c in class_list_for_user(user=staff, campaign=plan)}
    assert counts == {empty.pk: 0, two.pk: 2, five.pk: 5}


@pytest.mark.parametrize("trainees", [1, 12])
def test_class_list_is_one_query_whatever_the_enrollments(
    plan, roles, trainees, django_assert_num_queries
):
    staff = staff_of()
    for index in range(3):
        enroll(make_class(plan, staff, name=f"班{index}"), trainees)
    with django_assert_num_queries(1):
        rows = list(class_list_for_user(user=staff, campaign=plan))
    assert [row.enrollment_count for row in rows] == [trainees] * 3


def test_class_list_does_not_group_every_enrollment(plan, roles):
    """The outer query has no GROUP BY: PostgreSQL can sort and cut the page first and count
    the enrollments of those rows only."""
    queryset = class_list_for_user(user=staff_of(), campaign=plan)
    assert queryset.query.group_by is None
    sql = str(queryset.query)
    subquery = sql.index("(SELECT")
    # The one GROUP BY is the correlated subquery's own.
    assert sql.count("GROUP BY") == 1
    assert sql.index("GROUP BY") > subquery
    assert '"training_enrollment"' not in sql[:subquery]


def test_class_queue_counts_with_the_same_subquery(plan, roles):
    staff = staff_of()
    submitted = make_class(plan, staff, name="待审班")
    enroll(submitted, 3)
    svc.class_submit(training_class=submitted, actor=staff)
    reviewer = user_with_role(Role.REVIEWER)
    rows = list(class_queue_for_user(user=reviewer))
    assert [(row.pk, row.enrollment_count) for row in rows] == [(submitted.pk, 3)]
    assert class_queue_for_user(user=reviewer).query.group_by is None


@pytest.mark.parametrize(
    ("model", "name", "fields"),
    [
        (Worker, "worker_name_idx", ["name", "id"]),
        (Registration, "registration_recent_idx", ["-created_at", "-id"]),
    ],
)
def test_list_page_indexes_exist_in_the_database(model, name, fields):
    assert [i.fields for i in model._meta.indexes if i.name == name] == [fields]
    table = model._meta.db_table
    with connection.cursor() as cursor:
        # (Django's SQLite introspection trips over descending index columns: ask directly.)
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [table])
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = %s", [table]
            )
        names = {row[0] for row in cursor.fetchall()}
    assert name in names
