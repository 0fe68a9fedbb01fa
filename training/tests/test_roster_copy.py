"""The roster's bulk writes (``COPY`` on PostgreSQL, multi-row INSERT elsewhere) store every value
exactly, including the characters that COPY's text format escapes."""

import io

import pytest

from core.crypto import decrypt, keyed_hash
from core.pgcopy import copy_text
from training.models import Enrollment, Worker
from training.services.workers import roster_import
from training.tests import workers_samples as samples

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_names_with_tab_backslash_and_null_marker_are_stored_as_typed(plan):
    inst = samples.institution()
    staff = samples.staff_of(inst)
    tc = samples.training_class(plan, inst)
    names = {
        samples.make_id(21): "张\t三",
        samples.make_id(22): "李\\N",
        samples.make_id(23): "王\\五",
        samples.make_id(24): "赵\\t六",
    }
    data = samples.roster_bytes(
        [samples.row(number, name=name, county="") for number, name in names.items()]
        + [samples.row(samples.make_id(25), name="钱七", phone="")]
    )
    enrollments = roster_import(
        training_class=tc, fileobj=io.BytesIO(data), filename="a.xlsx", actor=staff
    )

    assert len(enrollments) == 5
    for number, name in names.items():
        worker = Worker.objects.get(id_number_hash=keyed_hash(number))
        assert worker.name == name
        assert worker.county_id is None
        assert decrypt(worker.id_number_encrypted) == number
        assert worker.birth_date.isoformat().replace("-", "") == number[6:14]
    other = Worker.objects.get(id_number_hash=keyed_hash(samples.make_id(25)))
    assert other.phone == ""
    assert other.county is not None
    assert sorted(other.groups.values_list("name", flat=True)) == ["农村转移就业劳动者"]
    assert set(Enrollment.objects.values_list("worker__name", flat=True)) == {
        *names.values(),
        "钱七",
    }


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "\\N"),
        (True, "t"),
        (False, "f"),
        (42, "42"),
        ("a\tb\nc\rd\\e", "a\\tb\\nc\\rd\\\\e"),
        ("\\N", "\\\\N"),
    ],
)
def test_copy_text_escapes_what_copy_would_misread(value, text):
    assert copy_text(value) == text


def test_copy_text_refuses_an_unknown_type():
    with pytest.raises(TypeError):
        copy_text(object())
