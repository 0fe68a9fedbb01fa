"""City-scale demo data (issue 10): the whole two-year campaign at its full volume.

``manage.py seed_demo --scale city`` (or ``--scale 0.1`` for a tenth of it) builds:

1. the normal demo at scale 1 (accounts, returns, the curated training and appraisal story), with
   the clock standing after the campaign's last lock day, so every one of the 24 months is
   history: returns for all units and all months;
2. on top of it, in bulk, the volume of the real campaign (``CITY`` × fraction): workers,
   closed classes with enrollments, three spot checks each, results and job referrals, appraisal
   sittings, registrations with results and certificates, subsidy claims;
3. the monthly progress snapshots and bulletins (``dashboard.demo.seed_reports``).

The class records follow the returns: each category-month gets enrollments in proportion to the
trained figure its return reported (and the return's pass and employment shares), so the
evidence-vs-returns check agrees at every scale.

Attendance: every enrollment carries ``sessions_attended`` (what the subsidy rule reads); per-
session ``AttendanceRecord`` rows are written for a sample of classes only (``ATTENDANCE_SAMPLE``,
entered session by session, the counter equal to the sessions marked present). Writing one row
per trainee and session would be tens of millions of rows that no page reads in bulk.

Speed: on PostgreSQL the big tables are written with ``COPY`` (``core.pgcopy``), with
primary keys assigned here and the sequences moved past them afterwards; elsewhere (SQLite, the
tests) with ``bulk_create``. Deterministic for a given seed. Progress goes to stderr.

Subsidy claims: ``CITY["claims"]`` training-subsidy claims of subsidised trainees who passed, in
every state, at the standards the subsidies app loaded — as claim rows only (the public notices
and payment batches the services attach on the way to ``paid`` are not rebuilt in bulk). Award
cycles come from the awards app's own demo seeder (step 1).
"""

import datetime
import itertools
import math
import random
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from core import clock, crypto
from core.models import AuditEvent, County, User
from core.pgcopy import copy_text, copy_write
from core.roles import Role
from core.services import audit_record
from core.validators import make_resident_id, mask_resident_id
from training import deadlines
from training.models import (
    AttendanceRecord,
    Campaign,
    Enrollment,
    Inspection,
    Institution,
    JobReferral,
    MonthlyReturn,
    PopulationGroup,
    Programme,
    ReturnLine,
    TrainingCategory,
    TrainingClass,
    Worker,
)

# The campaign at full volume (issue 10, DOMAIN.md §2): what ``--scale city`` reaches.
CITY: dict[str, int] = {
    "workers": 300_000,
    "enrollments": 400_000,
    "classes": 10_000,
    "registrations": 45_000,
    "claims": 100_000,
}
ATTENDANCE_SAMPLE = 100  # one class in this many has per-session attendance rows
INSPECTIONS_PER_CLASS_EXTRA = 0  # beyond the campaign's minimum
CHUNK = 20_000
BIRTH_DAYS = 14_600  # birth dates spread over 40 years
LEVEL_WEIGHTS = ((5, 70), (4, 15), (3, 13), (2, 2))
CLAIM_STATUS_WEIGHTS = (
    ("submitted", 5),
    ("under_review", 5),
    ("returned", 2),
    ("refused", 3),
    ("withdrawn", 2),
    ("in_notice", 5),
    ("ready", 8),
    ("in_payment", 5),
    ("paid", 62),
    ("failed", 3),
)
REGISTRATION_STATUS_WEIGHTS = (
    ("passed", 76),
    ("failed", 14),
    ("absent", 5),
    ("withdrawn", 3),
    ("registered", 2),
)


def city_moment(campaign: Campaign) -> datetime.datetime:
    """Where the city-scale demo stands: ten days after the last month's return locked, so the
    whole campaign is history."""
    last = campaign.reporting_months()[-1]
    return deadlines.window_for(campaign, last).locks_at + datetime.timedelta(days=10, hours=10)


@contextmanager
def clock_at(moment: datetime.datetime):
    """Stand the campaign clock at ``moment`` (ticking) for the block, whatever DEBUG says."""
    started = timezone.now()

    def ticking() -> datetime.datetime:
        return moment + (timezone.now() - started)

    with mock.patch.object(clock, "now", new=ticking):
        yield


class Progress:
    """A one-line progress bar on stderr: ``[#####.....] 52% enrollments 208,000/400,000``."""

    def __init__(self, stream=None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.started = time.monotonic()

    def __call__(self, label: str, done: int, total: int) -> None:
        share = 1.0 if not total else min(1.0, done / total)
        filled = int(share * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.monotonic() - self.started
        self.stream.write(
            f"\r[{bar}] {share:4.0%} {label} {done:,}/{total:,} ({elapsed:.0f}s)\033[K"
        )
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


# ---- writing rows fast -------------------------------------------------------------------------


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def write_rows(
    model,
    columns: Sequence[str],
    rows: Iterable[tuple],
    *,
    total: int,
    progress: Callable[[str, int, int], None],
    label: str,
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order, database column names) into ``model``'s
    table: COPY on PostgreSQL, ``bulk_create`` elsewhere. Returns the number written."""
    written = 0
    table = model._meta.db_table
    if _is_postgres():
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        lines: list[str] = []
        for row in rows:
            lines.append("\t".join(map(copy_text, row)) + "\n")
            written += 1
            if len(lines) >= CHUNK:
                copy_write(connection, sql, "".join(lines))
                lines = []
                progress(label, written, total)
        if lines:
            copy_write(connection, sql, "".join(lines))
    else:
        attnames = {f.column: f.attname for f in model._meta.concrete_fields}
        names = [attnames[c] for c in columns]
        batch = []
        for row in rows:
            batch.append(model(**dict(zip(names, row, strict=True))))
            written += 1
            if len(batch) >= CHUNK // 4:
                model.objects.bulk_create(batch)
                batch = []
                progress(label, written, total)
        if batch:
            model.objects.bulk_create(batch)
    progress(label, written, max(total, written))
    return written


def _next_id(model) -> int:
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


def _reset_sequences(models: list) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def _weighted(rng: random.Random, weights) -> object:
    values, shares = zip(*weights, strict=True)
    return rng.choices(values, weights=shares)[0]


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


# ---- the volume layer --------------------------------------------------------------------------


class CitySeeder:
    def __init__(
        self, *, campaign: Campaign, fraction: float, rng: random.Random, progress: Progress
    ) -> None:
        self.campaign = campaign
        self.fraction = fraction
        self.rng = rng
        self.progress = progress
        self.now = clock.now()
        self.today = clock.today()
        self.target = {key: max(1, round(value * fraction)) for key, value in CITY.items()}
        self.counts: dict[str, int] = {}

    # ---- workers -------------------------------------------------------------------------

    def workers(self) -> None:
        """Workers up to the target, with valid resident IDs, encrypted and hashed as the Worker
        service stores them; spread over the counties, with one population group each."""
        from training.demo import (
            FEMALE_GIVEN,
            MALE_GIVEN,
            REGION_PREFIXES,
            SURNAMES,
        )

        rng = self.rng
        need = self.target["workers"] - Worker.objects.count()
        self.counts["workers"] = max(0, need)
        self.new_workers: list[int] = []
        if need <= 0:
            return
        seen = set(Worker.objects.values_list("id_number_hash", flat=True))
        counties = list(County.objects.order_by("sort_order", "code"))
        groups = list(PopulationGroup.objects.order_by("sort_order").values_list("pk", flat=True))
        start_id = _next_id(Worker)
        base = datetime.date(1960, 1, 1)
        created = timezone.now()
        worker_groups: list[tuple[int, int]] = []
        self.worker_county: dict[int, int | None] = {}
        self.worker_name: dict[int, str] = {}
        educations = [e.value for e in Worker.Education]
        surnames, male, female = SURNAMES, MALE_GIVEN, FEMALE_GIVEN

        def rows():
            index = 0
            produced = 0
            while produced < need:
                county = counties[index % len(counties)] if counties else None
                prefix = REGION_PREFIXES.get(county.code, "411000") if county else "411000"
                birth = base + datetime.timedelta(days=(index * 7919) % BIRTH_DAYS)
                # Sequence 500–999 (the small demo uses lower ones); its parity is the sex.
                sequence = 500 + (index // BIRTH_DAYS) % 500
                index += 1
                number = make_resident_id(f"{prefix}{birth:%Y%m%d}{sequence:03d}")
                digest = crypto.keyed_hash(number)
                if digest in seen:
                    continue
                seen.add(digest)
                sex = "M" if sequence % 2 else "F"
                given = male if sex == "M" else female
                name = rng.choice(surnames) + "".join(
                    rng.choice(given) for _ in range(1 + (index % 3 == 0))
                )
                pk = start_id + produced
                produced += 1
                self.new_workers.append(pk)
                self.worker_name[pk] = name
                county_id = county.pk if county else None
                self.worker_county[pk] = county_id
                if groups:
                    worker_groups.append((pk, groups[rng.randrange(len(groups))]))
                yield (
                    pk,
                    created,
                    created,
                    digest,
                    crypto.encrypt(number),
                    mask_resident_id(number),
                    name,
                    sex,
                    birth,
                    f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
                    county_id,
                    "rural" if rng.random() < 0.55 else "urban",
                    educations[rng.randrange(len(educations))],
                    None,
                    None,
                )

        write_rows(
            Worker,
            [
                "id",
                "created_at",
                "updated_at",
                "id_number_hash",
                "id_number_encrypted",
                "id_number_masked",
                "name",
                "sex",
                "birth_date",
                "phone",
                "county_id",
                "household",
                "education",
                "user_id",
                "registered_at_id",
            ],
            rows(),
            total=need,
            progress=self.progress,
            label="劳动者",
        )
        through = Worker.groups.through
        write_rows(
            through,
            ["worker_id", "populationgroup_id"],
            iter(worker_groups),
            total=len(worker_groups),
            progress=self.progress,
            label="人员类别",
        )

    # ---- classes, enrollments, inspections, referrals, attendance -------------------------

    def _cells(self) -> list[dict]:
        """One cell per category and month: how many the returns reported (trained and the
        pass / employment / self-employment shares), less what the records already hold."""
        months = self.campaign.reporting_months()
        categories = list(
            TrainingCategory.objects.filter(campaign=self.campaign).order_by("number")
        )
        reported = {
            (category_id, month): (trained, passed, employed, entrepreneurs)
            for category_id, month, trained, passed, employed, entrepreneurs in (
                ReturnLine.objects.filter(monthly_return__campaign=self.campaign)
                .exclude(monthly_return__status=MonthlyReturn.Status.DRAFT)
                .values_list(
                    "category_id",
                    "monthly_return__month",
                    "trained",
                    "passed",
                    "employed",
                    "entrepreneurs",
                )
            )
        }
        held: dict[tuple[int, datetime.date], int] = {}
        for category_id, end_date in Enrollment.objects.filter(campaign=self.campaign).values_list(
            "training_class__category_id", "training_class__end_date"
        ):
            key = (category_id, end_date.replace(day=1))
            held[key] = held.get(key, 0) + 1
        cells = []
        for category in categories:
            for month in months:
                trained, passed, employed, entrepreneurs = reported.get(
                    (category.pk, month),
                    (max(1, category.quota // len(months)), 0, 0, 0),
                )
                if not passed:  # no return: the usual shares
                    passed, employed, entrepreneurs = (
                        int(trained * 0.88),
                        int(trained * 0.6),
                        int(trained * 0.02),
                    )
                cells.append(
                    {
                        "category": category,
                        "month": month,
                        "weight": trained,
                        "held": held.get((category.pk, month), 0),
                        "pass_share": passed / trained if trained else 0.85,
                        "employ_share": employed / passed if passed else 0.6,
                        "self_share": entrepreneurs / employed if employed else 0.0,
                    }
                )
        return cells

    def classes(self) -> None:
        from training.demo import CATEGORY_PROFILES, EMPLOYERS

        rng = self.rng
        campaign = self.campaign
        cells = self._cells()
        existing = Enrollment.objects.filter(campaign=campaign).count()
        need = self.target["enrollments"] - existing
        existing_classes = TrainingClass.objects.filter(campaign=campaign).count()
        class_need = max(1, self.target["classes"] - existing_classes)
        self.counts.update(enrollments=max(0, need), classes=0)
        self.passed_members: list[tuple[int, int, int, int, datetime.date]] = []
        # (enrollment, worker, category, occupation, class kind, closed at) for the claims.
        self.subsidised_passed: list[tuple] = []
        if need <= 0 or not self.new_workers:
            return
        # Share the enrollments out over the cells in proportion to what was reported.
        total_weight = sum(c["weight"] for c in cells) or 1
        wanted = [
            max(0, round((existing + need) * c["weight"] / total_weight) - c["held"]) for c in cells
        ]
        scale = need / (sum(wanted) or 1)
        shares = [int(w * scale) for w in wanted]
        for index in range(need - sum(shares)):
            shares[index % len(shares)] += 1
        size = max(8, need // class_need)

        institutions = {i.name: i for i in Institution.objects.all()}
        all_institutions = sorted(institutions.values(), key=lambda i: i.pk)
        teaching: dict[int, list[int]] = {}
        for institution_id, occupation_id in Programme.objects.values_list(
            "institution_id", "occupation_id"
        ):
            teaching.setdefault(institution_id, []).append(occupation_id)
        from training.models import Occupation

        any_occupations = list(Occupation.objects.order_by("code").values_list("pk", flat=True))
        office = (
            User.objects.filter(username="office").first()
            or User.objects.filter(groups__name=Role.OFFICE).order_by("pk").first()
        )
        inspectors = list(
            User.objects.filter(groups__name__in=[Role.CLERK, Role.OFFICE, Role.REVIEWER])
            .order_by("pk")
            .values_list("pk", flat=True)
            .distinct()
        )
        threshold = campaign.attendance_threshold
        minimum = max(1, campaign.min_inspections_per_class) + INSPECTIONS_PER_CLASS_EXTRA

        class_id = _next_id(TrainingClass)
        enrollment_id = _next_id(Enrollment)
        class_rows, enrollment_rows, inspection_rows = [], [], []
        referral_rows, attendance_rows = [], []
        workers = self.new_workers
        worker_count = len(workers)
        cursor = 0  # position in the worker list: enrollment i takes worker i mod N
        # A top-up (a larger fraction over a smaller one) numbers its classes on.
        number = TrainingClass.objects.filter(code__startswith="CITY-").count()
        subsidised_kinds = {n: profile[1] for n, profile in CATEGORY_PROFILES.items()}
        suited = {
            n: [institutions[name] for name in profile[2] if name in institutions]
            for n, profile in CATEGORY_PROFILES.items()
        }
        kinds = {1: "upgrade", 5: "entrepreneurship"}

        # Cells in random order: the workers' first (subsidised) trainings spread over all the
        # categories and months, rather than filling the first categories.
        allocation = list(zip(cells, shares, strict=True))
        rng.shuffle(allocation)
        for cell, share in allocation:
            if share <= 0:
                continue
            category = cell["category"]
            month = cell["month"]
            month_end = deadlines.next_month(month) - datetime.timedelta(days=1)
            pool = suited.get(category.number) or all_institutions
            class_count = max(1, math.ceil(share / size))
            sizes = [share // class_count] * class_count
            for index in range(share - sum(sizes)):
                sizes[index] += 1
            for members in sizes:
                if members <= 0:
                    continue
                number += 1
                # Mostly the suited institutions, a share to any other.
                institution = (
                    pool[rng.randrange(len(pool))]
                    if rng.random() < 0.7
                    else all_institutions[rng.randrange(len(all_institutions))]
                )
                occupations = teaching.get(institution.pk) or any_occupations
                occupation_id = occupations[rng.randrange(len(occupations))]
                end = month.replace(day=rng.randint(1, month_end.day))
                # Room for the spot checks, even in the campaign's first days.
                end = max(end, campaign.start_date + datetime.timedelta(days=minimum + 5))
                days = rng.choice((10, 15, 20, 30, 45))
                start = max(campaign.start_date, end - datetime.timedelta(days=days - 1))
                planned = max(4, min(90, ((end - start).days + 1) * 2 // 3))
                subsidised = subsidised_kinds.get(category.number, False)
                submitted = _at(start - datetime.timedelta(days=rng.randint(5, 12)), 9)
                decided = submitted + datetime.timedelta(days=rng.randint(1, 3), hours=2)
                closed = _at(min(end + datetime.timedelta(days=rng.randint(1, 6)), self.today), 16)
                pk = class_id
                class_id += 1
                class_rows.append(
                    (
                        pk,
                        submitted,
                        closed,
                        campaign.pk,
                        f"CITY-{month:%Y%m}-{number:06d}",
                        f"{category.name}第{number}期",
                        institution.pk,
                        category.pk,
                        occupation_id,
                        kinds.get(category.number, "employment"),
                        None,
                        None,
                        False,
                        subsidised,
                        start,
                        end,
                        planned,
                        planned,
                        max(members, 50),
                        "城市规模演示教师",
                        TrainingClass.Status.CLOSED,
                        "",
                        "",
                        "",
                        submitted,
                        decided,
                        office.pk if office else None,
                        "",
                        rng.randrange(2**62),
                        closed,
                    )
                )
                need_sessions = math.ceil(threshold * planned)
                passed_n = round(members * cell["pass_share"])
                employed_n = round(passed_n * cell["employ_share"])
                self_n = round(employed_n * cell["self_share"])
                sample = number % ATTENDANCE_SAMPLE == 0
                for seat in range(members):
                    worker = workers[cursor % worker_count]
                    first_time = cursor < worker_count
                    cursor += 1
                    passed = seat < passed_n
                    low = rng.random() < (0.03 if passed else 0.5)
                    attended = (
                        rng.randint(max(0, need_sessions - 4), max(0, need_sessions - 1))
                        if low and need_sessions
                        else rng.randint(need_sessions, planned)
                    )
                    eid = enrollment_id
                    enrollment_id += 1
                    enrollment_rows.append(
                        (
                            eid,
                            submitted,
                            closed,
                            campaign.pk,
                            pk,
                            worker,
                            subsidised and first_time,
                            attended,
                            "passed" if passed else "failed",
                            closed,
                        )
                    )
                    if passed:
                        self.passed_members.append((eid, worker, pk, occupation_id, end))
                        if subsidised and first_time:
                            self.subsidised_passed.append(
                                (
                                    eid,
                                    worker,
                                    category.pk,
                                    occupation_id,
                                    kinds.get(category.number, "employment"),
                                    closed,
                                )
                            )
                        if seat < self_n:
                            outcome, employer = "self_employed", "自主创业"
                        elif seat < employed_n:
                            outcome, employer = "employed", EMPLOYERS[seat % len(EMPLOYERS)]
                        else:
                            outcome, employer = "not_employed", EMPLOYERS[seat % len(EMPLOYERS)]
                        referred = min(
                            end + datetime.timedelta(days=rng.randint(3, 20)), self.today
                        )
                        referral_rows.append(
                            (
                                eid,
                                closed,
                                closed,
                                employer,
                                "城市规模演示岗位",
                                referred,
                                outcome,
                                min(
                                    referred + datetime.timedelta(days=rng.randint(7, 40)),
                                    self.today,
                                ),
                            )
                        )
                    if sample:
                        present = set(rng.sample(range(1, planned + 1), attended))
                        attendance_rows.extend(
                            (eid, closed, closed, session, session in present)
                            for session in range(1, planned + 1)
                        )
                span = (end - start).days + 1
                days_drawn = sorted(rng.sample(range(span), min(minimum, span)))
                for offset in days_drawn:
                    day = start + datetime.timedelta(days=offset)
                    roster = members
                    good = rng.random() < 0.9
                    inspection_rows.append(
                        (
                            pk,
                            day,
                            inspectors[rng.randrange(len(inspectors))] if inspectors else None,
                            _at(day, rng.randint(8, 16), rng.randint(0, 59)),
                            f"第{max(1, planned * (offset + 1) // span)}次课（共{planned}次）",
                            "实际操作训练" if offset % 2 else "理论讲授",
                            True,
                            max(0, roster - rng.randint(0, max(1, roster // 10))),
                            roster,
                            "" if good else "教学进度滞后于教学计划",
                            "good" if good else "issues",
                            closed,
                        )
                    )

        self.counts.update(
            classes=len(class_rows),
            enrollments=len(enrollment_rows),
            inspections=len(inspection_rows),
            referrals=len(referral_rows),
            attendance_records=len(attendance_rows),
        )
        write_rows(
            TrainingClass,
            [
                "id",
                "created_at",
                "updated_at",
                "campaign_id",
                "code",
                "name",
                "institution_id",
                "category_id",
                "occupation_id",
                "kind",
                "specialty_id",
                "order_id",
                "on_site",
                "subsidised",
                "start_date",
                "end_date",
                "planned_sessions",
                "sessions_held",
                "capacity",
                "teachers",
                "status",
                "approval_form",
                "teaching_plan",
                "roster_file",
                "submitted_at",
                "decided_at",
                "decided_by_id",
                "decision_reason",
                "inspection_seed",
                "closed_at",
            ],
            iter(class_rows),
            total=len(class_rows),
            progress=self.progress,
            label="培训班",
        )
        del class_rows
        write_rows(
            Enrollment,
            [
                "id",
                "created_at",
                "updated_at",
                "campaign_id",
                "training_class_id",
                "worker_id",
                "subsidised",
                "sessions_attended",
                "result",
                "result_recorded_at",
            ],
            iter(enrollment_rows),
            total=len(enrollment_rows),
            progress=self.progress,
            label="学员",
        )
        del enrollment_rows
        write_rows(
            Inspection,
            [
                "training_class_id",
                "planned_date",
                "inspector_id",
                "done_at",
                "teaching_progress",
                "content",
                "teacher_present",
                "students_present",
                "students_on_roster",
                "findings",
                "verdict",
                "created_at",
                "updated_at",
            ],
            ((*row, row[-1]) for row in inspection_rows),
            total=len(inspection_rows),
            progress=self.progress,
            label="随机抽查",
        )
        write_rows(
            JobReferral,
            [
                "enrollment_id",
                "created_at",
                "updated_at",
                "employer",
                "post",
                "referred_on",
                "outcome",
                "outcome_on",
            ],
            iter(referral_rows),
            total=len(referral_rows),
            progress=self.progress,
            label="就业推荐",
        )
        write_rows(
            AttendanceRecord,
            ["enrollment_id", "created_at", "updated_at", "session_number", "present"],
            iter(attendance_rows),
            total=len(attendance_rows),
            progress=self.progress,
            label="考勤记录（抽样）",
        )

    # ---- appraisal ------------------------------------------------------------------------

    def appraisal(self) -> None:
        from appraisal.models import (
            AppraisalBody,
            BodyAuthorisation,
            Certificate,
            CertificateCounter,
            Registration,
            Sitting,
        )

        rng = self.rng
        need = self.target["registrations"] - Registration.objects.count()
        self.counts.update(registrations=0, sittings=0, certificates=0)
        if need <= 0 or not self.passed_members:
            return
        bodies = {b.pk: b for b in AppraisalBody.objects.all()}
        authorised: dict[int, list[tuple[int, int]]] = {}
        for body_id, occupation_id, max_level in BodyAuthorisation.objects.values_list(
            "body_id", "occupation_id", "max_level"
        ):
            authorised.setdefault(occupation_id, []).append((body_id, max_level))
        staff = (
            User.objects.filter(groups__name=Role.REVIEWER).order_by("pk").first()
            or User.objects.filter(username="office").first()
        )
        if not bodies or staff is None:
            return
        fallback_body = min(bodies)
        # The passed trainees, spread evenly: every k-th of them registers; the others stand by
        # for the few a duplicate (same worker, trade and level) leaves out.
        step = max(1, len(self.passed_members) // need)
        chosen = itertools.chain(
            self.passed_members[::step],
            (m for i, m in enumerate(self.passed_members) if i % step),
        )
        sittings: dict[tuple[int, int, int, datetime.date], int] = {}
        sitting_rows = []
        sitting_id = _next_id(Sitting)
        registration_id = _next_id(Registration)
        registration_rows, certificate_rows = [], []
        counters = {
            (c.issuer_code, c.year): c.last_serial for c in CertificateCounter.objects.all()
        }
        last_exam = self.today - datetime.timedelta(days=3)
        taken: set[tuple[int, int, int]] = set()  # one registration per worker, trade, level
        for _enrollment_id, worker, class_id, occupation_id, end in chosen:
            if len(registration_rows) >= need:
                break
            level = _weighted(rng, LEVEL_WEIGHTS)
            if (worker, occupation_id, level) in taken:
                continue
            taken.add((worker, occupation_id, level))
            options = [(b, m) for b, m in authorised.get(occupation_id, []) if level >= m]
            body_id = options[rng.randrange(len(options))][0] if options else fallback_body
            exam_date = min(deadlines.next_month(end.replace(day=1)).replace(day=20), last_exam)
            status = _weighted(rng, REGISTRATION_STATUS_WEIGHTS)
            registered_at = _at(end + datetime.timedelta(days=1), 10)
            sitting_id_for = None
            if status in ("passed", "failed", "absent"):
                key = (body_id, occupation_id, level, exam_date)
                if key not in sittings:
                    sittings[key] = sitting_id
                    sitting_rows.append(
                        [
                            sitting_id,
                            registered_at,
                            registered_at,
                            body_id,
                            occupation_id,
                            level,
                            exam_date,
                            f"{bodies[body_id].name}考场",
                            0,
                            Decimal("60.0"),
                            "qualification",
                            staff.pk,
                        ]
                    )
                    sitting_id += 1
                sitting_id_for = sittings[key]
                sitting_rows[sitting_id_for - sitting_rows[0][0]][8] += 1
            theory = practical = recorded = None
            if status == "passed":
                theory = Decimal(rng.randint(600, 980)) / 10
                practical = Decimal(rng.randint(600, 990)) / 10
            elif status == "failed":
                theory = Decimal(rng.randint(300, 900)) / 10
                practical = Decimal(rng.randint(200, 590)) / 10
            if theory is not None:
                recorded = _at(exam_date + datetime.timedelta(days=rng.randint(5, 15)), 15)
                recorded = min(recorded, self.now)
            pk = registration_id
            registration_id += 1
            registration_rows.append(
                (
                    pk,
                    registered_at,
                    recorded or registered_at,
                    worker,
                    occupation_id,
                    level,
                    "class",
                    None,
                    class_id,
                    rng.randint(0, 8) + (5 - level) * 2,
                    rng.random() < 0.3,
                    False,
                    status,
                    sitting_id_for,
                    theory,
                    practical,
                    recorded,
                    staff.pk if recorded else None,
                    staff.pk,
                )
            )
            if status == "passed":
                issued = min(recorded.date() + datetime.timedelta(days=10), self.today)
                issuer = f"{body_id:04d}"
                key = (issuer, issued.year)
                counters[key] = counters.get(key, 0) + 1
                certificate_rows.append(
                    (
                        recorded,
                        recorded,
                        f"XC{issued.year}{issuer}{counters[key]:06d}",
                        "qualification",
                        worker,
                        occupation_id,
                        level,
                        issued,
                        body_id,
                        bodies[body_id].name,
                        pk,
                        class_id,
                    )
                )
        self.counts.update(
            registrations=len(registration_rows),
            sittings=len(sitting_rows),
            certificates=len(certificate_rows),
        )
        write_rows(
            Sitting,
            [
                "id",
                "created_at",
                "updated_at",
                "body_id",
                "occupation_id",
                "level",
                "exam_date",
                "place",
                "capacity",
                "pass_mark",
                "certificate_kind",
                "created_by_id",
            ],
            (tuple(row) for row in sitting_rows),
            total=len(sitting_rows),
            progress=self.progress,
            label="考试场次",
        )
        write_rows(
            Registration,
            [
                "id",
                "created_at",
                "updated_at",
                "worker_id",
                "occupation_id",
                "level",
                "channel",
                "point_id",
                "training_class_id",
                "years_in_trade",
                "entrusted_to_claim",
                "by_exception",
                "status",
                "sitting_id",
                "theory_score",
                "practical_score",
                "result_recorded_at",
                "result_recorded_by_id",
                "registered_by_id",
            ],
            iter(registration_rows),
            total=len(registration_rows),
            progress=self.progress,
            label="鉴定报名",
        )
        write_rows(
            Certificate,
            [
                "created_at",
                "updated_at",
                "number",
                "kind",
                "worker_id",
                "occupation_id",
                "level",
                "issued_on",
                "body_id",
                "issuer_name",
                "registration_id",
                "training_class_id",
            ],
            iter(certificate_rows),
            total=len(certificate_rows),
            progress=self.progress,
            label="证书",
        )
        for (issuer, year), last in counters.items():
            CertificateCounter.objects.update_or_create(
                issuer_code=issuer, year=year, defaults={"last_serial": last}
            )

    # ---- subsidy claims ---------------------------------------------------------------------

    def claims(self) -> None:
        """Training-subsidy claims for the subsidised trainees who passed, in every state, at the
        standard the subsidies app holds for the class. Claim rows only: the public notices and
        payment batches that carry a claim through ``in_notice`` … ``paid`` in the services are
        not rebuilt in bulk (the claim lists and status pages read the claim rows)."""
        try:
            from subsidies.models import ClaimCounter, SubsidyClaim
            from subsidies.services.claims import NUMBER_PREFIX
            from subsidies.services.standards import standard_for
        except ImportError:
            self.counts["claims"] = 0
            return
        from core.validators import mask_bank_account

        rng = self.rng
        need = self.target["claims"] - SubsidyClaim.objects.count()
        self.counts["claims"] = 0
        office = User.objects.filter(username="office").first()
        reviewer = User.objects.filter(groups__name=Role.REVIEWER).order_by("pk").first()
        if need <= 0 or office is None or not self.subsidised_passed:
            return
        from training.demo import BANKS as banks

        standards: dict[tuple, object] = {}
        counters = {c.year: c.last_serial for c in ClaimCounter.objects.all()}
        step = max(1, len(self.subsidised_passed) // need)
        rows = []
        for eid, worker, category_id, occupation_id, kind, closed in self.subsidised_passed[::step][
            :need
        ]:
            key = (category_id, occupation_id, kind, closed.year)
            if key not in standards:
                standards[key] = standard_for(
                    campaign=self.campaign,
                    kind="training",
                    on=closed.date(),
                    category_id=category_id,
                    occupation_id=occupation_id,
                    training_kind=kind,
                )
            standard = standards[key]
            if standard is None:
                continue
            status = _weighted(rng, CLAIM_STATUS_WEIGHTS)
            submitted = min(closed + datetime.timedelta(days=rng.randint(2, 30)), self.now)
            decided = paid = None
            if status not in ("submitted", "under_review", "withdrawn"):
                decided = min(submitted + datetime.timedelta(days=rng.randint(3, 20)), self.now)
            if status == "paid":
                paid = min(decided + datetime.timedelta(days=rng.randint(15, 40)), self.now)
            counters[submitted.year] = counters.get(submitted.year, 0) + 1
            account = "6222" + f"{rng.randrange(10**15):015d}"
            rows.append(
                (
                    submitted,
                    paid or decided or submitted,
                    f"{NUMBER_PREFIX}-{submitted.year}-{counters[submitted.year]:06d}",
                    "training",
                    self.campaign.pk,
                    worker,
                    eid,
                    None,
                    occupation_id,
                    None,
                    "worker",
                    None,
                    None,
                    "person",
                    self.worker_name.get(worker, "学员"),
                    banks[rng.randrange(len(banks))],
                    crypto.encrypt(account),
                    mask_bank_account(account),
                    crypto.keyed_hash(account),
                    standard.amount,
                    standard.pk,
                    status,
                    submitted,
                    office.pk,
                    decided,
                    reviewer.pk if decided and reviewer else None,
                    "经核查，不符合补贴条件。" if status == "refused" else "",
                    paid,
                    1,
                )
            )
        self.counts["claims"] = len(rows)
        write_rows(
            SubsidyClaim,
            [
                "created_at",
                "updated_at",
                "number",
                "kind",
                "campaign_id",
                "worker_id",
                "enrollment_id",
                "certificate_id",
                "occupation_id",
                "level",
                "channel",
                "institution_id",
                "entrustment_id",
                "payee_kind",
                "payee_name",
                "bank_name",
                "account_encrypted",
                "account_masked",
                "account_hash",
                "amount",
                "standard_id",
                "status",
                "submitted_at",
                "submitted_by_id",
                "decided_at",
                "decided_by_id",
                "decision_reason",
                "paid_at",
                "version",
            ],
            iter(rows),
            total=len(rows),
            progress=self.progress,
            label="补贴申请",
        )
        for year, last in counters.items():
            ClaimCounter.objects.update_or_create(year=year, defaults={"last_serial": last})

    def finish(self) -> None:
        from appraisal.models import Certificate, Registration, Sitting

        _reset_sequences(
            [
                Worker,
                Worker.groups.through,
                TrainingClass,
                Enrollment,
                Inspection,
                JobReferral,
                AttendanceRecord,
                Sitting,
                Registration,
                Certificate,
            ]
        )


def seeded_fraction(campaign: Campaign) -> float:
    """The largest fraction of the city already seeded (0 when none): a run with a larger one
    tops the data up to its targets, one with a smaller or equal one does nothing."""
    done = AuditEvent.objects.filter(action="demo.seed_city").values_list("changes", flat=True)
    return max((float(changes.get("fraction", 0)) for changes in done), default=0.0)


def vacuum_analyze() -> None:
    """Fresh statistics and visibility maps for the bulk-written tables (PostgreSQL, outside a
    transaction only), as autovacuum would give them later: the planner then picks the indexes
    (and index-only counts) the pages are built for."""
    if not _is_postgres() or connection.in_atomic_block:
        return
    from appraisal.models import Certificate, Registration

    with connection.cursor() as cursor:
        for model in (
            Worker,
            Worker.groups.through,
            TrainingClass,
            Enrollment,
            Inspection,
            JobReferral,
            AttendanceRecord,
            Registration,
            Certificate,
        ):
            cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")


def seed_city(
    *, fraction: float = 1.0, seed_value: int = 2013, log: Callable[[str], None] = print
) -> dict[str, int]:
    """The city-scale demo (see the module docstring). ``fraction`` 1.0 is the full campaign."""
    from core import demo as core_demo
    from dashboard import demo

    campaign = Campaign.objects.current()
    if campaign is None:
        raise RuntimeError("请先运行 manage.py load_plan 载入专项活动方案。")
    moment = city_moment(campaign)
    started = time.monotonic()
    rng = random.Random(seed_value)  # noqa: S311 - demo data, reproducible on purpose
    progress = Progress()
    with clock_at(moment):
        with transaction.atomic():
            created = core_demo.seed_accounts()
        log(f"演示账号：{len(created)} 个；演示时点 {timezone.localtime(moment):%Y-%m-%d %H:%M}")
        seeders = [s for s in demo._load_seeders() if s is not demo.seed_reports]
        for seeder in seeders:
            seeder(campaign=campaign, scale=1, rng=rng, log=log)
        if seeded_fraction(campaign) >= fraction:
            log("城市规模数据：已有数据，跳过")
            counts: dict[str, int] = {}
        else:
            with transaction.atomic():
                seeder = CitySeeder(
                    campaign=campaign, fraction=fraction, rng=rng, progress=progress
                )
                seeder.workers()
                seeder.classes()
                seeder.appraisal()
                seeder.claims()
                seeder.finish()
                counts = seeder.counts
                audit_record(
                    actor=None,
                    action="demo.seed_city",
                    obj=campaign,
                    changes={"city": counts, "fraction": fraction},
                )
            log(
                "城市规模数据：新增劳动者 {workers:,} 人，培训班 {classes:,} 个，"
                "学员 {enrollments:,} 人次，抽查 {inspections:,} 次，就业推荐 {referrals:,} 条，"
                "考勤记录（抽样）{attendance_records:,} 条，鉴定报名 {registrations:,} 人次，"
                "证书 {certificates:,} 本，补贴申请 {claims:,} 份".format(
                    **{
                        "inspections": 0,
                        "referrals": 0,
                        "attendance_records": 0,
                        "claims": 0,
                        **counts,
                    }
                )
            )
        demo.seed_reports(campaign=campaign, scale=1, rng=rng, log=log)
        if counts:
            demo.refresh_breakdowns(campaign=campaign, log=log)
    vacuum_analyze()
    log(
        f"城市规模演示数据完成，用时 {time.monotonic() - started:.0f} 秒。运行服务时请设置 "
        f"APP_TODAY={timezone.localtime(moment):%Y-%m-%dT%H:%M:%S}"
    )
    return counts
