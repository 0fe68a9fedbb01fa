"""seed_demo --scale city (dashboard.demo_city): the whole campaign at volume, in bulk.

The city volumes are patched down (``CITY``) so the test runs in seconds; what is checked is what
the full run relies on: targets reached, valid and encrypted resident IDs, classes with their
spot checks, attendance samples that agree with the counters, results with referrals,
registrations with certificates, 24 months of returns and snapshots, a progress bar, and a
second run that changes nothing. The same seed runs through COPY on PostgreSQL."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.test.utils import override_settings

from appraisal.models import Certificate, Registration
from core import crypto
from core.models import AuditEvent, Department
from core.validators import mask_resident_id, validate_resident_id
from dashboard import demo_city
from dashboard.management.commands.seed_demo import parse_scale
from training.models import (
    AttendanceRecord,
    Enrollment,
    Inspection,
    JobReferral,
    MonthlyReturn,
    ReportRun,
    ReturnLine,
    TrainingClass,
    Worker,
)

SMALL_CITY = {
    "workers": 4_500,
    "enrollments": 16_000,
    "classes": 600,
    "registrations": 900,
    "claims": 400,
}
SETTINGS = {
    "DEBUG": True,
    "APP_TODAY": "",
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
}


# ---- --scale ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("city", (1, 1.0)),
        ("CITY", (1, 1.0)),
        ("0.1", (1, 0.1)),
        ("0.999", (1, 0.999)),
        ("1", (1, None)),
        ("8", (8, None)),
        ("8.0", (8, None)),
    ],
)
def test_scale_takes_city_a_fraction_or_a_multiplier(text, expected):
    assert parse_scale(text) == expected


@pytest.mark.parametrize("text", ["0", "-1", "1.5", "town", "", "nan"])
def test_scale_refuses_anything_else_in_chinese(text):
    with pytest.raises(CommandError, match="--scale 应为 city"):
        parse_scale(text)


# ---- the seed -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _seeded_once(django_db_setup, django_db_blocker):
    """Seed once for the module, inside a transaction rolled back at the end."""
    from core.services import roles_sync
    from training.services.plan import plan_load

    stderr = io.StringIO()
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        override_settings(**SETTINGS),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr(demo_city, "CITY", SMALL_CITY)
        patch.setattr(demo_city, "ATTENDANCE_SAMPLE", 7)
        patch.setattr("sys.stderr", stderr)
        roles_sync()
        campaign = plan_load().campaign
        out = io.StringIO()
        call_command("seed_demo", "--scale", "city", stdout=out)
        yield {"campaign": campaign, "stdout": out.getvalue(), "stderr": stderr.getvalue()}
        transaction.set_rollback(True)


@pytest.fixture
def seeded(_seeded_once, db, settings):
    for name, value in SETTINGS.items():
        setattr(settings, name, value)
    return _seeded_once


def city_classes():
    return TrainingClass.objects.filter(code__startswith="CITY-")


def test_targets_are_reached(seeded):
    campaign = seeded["campaign"]
    assert Worker.objects.count() >= SMALL_CITY["workers"]
    assert Enrollment.objects.filter(campaign=campaign).count() >= SMALL_CITY["enrollments"]
    assert TrainingClass.objects.filter(campaign=campaign).count() >= SMALL_CITY["classes"]
    assert Registration.objects.count() >= SMALL_CITY["registrations"]
    assert city_classes().exists()
    event = AuditEvent.objects.get(action="demo.seed_city")
    assert event.changes["city"]["classes"] == city_classes().count()


def test_new_workers_have_valid_encrypted_and_hashed_resident_ids(seeded):
    new = list(
        Worker.objects.filter(enrollments__training_class__code__startswith="CITY-")
        .distinct()
        .order_by("pk")[:300]
    )
    assert len(new) == 300
    for worker in new:
        number = crypto.decrypt(worker.id_number_encrypted)
        validate_resident_id(number)
        assert crypto.keyed_hash(number) == worker.id_number_hash
        assert mask_resident_id(number) == worker.id_number_masked
        assert number[6:14] == f"{worker.birth_date:%Y%m%d}"
        assert worker.sex == ("M" if int(number[16]) % 2 else "F")
        assert worker.groups.exists()


def test_city_classes_are_closed_with_three_spot_checks_inside_their_dates(seeded):
    campaign = seeded["campaign"]
    classes = city_classes().annotate(checks=Count("inspections"))
    assert classes.exists()
    assert not classes.exclude(status=TrainingClass.Status.CLOSED).exists()
    minimum = campaign.min_inspections_per_class
    assert not classes.filter(checks__lt=minimum).exists()
    outside = Inspection.objects.filter(training_class__code__startswith="CITY-").filter(
        Q(planned_date__lt=models_f("training_class__start_date"))
        | Q(planned_date__gt=models_f("training_class__end_date"))
    )
    assert not outside.exists()
    assert not classes.filter(end_date__gt=campaign.end_date).exists()
    assert not classes.filter(start_date__lt=campaign.start_date).exists()


def models_f(name):
    from django.db.models import F

    return F(name)


def test_sampled_attendance_rows_agree_with_the_counters(seeded):
    sampled = (
        Enrollment.objects.filter(training_class__code__startswith="CITY-")
        .annotate(
            rows=Count("attendance_records"),
            present=Count("attendance_records", filter=Q(attendance_records__present=True)),
        )
        .filter(rows__gt=0)
        .values_list("rows", "present", "sessions_attended", "training_class__planned_sessions")
    )
    assert sampled
    for rows, present, attended, planned in sampled:
        assert rows == planned
        assert present == attended
    assert AttendanceRecord.objects.count() < Enrollment.objects.count() * 10


def test_every_passed_trainee_has_a_referral_and_no_failed_one_does(seeded):
    city = Enrollment.objects.filter(training_class__code__startswith="CITY-")
    passed = city.filter(result=Enrollment.Result.PASSED)
    assert passed.exists()
    assert city.filter(result=Enrollment.Result.FAILED).exists()
    assert JobReferral.objects.filter(enrollment__in=passed).count() == passed.count()
    assert not JobReferral.objects.filter(
        enrollment__in=city.exclude(result=Enrollment.Result.PASSED)
    ).exists()
    # Subsidised at most once per worker in the campaign (the DB says so; the seed respects it).
    assert not (
        Enrollment.objects.filter(subsidised=True)
        .values("worker")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .exists()
    )


def test_registrations_have_results_and_passed_ones_a_certificate(seeded):
    city = Registration.objects.filter(training_class__code__startswith="CITY-")
    statuses = set(city.values_list("status", flat=True))
    assert {"passed", "failed", "absent"} <= statuses
    passed = city.filter(status="passed")
    assert Certificate.objects.filter(registration__in=passed).count() == passed.count()
    assert not city.filter(status="passed", theory_score__lt=60).exists()


def test_subsidy_claims_in_every_state_at_the_standard(seeded):
    from subsidies.models import SubsidyClaim

    city = SubsidyClaim.objects.filter(enrollment__training_class__code__startswith="CITY-")
    assert city.count() >= SMALL_CITY["claims"] * 0.9
    assert set(city.values_list("status", flat=True)) == set(SubsidyClaim.Status.values)
    for claim in city.select_related("standard", "enrollment")[:50]:
        assert claim.amount == claim.standard.amount
        assert claim.enrollment.subsidised
        assert claim.enrollment.result == Enrollment.Result.PASSED
        assert crypto.keyed_hash(crypto.decrypt(claim.account_encrypted)) == claim.account_hash
    assert not city.filter(status="paid", paid_at__isnull=True).exists()
    numbers = list(city.values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers)


def test_24_months_of_returns_for_every_unit_and_a_snapshot_each(seeded):
    campaign = seeded["campaign"]
    months = campaign.reporting_months()
    assert len(months) == 24
    units = Department.objects.filter(training_categories__campaign=campaign).distinct()
    per_unit = dict(
        MonthlyReturn.objects.filter(campaign=campaign)
        .values_list("department")
        .annotate(n=Count("id"))
        .values_list("department", "n")
    )
    assert set(per_unit) == set(units.values_list("pk", flat=True))
    # A few returns are missing on purpose (the demo's late and missing units).
    assert sum(per_unit.values()) >= len(per_unit) * 24 - 3
    snapshots = ReportRun.objects.filter(campaign=campaign).order_by("month")
    assert list(snapshots.values_list("month", flat=True)) == months


def test_snapshots_keep_the_breakdowns_of_the_bulk_written_records(seeded):
    """The snapshots were computed before the city layer was written; the seed refreshes their
    county and evidence breakdowns, so the dashboard's snapshot reads agree with the records."""
    from training.selectors.evidence import county_totals, evidence_gaps

    campaign = seeded["campaign"]
    for run in ReportRun.objects.filter(campaign=campaign).order_by("-month")[:3]:
        counties = county_totals(campaign=campaign, month=run.month)
        assert sum(county["trained"] for county in counties) > 0
        assert run.breakdowns["counties"] == counties
        assert len(run.breakdowns["evidence_gaps"]) == len(
            evidence_gaps(campaign=campaign, month=run.month, limit=1000)
        )


def test_records_follow_the_returns(seeded):
    """The city layer shares its enrollments out over category-months in proportion to the
    trained figures the returns reported (less what the small demo already holds there): the
    categories that reported most get more of them than those that reported least."""
    campaign = seeded["campaign"]
    reported = dict(
        ReturnLine.objects.filter(monthly_return__campaign=campaign)
        .exclude(monthly_return__status=MonthlyReturn.Status.DRAFT)
        .values("category")
        .annotate(n=Sum("trained"))
        .values_list("category", "n")
    )
    held = dict(
        Enrollment.objects.filter(campaign=campaign, training_class__code__startswith="CITY-")
        .values("training_class__category")
        .annotate(n=Count("id"))
        .values_list("training_class__category", "n")
    )
    ranked = sorted(reported, key=reported.get)
    assert len(ranked) == 13
    assert sum(held.get(c, 0) for c in ranked[-3:]) > sum(held.get(c, 0) for c in ranked[:3])


def test_progress_bar_on_stderr_and_summary_on_stdout(seeded):
    assert "劳动者" in seeded["stderr"]
    assert "100%" in seeded["stderr"]
    assert "城市规模数据：新增劳动者" in seeded["stdout"]
    assert "APP_TODAY=2015-01-" in seeded["stdout"]


def test_the_clock_stood_after_the_campaign(seeded):
    campaign = seeded["campaign"]
    moment = demo_city.city_moment(campaign)
    assert moment.date() > campaign.end_date
    last = campaign.reporting_months()[-1]
    assert MonthlyReturn.objects.filter(campaign=campaign, month=last).exists()


def test_a_second_run_changes_nothing(seeded):
    before = (
        Worker.objects.count(),
        Enrollment.objects.count(),
        Registration.objects.count(),
        ReportRun.objects.count(),
    )
    out = io.StringIO()
    call_command("seed_demo", "--scale", "city", stdout=out)
    after = (
        Worker.objects.count(),
        Enrollment.objects.count(),
        Registration.objects.count(),
        ReportRun.objects.count(),
    )
    assert after == before
    assert "城市规模数据：已有数据，跳过" in out.getvalue()


def test_sequences_continue_after_the_bulk_ids(seeded):
    """Ids were assigned by the seeder; the next row made the normal way gets a fresh one."""
    last = Worker.objects.order_by("-pk").values_list("pk", flat=True).first()
    worker = Worker.objects.create(
        id_number_hash="x" * 64,
        id_number_encrypted="x",
        id_number_masked="x",
        name="新人",
        sex="M",
        birth_date=datetime.date(1990, 1, 1),
        household="urban",
        education="junior",
    )
    assert worker.pk > last


@pytest.mark.postgres
def test_copy_path_is_what_ran_on_postgresql(seeded):
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's (set DATABASE_URL=postgres://...)")
    assert demo_city._is_postgres()
    assert city_classes().count() > 0


def test_the_progress_job_benchmark_counts_the_same_queries_twice(seeded):
    """benchmarks.progress_job measures through the Celery task, in-process; the count it
    compares across sizes is stable from one run to the next."""
    from benchmarks.progress_job import measure_progress

    city = {"campaign": seeded["campaign"], "moment": demo_city.city_moment(seeded["campaign"])}
    first, seconds = measure_progress(city)
    second, _ = measure_progress(city)
    assert first == second
    assert 0 < first <= 20
    assert seconds > 0


# ---- the bulk writer's pieces (no database) ----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "\\N"),
        (True, "t"),
        (False, "f"),
        (12, "12"),
        ("a\tb\nc\\d", "a\\tb\\nc\\\\d"),
        (datetime.date(2014, 3, 1), "2014-03-01"),
    ],
)
def test_copy_text_format_escapes_what_postgresql_reads_specially(value, text):
    from core.pgcopy import copy_text

    assert copy_text(value) == text


def test_progress_bar_draws_a_share_and_ends_the_line_when_done():
    stream = io.StringIO()
    bar = demo_city.Progress(stream=stream, width=10)
    bar("学员", 50, 200)
    assert "[##........]" in stream.getvalue()
    assert "25%" in stream.getvalue()
    assert not stream.getvalue().endswith("\n")
    bar("学员", 200, 200)
    assert stream.getvalue().endswith("\n")
    assert "200/200" in stream.getvalue()
