"""Evidence vs reported: what the class records support for a department's month, the gap rule
at its boundary (tolerance from the campaign), and the largest gaps across departments."""

import datetime
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import crypto
from core.models import Department
from core.validators import make_resident_id, mask_resident_id
from training.models import (
    Enrollment,
    Institution,
    JobReferral,
    MonthlyReturn,
    Occupation,
    ReturnLine,
    TrainingCategory,
    TrainingClass,
    Worker,
)
from training.selectors.evidence import (
    evidence_for_return,
    evidence_gaps,
    is_gap,
    tolerance_percent,
)

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
MAY = datetime.date(2014, 5, 1)
JUNE = datetime.date(2014, 6, 1)
_numbers = itertools.count(1)


# --- builders (straight into the tables: the services are tested elsewhere) ---------------------


def workers(count: int) -> list[Worker]:
    rows = []
    for _ in range(count):
        n = next(_numbers)
        birth = datetime.date(1970, 1, 1) + datetime.timedelta(days=n)
        number = make_resident_id(f"411002{birth:%Y%m%d}{n % 1000:03d}")
        rows.append(
            Worker(
                id_number_hash=crypto.keyed_hash(number),
                id_number_encrypted=crypto.encrypt(number),
                id_number_masked=mask_resident_id(number),
                name=f"学员{n}",
                sex="M" if n % 2 else "F",
                birth_date=birth,
                household="urban",
                education="junior",
            )
        )
    Worker.objects.bulk_create(rows)
    return list(Worker.objects.order_by("-pk")[:count])


def category(plan, number: int) -> TrainingCategory:
    return TrainingCategory.objects.get(campaign=plan, number=number)


def make_class(
    plan,
    number: int,
    end: datetime.date,
    *,
    status: str = TrainingClass.Status.CLOSED,
    trainees: int = 10,
    passed: int = 0,
    employed: int = 0,
    self_employed: int = 0,
    not_employed: int = 0,
) -> TrainingClass:
    """A class of category ``number`` ending on ``end`` with ``trainees`` enrollments: the first
    ``passed`` passed, of whom ``employed`` employed, ``self_employed`` self-employed and
    ``not_employed`` referred without a job (the rest of the passed are still pending)."""
    n = next(_numbers)
    training_class = TrainingClass.objects.create(
        campaign=plan,
        code=f"T{n:05d}",
        name=f"测试班{n}",
        institution=Institution.objects.get(name="许昌技师学院"),
        category=category(plan, number),
        occupation=Occupation.objects.get(code="ZY009"),
        kind=TrainingClass.Kind.EMPLOYMENT,
        start_date=end - datetime.timedelta(days=20),
        end_date=end,
        planned_sessions=20,
        sessions_held=20,
        capacity=50,
        teachers="王老师",
        status=status,
        subsidised=False,
    )
    people = workers(trainees)
    Enrollment.objects.bulk_create(
        Enrollment(
            campaign=plan,
            training_class=training_class,
            worker=worker,
            subsidised=False,
            sessions_attended=18,
            result=Enrollment.Result.PASSED if index < passed else Enrollment.Result.FAILED,
        )
        for index, worker in enumerate(people)
    )
    outcomes = (
        [JobReferral.Outcome.EMPLOYED] * employed
        + [JobReferral.Outcome.SELF_EMPLOYED] * self_employed
        + [JobReferral.Outcome.NOT_EMPLOYED] * not_employed
    )
    outcomes += [JobReferral.Outcome.PENDING] * (passed - len(outcomes))
    passed_rows = training_class.enrollments.filter(result=Enrollment.Result.PASSED)
    JobReferral.objects.bulk_create(
        JobReferral(enrollment=e, employer="许继集团", post="钳工", referred_on=end, outcome=o)
        for e, o in zip(passed_rows.order_by("pk"), outcomes, strict=True)
    )
    return training_class


def make_return(
    plan, code: str, month: datetime.date, *, status: str = "accepted", **by_number
) -> MonthlyReturn:
    """A return of department ``code`` with one line per category; ``c<N>=(trained, passed,
    employed)`` sets category N's figures (zeros otherwise)."""
    ret = MonthlyReturn.objects.create(
        campaign=plan, department=Department.objects.get(code=code), month=month, status=status
    )
    for item in TrainingCategory.objects.filter(campaign=plan, department=ret.department):
        trained, passed, employed = by_number.get(f"c{item.number}", (0, 0, 0))
        ReturnLine.objects.create(
            monthly_return=ret, category=item, trained=trained, passed=passed, employed=employed
        )
    return ret


def rsj() -> Department:
    return Department.objects.get(code="rsj")


# --- the gap rule -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reported", "evidence", "flagged"),
    [
        (100, 90, False),  # exactly 10 % of the larger: not a gap
        (100, 89, True),  # just over
        (90, 100, False),  # the larger side is the base, either way round
        (89, 100, True),
        (1000, 900, False),
        (1000, 899, True),
        (0, 0, False),  # nothing on either side
        (0, 1, True),
        (5, 0, True),
    ],
)
def test_gap_is_more_than_the_tolerance_of_the_larger_figure(reported, evidence, flagged):
    assert is_gap(reported=reported, evidence=evidence, tolerance=Decimal("0.100")) is flagged


def test_tolerance_is_read_as_a_percentage():
    assert str(tolerance_percent(Decimal("0.100"))) == "10"
    assert str(tolerance_percent(Decimal("0.125"))) == "12.5"


def test_exactly_ten_percent_is_not_flagged_and_one_more_is(plan):
    make_class(plan, 2, datetime.date(2014, 5, 20), trainees=90, passed=90, employed=90)
    make_return(plan, "rsj", MAY, c2=(100, 100, 100), c3=(1, 0, 0))
    row = evidence_for_return(campaign=plan, department=rsj(), month=MAY)[category(plan, 2).pk]
    assert (row.trained, row.passed, row.employed) == (90, 90, 90)
    assert row.flagged is False

    ReturnLine.objects.filter(category=category(plan, 2)).update(trained=101)
    row = evidence_for_return(campaign=plan, department=rsj(), month=MAY)[category(plan, 2).pk]
    assert row.flagged is True
    assert row.flagged_labels == ["培训人次"]


def test_the_tolerance_is_the_campaigns_data(plan):
    make_class(plan, 2, datetime.date(2014, 5, 20), trainees=80, passed=80)
    make_return(plan, "rsj", MAY, c2=(100, 80, 0))
    key = category(plan, 2).pk
    assert evidence_for_return(campaign=plan, department=rsj(), month=MAY)[key].flagged

    plan.evidence_tolerance = Decimal("0.200")
    plan.save(update_fields=["evidence_tolerance"])
    row = evidence_for_return(campaign=plan, department=rsj(), month=MAY)[key]
    assert row.flagged is False
    assert str(row.tolerance_percent) == "20"


# --- what counts as evidence --------------------------------------------------------------------


def test_evidence_counts_classes_that_ran_and_ended_in_the_month(plan):
    make_class(plan, 2, datetime.date(2014, 5, 1), trainees=3, passed=2)  # first day counts
    make_class(plan, 2, datetime.date(2014, 5, 31), trainees=4, passed=1)  # last day counts
    make_class(plan, 2, datetime.date(2014, 5, 15), status="approved", trainees=5)  # not closed
    make_class(plan, 2, datetime.date(2014, 4, 30), trainees=7, passed=7)  # April
    make_class(plan, 2, datetime.date(2014, 6, 1), trainees=11, passed=11)  # June
    for status in ("draft", "submitted", "refused"):
        make_class(plan, 2, datetime.date(2014, 5, 10), status=status, trainees=13)

    row = evidence_for_return(campaign=plan, department=rsj(), month=MAY)[category(plan, 2).pk]

    assert (row.trained, row.passed) == (12, 3)


def test_employed_counts_employed_and_self_employed_referrals_only(plan):
    make_class(
        plan,
        5,
        datetime.date(2014, 5, 20),
        trainees=20,
        passed=15,
        employed=6,
        self_employed=3,
        not_employed=4,
    )  # two passed trainees are still pending
    row = evidence_for_return(campaign=plan, department=rsj(), month=MAY)[category(plan, 5).pk]
    assert (row.trained, row.passed, row.employed) == (20, 15, 9)


def test_evidence_is_per_category_and_other_departments_classes_do_not_count(plan):
    make_class(plan, 3, datetime.date(2014, 5, 9), trainees=6)
    make_class(plan, 7, datetime.date(2014, 5, 9), trainees=8)  # 民政局's category
    rows = evidence_for_return(campaign=plan, department=rsj(), month=MAY)
    assert list(rows) == [category(plan, n).pk for n in (2, 3, 4, 5)]
    assert [rows[category(plan, n).pk].trained for n in (2, 3, 4, 5)] == [0, 6, 0, 0]


def test_without_a_return_nothing_is_flagged_and_a_draft_is_compared(plan):
    make_class(plan, 2, datetime.date(2014, 5, 20), trainees=50, passed=40)
    key = category(plan, 2).pk
    row = evidence_for_return(campaign=plan, department=rsj(), month=MAY)[key]
    assert row.reported is None
    assert row.flagged is False
    assert [f.reported for f in row.figures] == [None, None, None]

    make_return(plan, "rsj", MAY, status="draft", c2=(10, 5, 0))
    row = evidence_for_return(campaign=plan, department=rsj(), month=MAY)[key]
    assert row.reported == {"trained": 10, "passed": 5, "employed": 0}
    assert row.flagged is True
    assert [f.gap for f in row.figures] == [-40, -35, 0]


def test_evidence_for_a_return_takes_one_query_whatever_the_data(plan):
    make_return(plan, "rsj", MAY, c2=(10, 5, 0))
    department = rsj()

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            evidence_for_return(campaign=plan, department=department, month=MAY)
        return len(captured)

    small = queries()
    for number in (2, 3, 4, 5):
        for day in (3, 17, 28):
            make_class(
                plan, number, datetime.date(2014, 5, day), trainees=12, passed=10, employed=4
            )
    assert queries() == small == 1


# --- the largest gaps across departments --------------------------------------------------------


def test_gaps_are_ordered_by_the_largest_absolute_gap_and_limited(plan):
    make_class(plan, 2, datetime.date(2014, 5, 20), trainees=50, passed=50)
    make_class(plan, 7, datetime.date(2014, 5, 20), trainees=10, passed=10)
    make_class(plan, 10, datetime.date(2014, 5, 20), trainees=100, passed=95)
    make_return(plan, "rsj", MAY, c2=(80, 50, 0))  # 30 more trained than the records show
    make_return(plan, "mzj", MAY, c7=(60, 10, 0))  # 50 more
    make_return(plan, "zgh", MAY, c10=(100, 95, 0))  # consistent: no row

    gaps = evidence_gaps(campaign=plan, month=MAY)

    assert [(g.department_code, g.category_number) for g in gaps] == [("mzj", 7), ("rsj", 2)]
    assert [g.largest_gap for g in gaps] == [50, 30]
    first = gaps[0]
    assert first.department_name == "许昌市民政局"
    assert first.month == MAY
    assert [(f.reported, f.evidence, f.flagged) for f in first.figures] == [
        (60, 10, True),
        (10, 10, False),
        (0, 0, False),
    ]
    assert first.flagged_labels == ["培训人次"]
    assert [g.category_number for g in evidence_gaps(campaign=plan, month=MAY, limit=1)] == [7]


def test_gaps_leave_out_drafts_and_count_the_records_against_a_reported_return(plan):
    make_class(plan, 2, datetime.date(2014, 5, 20), trainees=40, passed=40)
    make_return(plan, "rsj", MAY, status="draft", c2=(0, 0, 0))
    assert evidence_gaps(campaign=plan, month=MAY) == []

    MonthlyReturn.objects.update(status=MonthlyReturn.Status.SUBMITTED)
    [gap] = evidence_gaps(campaign=plan, month=MAY)
    assert (gap.category_number, gap.largest_gap) == (2, 40)  # trained 40 reported as 0


def test_without_a_month_every_month_owed_is_compared(plan, time_machine):
    time_machine.move_to(datetime.datetime(2014, 6, 2, 10, tzinfo=SH), tick=False)
    make_return(plan, "rsj", datetime.date(2013, 3, 1), c3=(30, 0, 0))
    make_return(plan, "rsj", MAY, c3=(20, 0, 0))
    make_return(plan, "rsj", JUNE, status="submitted", c3=(99, 0, 0))  # not owed yet on 2 June
    make_class(plan, 3, datetime.date(2013, 3, 5), trainees=3)

    gaps = evidence_gaps(campaign=plan)

    assert [(g.month, g.largest_gap) for g in gaps] == [(datetime.date(2013, 3, 1), 27), (MAY, 20)]


def test_gap_queries_are_the_same_for_small_and_large_data(plan, time_machine):
    time_machine.move_to(datetime.datetime(2014, 7, 2, 10, tzinfo=SH), tick=False)
    make_return(plan, "rsj", MAY, c2=(10, 5, 0))

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            rows = evidence_gaps(campaign=plan, limit=100)
        return len(captured), len(rows)

    small, small_rows = queries()
    months = plan.reporting_months()[:18]
    for month in months[:-1]:
        for code, number in (("gxj", 1), ("mzj", 7), ("clh", 13)):
            make_return(plan, code, month, **{f"c{number}": (30, 20, 10)})
            make_class(plan, number, month.replace(day=12), trainees=8, passed=6, employed=2)
    large, large_rows = queries()

    assert small == large == 2
    assert small_rows == 1
    assert large_rows == 1 + 3 * 17
    assert len(evidence_gaps(campaign=plan)) == 20  # the default limit
