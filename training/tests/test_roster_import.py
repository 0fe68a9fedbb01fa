"""Roster import (学员花名册): the happy path, the template, and the cost that does not grow with
the number of rows."""

import io
import math

import openpyxl
import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.crypto import decrypt, keyed_hash
from core.models import AuditEvent
from training.models import Enrollment, PopulationGroup, TrainingClass, Worker
from training.services.workers import (
    ROSTER_HEADERS,
    ROSTER_HELP_SHEET,
    ROSTER_SHEET,
    roster_import,
    roster_template_write,
    worker_register,
)
from training.tests import workers_samples as samples

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def inst(plan):
    return samples.institution()


@pytest.fixture
def staff(inst):
    return samples.staff_of(inst)


def _import(tc, data, staff, filename="花名册.xlsx"):
    return roster_import(
        training_class=tc, fileobj=io.BytesIO(data), filename=filename, actor=staff
    )


def test_template_has_the_roster_sheet_and_the_instructions(plan):
    buffer = io.BytesIO()
    roster_template_write(buffer)
    workbook = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    assert workbook.sheetnames == [ROSTER_SHEET, ROSTER_HELP_SHEET]
    assert [c.value for c in workbook[ROSTER_SHEET][1]] == list(ROSTER_HEADERS)
    help_text = "\n".join(
        str(value)
        for row in workbook[ROSTER_HELP_SHEET].iter_rows(values_only=True)
        for value in row
        if value
    )
    for expected in (
        "城镇、农村",
        "禹州市",
        "东城区",
        "初中",
        "本科及以上",
        "城镇登记失业人员",
        "退役士兵",
    ):
        assert expected in help_text


def test_the_template_itself_imports_as_an_empty_roster_error(plan, inst, staff):
    buffer = io.BytesIO()
    roster_template_write(buffer)
    tc = samples.training_class(plan, inst)
    from core.xlsx import XlsxError

    with pytest.raises(XlsxError) as caught:
        _import(tc, buffer.getvalue(), staff)
    assert "花名册中没有学员" in caught.value.messages[0]


def test_roster_creates_new_workers_and_reuses_registered_ones(plan, inst, staff):
    known_id, new_id = samples.make_id(11), samples.make_id(12, birth="19950615")
    known, _ = worker_register(
        id_number=known_id,
        name="李四",
        phone="13900000000",
        county=None,
        household="urban",
        education="senior",
        group_codes=[],
        actor=staff,
    )
    tc = samples.training_class(plan, inst)
    data = samples.roster_bytes(
        [
            samples.row(known_id, name="李四", phone="13711112222"),
            samples.row(
                new_id.lower(),
                name="王五",
                groups="城镇登记失业人员、退役士兵",
                education="中专",
                household="城镇",
                county="魏都区",
            ),
        ]
    )
    enrollments = _import(tc, data, staff)

    assert len(enrollments) == 2
    assert Worker.objects.count() == 2
    known.refresh_from_db()
    # A registered worker's record is not overwritten by a roster.
    assert known.phone == "13900000000"
    new = Worker.objects.get(id_number_hash=keyed_hash(new_id))
    assert new.name == "王五"
    assert decrypt(new.id_number_encrypted) == new_id
    assert new.id_number_masked == new_id[:4] + "*" * 10 + new_id[-4:]
    assert new.sex == "F"  # 17th digit 2 is even
    assert str(new.birth_date) == "1995-06-15"
    assert new.household == "urban"
    assert new.education == "senior"
    assert new.county.name == "魏都区"
    assert set(new.groups.values_list("name", flat=True)) == {"城镇登记失业人员", "退役士兵"}
    assert set(
        Enrollment.objects.filter(training_class=tc).values_list("worker_id", flat=True)
    ) == {
        known.pk,
        new.pk,
    }
    assert all(e.campaign_id == plan.pk and e.subsidised for e in Enrollment.objects.all())
    tc.refresh_from_db()
    assert tc.roster_file.name.startswith("classes/rosters/")
    event = AuditEvent.objects.get(action="class.roster_import")
    assert event.changes["trainees"] == 2
    assert event.changes["workers_created"] == 1
    assert event.changes["workers_registered"] == 1
    assert event.changes["filename"] == "花名册.xlsx"
    # The trail never holds an ID number.
    assert known_id not in str(event.changes)
    assert new_id not in str(event.changes)


def test_second_upload_replaces_the_class_roster(plan, inst, staff):
    tc = samples.training_class(plan, inst, status=TrainingClass.Status.REFUSED)
    first = [samples.make_id(n) for n in (1, 2, 3)]
    _import(
        tc,
        samples.roster_bytes([samples.row(i, name=f"甲{n}") for n, i in enumerate(first)]),
        staff,
    )
    second = [first[0], samples.make_id(4)]
    _import(
        tc,
        samples.roster_bytes(
            [samples.row(second[0], name="甲0"), samples.row(second[1], name="乙")]
        ),
        staff,
    )
    hashes = set(
        Enrollment.objects.filter(training_class=tc).values_list(
            "worker__id_number_hash", flat=True
        )
    )
    assert hashes == {keyed_hash(i) for i in second}
    assert Worker.objects.count() == 4  # people stay in the base
    assert AuditEvent.objects.filter(action="class.roster_import").first().changes["replaced"] == 3


def test_unsubsidised_class_may_take_a_worker_already_subsidised(plan, inst, staff):
    number = samples.make_id(5)
    _import(samples.training_class(plan, inst), samples.roster_bytes([samples.row(number)]), staff)
    paying = samples.training_class(plan, inst, subsidised=False)
    enrollments = _import(paying, samples.roster_bytes([samples.row(number)]), staff)
    assert len(enrollments) == 1
    assert enrollments[0].subsidised is False


def _queries_for(ids: list[str], plan, inst, staff) -> tuple[int, int]:
    """(queries other than the batched INSERTs, INSERT statements) of importing ``ids``."""
    tc = samples.training_class(plan, inst, capacity=len(ids))
    groups = "、".join(PopulationGroup.objects.values_list("name", flat=True)[:2])
    data = samples.roster_bytes(
        [samples.row(number, name=f"学员{number[-6:]}", groups=groups) for number in ids]
    )
    with CaptureQueriesContext(connection) as captured:
        _import(tc, data, staff)
    inserts = [
        q for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")
    ]
    assert Enrollment.objects.filter(training_class=tc).count() == len(ids)
    return len(captured) - len(inserts), len(inserts)


def test_roster_import_queries_do_not_grow_with_the_rows(plan, inst, staff):
    ids = samples.many_ids(1051)
    registered = ids.pop()
    worker_register(
        id_number=registered,
        name=f"学员{registered[-6:]}",
        phone="",
        county=None,
        household="rural",
        education="junior",
        group_codes=[],
        actor=staff,
    )
    # Both rosters hold one registered worker and new ones, with caches (the actor's roles,
    # content types) already warm, so they differ only in size.
    ContentType.objects.get_for_model(TrainingClass)
    assert staff.role_names
    small_other, small_inserts = _queries_for([registered, *ids[:49]], plan, inst, staff)
    Enrollment.objects.all().delete()
    big_other, big_inserts = _queries_for([registered, *ids[49:1048]], plan, inst, staff)

    assert big_other == small_other
    if connection.features.max_query_params is None:
        # PostgreSQL: one INSERT per table, whatever the size.
        assert big_inserts == small_inserts
    else:
        # SQLite caps the parameters of one statement, so Django splits bulk inserts into
        # batches: the INSERTs grow by batches of rows, never one per row.
        per_row_tables = 3  # workers, their groups, enrollments
        assert big_inserts < 1000 // 10
        assert big_inserts <= small_inserts + per_row_tables * math.ceil(
            1000 * 14 / connection.features.max_query_params
        )
