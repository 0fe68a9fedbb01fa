"""Demo data for skill appraisal: bodies with their authorisations, sittings over 2013–2014 with
registrations and results for about 15% of the workers who passed a class, certificates (high
-skilled ones included), enterprise evaluation pilots with their "四个一" and evaluations, "双一"
exceptions, and employment-access inspections.

Rows are written in bulk, not through the services (replaying two years of clicks would need the
clock moved for every step), but they obey the same rules: registrations meet the level rule
(an upgrade candidate holds the certificate below it, issued before the campaign), certificate
numbers follow the issuing scheme and the counters are moved past them, a pilot evaluates only
after its four items are in, every exception is decided by someone other than who asked. One
``demo.seed_appraisal`` audit row records what was written.

Runs after training's seeders (it reads their classes and enrollments). Safe to run twice: does
nothing when appraisal bodies or pilots already exist.
"""

from __future__ import annotations

import datetime
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from appraisal.models import (
    AppraisalBody,
    BodyAuthorisation,
    Certificate,
    CertificateCounter,
    CertificateKind,
    DualOneException,
    EmploymentInspection,
    EnterpriseEvaluation,
    LevelRule,
    PilotChecklistItem,
    PilotEnterprise,
    Registration,
    Sitting,
)
from core import clock, crypto
from core.models import County, User
from core.services import audit_record
from core.validators import make_resident_id, mask_resident_id
from training.demo import EMPLOYERS, FEMALE_GIVEN, MALE_GIVEN, REGION_PREFIXES, SURNAMES
from training.models import Campaign, Enrollment, Institution, Occupation, TrainingClass, Worker

BATCH_SIZE = 2000
APPRAISED_SHARE = 0.15  # of the workers who passed a class
CITY_BODY = "许昌市职业技能鉴定中心"
# (county code, body name, occupations it may appraise up to 高级工; the rest up to 中级工)
BODIES: list[tuple[str, str, tuple[str, ...]]] = [
    ("weidu", CITY_BODY, ()),
    ("weidu", "许昌技师学院职业技能鉴定所", ("ZY009", "ZY010", "ZY017", "ZY019", "ZY021")),
    ("yuzhou", "禹州市职业技能鉴定所", ("ZY001", "ZY002", "ZY003")),
    ("changge", "长葛市职业技能鉴定所", ("ZY004", "ZY005", "ZY006")),
    ("xuchangxian", "许昌县职业技能鉴定站", ("ZY007", "ZY008")),
    ("xiangcheng", "襄城县职业技能鉴定站", ("ZY011", "ZY012")),
    ("yanling", "鄢陵县职业技能鉴定站", ("ZY013", "ZY014", "ZY015", "ZY016")),
]
# Occupations every county station appraises (up to 中级工) besides its own industries.
COMMON = ("ZY010", "ZY017", "ZY023", "ZY024", "ZY025", "ZY026", "ZY027", "ZY030")
ENTREPRENEURSHIP = "ZY029"
# Level of a registration after a class (初级工 first; others upgrade a certificate they hold).
LEVEL_WEIGHTS = ((5, 45), (4, 30), (3, 20), (2, 5))
PASS_RATE = {5: 0.86, 4: 0.80, 3: 0.72, 2: 0.65, 1: 0.6}
ABSENT_RATE = 0.03

# (name, county, size class, enterprise training institution, occupations, designated on,
#  "四个一" items in place)
PILOTS: list[tuple[str, str, str, str | None, tuple[str, ...], datetime.date, int]] = [
    (
        "许继集团有限公司",
        "weidu",
        "large_state",
        None,
        ("ZY017", "ZY022", "ZY018"),
        datetime.date(2013, 8, 15),
        4,
    ),
    (
        "平煤神马集团襄城煤业有限公司",
        "xiangcheng",
        "large_state",
        "平煤神马集团襄城职工培训中心",
        ("ZY011", "ZY017"),
        datetime.date(2013, 8, 15),
        4,
    ),
    (
        "瑞贝卡发制品股份有限公司",
        "weidu",
        "sme",
        "许昌瑞贝卡发制品职工培训中心",
        ("ZY007",),
        datetime.date(2013, 9, 10),
        4,
    ),
    (
        "河南森源电气股份有限公司",
        "jingkai",
        "sme",
        "许昌森源电气职工培训中心",
        ("ZY017", "ZY022"),
        datetime.date(2013, 9, 10),
        4,
    ),
    (
        "黄河旋风股份有限公司",
        "changge",
        "sme",
        "长葛市金刚石行业职工培训中心",
        ("ZY004",),
        datetime.date(2014, 3, 1),
        4,
    ),
    (
        "鄢陵县花木园林绿化有限公司",
        "yanling",
        "sme",
        "鄢陵县园林绿化技能培训中心",
        ("ZY013",),
        datetime.date(2014, 4, 20),
        2,
    ),
]
EMPLOYEES_PER_PILOT = 14  # × scale
INSPECTIONS_PER_SCALE = 28
POSTS = {
    "ZY017": "维修电工",
    "ZY010": "焊工",
    "ZY019": "汽车维修工",
    "ZY011": "煤矿采煤工",
    "ZY003": "矿山采掘工",
    "ZY023": "中式烹调师",
    "ZY022": "电力线路工",
    "ZY021": "数控车工",
}
INSPECTED_EMPLOYERS = (
    *EMPLOYERS,
    "许昌市顺达汽车维修有限公司",
    "禹州市神垕宏达陶瓷厂",
    "长葛市恒通不锈钢制品厂",
    "襄城县鑫源煤矿",
    "鄢陵县金鹏箱包有限公司",
    "许昌县鸿发机械加工厂",
    "许昌新区明珠酒店",
    "许昌市魏都区华联电器维修部",
)
PDF_TEXT = "Xuchang skills campaign - enterprise evaluation pilot document (demo)"


def _pdf(text: str) -> bytes:
    """A small, valid one-page PDF (so a downloaded demo document opens)."""
    stream = f"BT /F1 12 Tf 40 780 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def _bulk(model, rows: list) -> list:
    created = []
    for start in range(0, len(rows), BATCH_SIZE):
        created.extend(model.objects.bulk_create(rows[start : start + BATCH_SIZE]))
    return created


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _score(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(f"{rng.uniform(low, high):.1f}")


def _next_month(day: datetime.date, months: int = 1) -> datetime.date:
    month = day.month - 1 + months
    return datetime.date(day.year + month // 12, month % 12 + 1, 1)


@dataclass
class _People:
    reviewer: User
    office: User | None
    enterprise: User | None

    @classmethod
    def load(cls) -> _People | None:
        reviewer = (
            User.objects.filter(username="reviewer").first()
            or User.objects.filter(groups__name="reviewer").order_by("pk").first()
        )
        if reviewer is None:
            return None
        return cls(
            reviewer=reviewer,
            office=User.objects.filter(username="office").first(),
            enterprise=User.objects.filter(username="enterprise").first(),
        )


@dataclass
class _Candidate:
    worker_id: int
    class_id: int
    occupation_id: int
    end_date: datetime.date
    county_id: int | None
    point_id: int | None
    user_id: int | None


@dataclass
class _AppraisalSeeder:
    campaign: Campaign
    scale: int
    rng: random.Random
    people: _People
    counts: dict[str, int] = field(default_factory=dict)
    serials: dict[tuple[str, int], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.today = clock.today()
        self.now = clock.now()
        self.occupations = {o.code: o for o in Occupation.objects.all()}
        self.occupation_codes = {o.pk: o.code for o in self.occupations.values()}
        self.counties = {c.code: c for c in County.objects.all()}
        self.rules = {r.level: r for r in LevelRule.objects.all()}
        self.seen_hashes: set[str] = set(Worker.objects.values_list("id_number_hash", flat=True))

    # ---- numbers ------------------------------------------------------------------------------

    def number(self, issuer_code: str, year: int) -> str:
        key = (issuer_code, year)
        self.serials[key] = self.serials.get(key, 0) + 1
        return f"XC{year}{issuer_code}{self.serials[key]:06d}"

    def save_counters(self) -> None:
        """Move the certificate counters past every number written, so the next certificate
        issued through the services gets a fresh one."""
        for (issuer_code, year), last in self.serials.items():
            counter, _created = CertificateCounter.objects.get_or_create(
                issuer_code=issuer_code, year=year
            )
            if counter.last_serial < last:
                counter.last_serial = last
                counter.save(update_fields=["last_serial"])

    def years_for(self, level: int) -> int:
        rule = self.rules.get(level)
        minimum = rule.min_years_in_trade if rule else 0
        return minimum + self.rng.randint(0, 8)

    # ---- bodies -------------------------------------------------------------------------------

    def bodies(self) -> None:
        rows = [
            AppraisalBody(
                name=name,
                county=self.counties.get(county_code),
                address=f"{self.counties[county_code].name}人力资源和社会保障局院内"
                if county_code in self.counties
                else "",
                phone=f"0374-{self.rng.randint(2000000, 8999999)}",
            )
            for county_code, name, _own in BODIES
        ]
        _bulk(AppraisalBody, rows)
        self.body_by_name = {b.name: b for b in AppraisalBody.objects.all()}
        self.city = self.body_by_name[CITY_BODY]
        self.city.staff.add(self.people.reviewer)
        authorisations = []
        self.max_level: dict[tuple[int, int], int] = {}
        for county_code, name, own in BODIES:
            body = self.body_by_name[name]
            if name == CITY_BODY:
                # The city centre appraises every occupation up to 技师.
                grants = dict.fromkeys(self.occupations, 2)
            elif county_code == "weidu":
                grants = dict.fromkeys(own, 3)
            else:
                grants = dict.fromkeys(COMMON, 4) | dict.fromkeys(own, 3)
            for code, level in grants.items():
                if code not in self.occupations:
                    continue
                occupation = self.occupations[code]
                authorisations.append(
                    BodyAuthorisation(body=body, occupation=occupation, max_level=level)
                )
                self.max_level[(body.pk, occupation.pk)] = level
        _bulk(BodyAuthorisation, authorisations)
        self.county_bodies = {
            body.county_id: body
            for body in self.body_by_name.values()
            if body.name != CITY_BODY and "技师学院" not in body.name
        }
        self.school_body = self.body_by_name["许昌技师学院职业技能鉴定所"]
        self.counts.update(bodies=len(rows), authorisations=len(authorisations))

    def body_for(self, candidate: _Candidate, level: int, institution_name: str) -> AppraisalBody:
        """The school's own body for its trainees, else the county station, when authorised for
        the occupation at that level; the city centre otherwise."""
        options = []
        if institution_name == "许昌技师学院":
            options.append(self.school_body)
        if candidate.county_id in self.county_bodies:
            options.append(self.county_bodies[candidate.county_id])
        for body in options:
            best = self.max_level.get((body.pk, candidate.occupation_id))
            if best is not None and level >= best:
                return body
        return self.city

    # ---- registrations, sittings, results, certificates --------------------------------------

    def candidates(self) -> list[tuple[_Candidate, str]]:
        """About APPRAISED_SHARE of the workers who passed a closed class, each with their
        latest such class; the demo worker is among them when he passed one."""
        latest: dict[int, tuple] = {}
        rows = (
            Enrollment.objects.filter(
                campaign=self.campaign,
                result=Enrollment.Result.PASSED,
                training_class__status=TrainingClass.Status.CLOSED,
                training_class__end_date__lt=self.today,
            )
            .order_by("worker_id", "-training_class__end_date", "-pk")
            .values_list(
                "worker_id",
                "training_class_id",
                "training_class__occupation_id",
                "training_class__end_date",
                "training_class__institution__county_id",
                "training_class__institution__name",
                "worker__registered_at_id",
                "worker__user_id",
            )
        )
        for row in rows.iterator(chunk_size=BATCH_SIZE):
            latest.setdefault(row[0], row)
        worker_ids = sorted(latest)
        chosen = set(self.rng.sample(worker_ids, round(len(worker_ids) * APPRAISED_SHARE)))
        demo_worker = Worker.objects.filter(user__username="worker").values_list("pk", flat=True)
        chosen.update(pk for pk in demo_worker if pk in latest)
        self.counts["passed_workers"] = len(worker_ids)
        result = []
        for worker_id in sorted(chosen):
            _w, class_id, occ, end, county_id, institution, point, user = latest[worker_id]
            result.append(
                (_Candidate(worker_id, class_id, occ, end, county_id, point, user), institution)
            )
        return result

    def registrations(self) -> None:
        rng = self.rng
        reviewer = self.people.reviewer
        plans = []
        earlier: list[Certificate] = []
        demo_user = User.objects.filter(username="worker").values_list("pk", flat=True).first()
        for candidate, institution in self.candidates():
            code = self.occupation_codes[candidate.occupation_id]
            is_demo = demo_user is not None and candidate.user_id == demo_user
            if code == ENTREPRENEURSHIP or is_demo:
                level = 5
            else:
                level = rng.choices(*zip(*LEVEL_WEIGHTS, strict=True))[0]
            if level < 5:
                # An upgrade: the certificate below, from before the campaign.
                issued = datetime.date(rng.randint(2008, 2012), rng.randint(1, 12), 20)
                earlier.append(
                    Certificate(
                        number=self.number("0001", issued.year),
                        kind=CertificateKind.QUALIFICATION,
                        worker_id=candidate.worker_id,
                        occupation_id=candidate.occupation_id,
                        level=level + 1,
                        issued_on=issued,
                        body=self.city,
                        issuer_name=self.city.name,
                    )
                )
            registered_on = min(
                candidate.end_date + datetime.timedelta(rng.randint(1, 10)), self.today
            )
            # Bodies hold sittings every other month (February, April, …), on the 20th.
            exam_date = _next_month(registered_on, 1)
            if exam_date.month % 2:
                exam_date = _next_month(exam_date, 1)
            exam_date = exam_date.replace(day=20)
            roll = rng.random()
            if is_demo:
                channel = Registration.Channel.ONLINE
            elif roll < 0.5:
                channel = Registration.Channel.CLASS
            elif roll < 0.8 and candidate.point_id:
                channel = Registration.Channel.POINT
            else:
                channel = Registration.Channel.ONLINE
            if is_demo:
                # His appraisal is over: the page shows his certificate.
                exam_date = min(exam_date, self.today - datetime.timedelta(days=5))
                registered_on = min(registered_on, exam_date - datetime.timedelta(days=7))
            body = self.body_for(candidate, level, institution)
            plans.append((candidate, level, channel, registered_on, exam_date, body, is_demo))
        _bulk(Certificate, earlier)

        sittings: dict[tuple[int, int, int, datetime.date], Sitting] = {}
        for candidate, level, _channel, _reg, exam_date, body, _demo in plans:
            if exam_date > self.today + datetime.timedelta(days=75):
                continue  # not yet in a sitting
            key = (body.pk, candidate.occupation_id, level, exam_date)
            if key not in sittings:
                code = self.occupation_codes[candidate.occupation_id]
                if code == ENTREPRENEURSHIP:
                    kind = CertificateKind.ENTREPRENEURSHIP
                elif level == 5 and rng.random() < 0.2:
                    kind = CertificateKind.SPECIAL
                else:
                    kind = CertificateKind.QUALIFICATION
                sittings[key] = Sitting(
                    body=body,
                    occupation_id=candidate.occupation_id,
                    level=level,
                    exam_date=exam_date,
                    place=f"{body.name}考场",
                    capacity=0,
                    certificate_kind=kind,
                    created_by=reviewer,
                )
            sittings[key].capacity += 1
        for sitting in sittings.values():
            sitting.capacity += rng.randint(5, 30)
        _bulk(Sitting, list(sittings.values()))

        registrations, stamps, outcomes = [], [], []
        statuses = dict.fromkeys(Registration.Status.values, 0)
        for candidate, level, channel, registered_on, exam_date, body, is_demo in plans:
            key = (body.pk, candidate.occupation_id, level, exam_date)
            sitting = sittings.get(key)
            registration = Registration(
                worker_id=candidate.worker_id,
                occupation_id=candidate.occupation_id,
                level=level,
                channel=channel,
                point_id=candidate.point_id if channel == Registration.Channel.POINT else None,
                training_class_id=candidate.class_id
                if channel == Registration.Channel.CLASS
                else None,
                years_in_trade=self.years_for(level) if level < 5 else rng.randint(0, 3),
                entrusted_to_claim=rng.random() < 0.35,
                registered_by_id=candidate.user_id
                if channel == Registration.Channel.ONLINE and candidate.user_id
                else reviewer.pk,
                status=Registration.Status.REGISTERED,
            )
            recorded_on = None
            if sitting is not None:
                registration.sitting = sitting
                registration.status = Registration.Status.SCHEDULED
                if exam_date < self.today:
                    recorded_on = min(exam_date + datetime.timedelta(rng.randint(2, 8)), self.today)
                    roll = rng.random()
                    if roll < ABSENT_RATE and not is_demo:
                        registration.status = Registration.Status.ABSENT
                    elif is_demo or roll < ABSENT_RATE + PASS_RATE[level]:
                        registration.status = Registration.Status.PASSED
                        registration.theory_score = _score(rng, 61, 96)
                        registration.practical_score = _score(rng, 62, 97)
                    else:
                        registration.status = Registration.Status.FAILED
                        low, high = (30, 59.9), (55, 90)
                        scores = [_score(rng, *low), _score(rng, *high)]
                        rng.shuffle(scores)
                        registration.theory_score, registration.practical_score = scores
                    registration.result_recorded_at = min(
                        _at(recorded_on, 15, rng.randint(0, 59)), self.now
                    )
                    registration.result_recorded_by = reviewer
            statuses[registration.status] += 1
            registrations.append(registration)
            stamps.append(_at(registered_on, rng.randint(8, 17), rng.randint(0, 59)))
            outcomes.append((recorded_on, sitting, candidate))
        created = _bulk(Registration, registrations)
        for registration, stamp in zip(created, stamps, strict=True):
            registration.created_at = min(stamp, self.now)
            registration.updated_at = registration.result_recorded_at or registration.created_at
        Registration.objects.bulk_update(
            created, ["created_at", "updated_at"], batch_size=BATCH_SIZE
        )

        certificates = []
        for registration, (recorded_on, sitting, candidate) in zip(created, outcomes, strict=True):
            if registration.status != Registration.Status.PASSED:
                continue
            certificates.append(
                Certificate(
                    number=self.number(f"{sitting.body_id:04d}", recorded_on.year),
                    kind=sitting.certificate_kind,
                    worker_id=registration.worker_id,
                    occupation_id=registration.occupation_id,
                    level=registration.level,
                    issued_on=recorded_on,
                    body_id=sitting.body_id,
                    issuer_name=sitting.body.name,
                    registration=registration,
                    training_class_id=candidate.class_id,
                )
            )
        _bulk(Certificate, certificates)
        self.counts.update(
            sittings=len(sittings),
            registrations=len(created),
            **{f"registrations_{status}": n for status, n in statuses.items()},
            certificates_from_sittings=len(certificates),
            certificates_before_campaign=len(earlier),
            high_skilled_from_sittings=sum(1 for c in certificates if c.level <= 3),
        )

    # ---- pilots -------------------------------------------------------------------------------

    def _employee(self, county_code: str, sex: str) -> Worker:
        rng = self.rng
        prefix = REGION_PREFIXES.get(county_code, "411000")
        birth = datetime.date(rng.randint(1965, 1988), rng.randint(1, 12), rng.randint(1, 28))
        while True:
            sequence = rng.randrange(0, 500) * 2 + (1 if sex == "M" else 0)
            number = make_resident_id(f"{prefix}{birth:%Y%m%d}{sequence:03d}")
            digest = crypto.keyed_hash(number)
            if digest not in self.seen_hashes:
                break
        self.seen_hashes.add(digest)
        given = MALE_GIVEN if sex == "M" else FEMALE_GIVEN
        return Worker(
            id_number_hash=digest,
            id_number_encrypted=crypto.encrypt(number),
            id_number_masked=mask_resident_id(number),
            name=rng.choice(SURNAMES)
            + "".join(rng.choice(given) for _ in range(rng.choice((1, 2)))),
            sex=sex,
            birth_date=birth,
            phone=f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
            county=self.counties.get(county_code),
            household=Worker.Household.URBAN,
            education=rng.choice(("senior", "college", "junior")),
        )

    def pilots(self) -> None:
        rng = self.rng
        acting = self.people.enterprise or self.people.office or self.people.reviewer
        institutions = {i.name: i for i in Institution.objects.filter(kind="enterprise")}
        self.pilot_rows = []
        for name, county_code, size, institution, codes, designated, items in PILOTS:
            pilot = PilotEnterprise.objects.create(
                name=name,
                county=self.counties.get(county_code) or next(iter(self.counties.values())),
                size_class=size,
                institution=institutions.get(institution) if institution else None,
                contact_person=rng.choice(SURNAMES) + rng.choice(("科长", "主任", "部长")),
                contact_phone=f"0374-{rng.randint(2000000, 8999999)}",
                designated_on=designated,
            )
            pilot.occupations.set([self.occupations[c] for c in codes if c in self.occupations])
            self.pilot_rows.append((pilot, codes, items))
        entries = []
        for pilot, _codes, items in self.pilot_rows:
            day = pilot.designated_on
            for item in PilotChecklistItem.Item.values[:items]:
                day += datetime.timedelta(days=rng.randint(5, 25))
                day = min(day, self.today)
                stored = default_storage.save(
                    f"pilots/{pilot.pk}/{secrets.token_hex(16)}.pdf",
                    ContentFile(_pdf(f"{PDF_TEXT}: {item}")),
                )
                entries.append(
                    PilotChecklistItem(
                        pilot=pilot,
                        item=item,
                        document=stored,
                        effective_on=day,
                        uploaded_by=acting,
                    )
                )
            if items == len(PilotChecklistItem.Item.values):
                pilot.ready_on = day
                pilot.save(update_fields=["ready_on"])
        _bulk(PilotChecklistItem, entries)
        self.counts.update(pilots=len(self.pilot_rows), checklist_items=len(entries))

    def evaluations(self) -> None:
        """Employees of the ready pilots: most meet the level rule with a certificate from
        before the campaign; a few are "双一" candidates with an exception (approved, refused or
        pending). Evaluations between the ready day and today; passes get certificates."""
        rng = self.rng
        acting = self.people.enterprise or self.people.office or self.people.reviewer
        decider = self.people.reviewer
        if acting.pk == decider.pk:
            # The requester of a "双一" exception may not decide it: without an office or
            # enterprise account there is nobody to request one, so no candidates are made.
            acting = self.people.office
        employees, prior, plans = [], [], []
        for pilot, codes, _items in self.pilot_rows:
            if pilot.ready_on is None or pilot.ready_on >= self.today:
                continue
            county_code = next(
                (code for code, c in self.counties.items() if c.pk == pilot.county_id), ""
            )
            for index in range(EMPLOYEES_PER_PILOT * self.scale):
                worker = self._employee(county_code, "M" if rng.random() < 0.8 else "F")
                level = rng.choice(pilot.levels)
                code = rng.choice([c for c in codes if c in self.occupations])
                # Every fifth is a "双一" candidate without the certificate below.
                exceptional = index % 5 == 4 and acting is not None
                employees.append(worker)
                plans.append((pilot, worker, self.occupations[code], level, exceptional))
        _bulk(Worker, employees)
        pks = dict(
            Worker.objects.filter(
                id_number_hash__in=[w.id_number_hash for w in employees]
            ).values_list("id_number_hash", "pk")
        )
        exceptions, evaluations = [], []
        for pilot, worker, occupation, level, exceptional in plans:
            worker.pk = pks[worker.id_number_hash]
            if not exceptional:
                issued = datetime.date(rng.randint(2005, 2012), rng.randint(1, 12), 15)
                prior.append(
                    Certificate(
                        number=self.number("0001", issued.year),
                        kind=CertificateKind.QUALIFICATION,
                        worker=worker,
                        occupation=occupation,
                        level=level + 1,
                        issued_on=issued,
                        body=self.city,
                        issuer_name=self.city.name,
                    )
                )
            evaluated_on = pilot.ready_on + datetime.timedelta(
                days=rng.randint(1, max(1, (self.today - pilot.ready_on).days - 1))
            )
            exception = None
            if exceptional:
                requested_at = _at(evaluated_on - datetime.timedelta(days=20), 10)
                if requested_at.date() <= pilot.ready_on:
                    requested_at = _at(pilot.ready_on, 10)
                roll = rng.random()
                status = (
                    DualOneException.Status.APPROVED
                    if roll < 0.6
                    else DualOneException.Status.REFUSED
                    if roll < 0.8
                    else DualOneException.Status.PENDING
                )
                decided = status != DualOneException.Status.PENDING
                exception = DualOneException(
                    pilot=pilot,
                    worker=worker,
                    occupation=occupation,
                    level=level,
                    kind=rng.choice(DualOneException.Kind.values),
                    front_line_post=f"{occupation.name}一线岗位",
                    performance=rng.choice(
                        (
                            "连续三年班组生产任务完成率第一，获市级技术能手称号",
                            "主持技术革新两项，年节约成本三十余万元",
                            "在省职业技能竞赛中获二等奖",
                        )
                    ),
                    justification="长期在生产一线，技能水平和工作业绩突出，符合“双一”条件",
                    status=status,
                    requested_by=acting,
                    requested_at=min(requested_at, self.now),
                    decided_by=decider if decided else None,
                    decided_at=min(requested_at + datetime.timedelta(days=7), self.now)
                    if decided
                    else None,
                    decision_reason=""
                    if status != DualOneException.Status.REFUSED
                    else "业绩证明材料不足",
                )
                exceptions.append(exception)
                if status != DualOneException.Status.APPROVED:
                    continue  # not evaluated (yet)
            passed = rng.random() < 0.75
            evaluations.append(
                (
                    EnterpriseEvaluation(
                        pilot=pilot,
                        worker=worker,
                        occupation=occupation,
                        level=level,
                        size_class=pilot.size_class,
                        result=EnterpriseEvaluation.Result.PASSED
                        if passed
                        else EnterpriseEvaluation.Result.FAILED,
                        years_in_trade=self.years_for(level),
                        evaluated_on=evaluated_on,
                        exception=exception,
                        recorded_by=acting or decider,
                    ),
                    passed,
                )
            )
        _bulk(Certificate, prior)
        _bulk(DualOneException, exceptions)
        certificates = []
        for evaluation, passed in evaluations:
            if passed:
                certificate = Certificate(
                    number=self.number(f"Q{evaluation.pilot.pk:03d}", evaluation.evaluated_on.year),
                    kind=CertificateKind.QUALIFICATION,
                    worker=evaluation.worker,
                    occupation=evaluation.occupation,
                    level=evaluation.level,
                    issued_on=evaluation.evaluated_on,
                    issuer_name=evaluation.pilot.name,
                )
                certificates.append(certificate)
                evaluation.certificate = certificate
        _bulk(Certificate, certificates)
        for evaluation, _passed in evaluations:
            if evaluation.certificate is not None:
                evaluation.certificate_id = evaluation.certificate.pk
            if evaluation.exception is not None:
                evaluation.exception_id = evaluation.exception.pk
        _bulk(EnterpriseEvaluation, [evaluation for evaluation, _ in evaluations])
        kinds = dict.fromkeys(DualOneException.Status.values, 0)
        for exception in exceptions:
            kinds[exception.status] += 1
        self.counts.update(
            pilot_employees=len(employees),
            evaluations=len(evaluations),
            certificates_from_pilots=len(certificates),
            exceptions=len(exceptions),
            **{f"exceptions_{status}": n for status, n in kinds.items()},
        )

    # ---- employment-access inspections ---------------------------------------------------------

    def inspections(self) -> None:
        rng = self.rng
        inspector = self.people.reviewer
        counties = [c for code, c in self.counties.items() if code in REGION_PREFIXES]
        start = datetime.date(2013, 5, 1)
        span = max(1, (self.today - start).days - 1)
        rows = []
        for _ in range(INSPECTIONS_PER_SCALE * self.scale):
            inspected = start + datetime.timedelta(days=rng.randint(0, span))
            codes = rng.sample(sorted(POSTS), rng.randint(1, 3))
            checked = rng.randint(5, 60)
            found = 0 if rng.random() < 0.4 else rng.randint(1, min(6, checked))
            inspection = EmploymentInspection(
                employer=rng.choice(INSPECTED_EMPLOYERS),
                county=rng.choice(counties),
                inspected_on=inspected,
                inspector=inspector,
                posts_checked="、".join(POSTS[c] for c in codes),
                workers_checked=checked,
                uncertified_found=found,
                status=EmploymentInspection.Status.COMPLIANT,
            )
            if found:
                inspection.violations = (
                    f"{found}名{POSTS[codes[0]]}未取得相应职业资格证书从事技术工种工作"
                )
                inspection.deadline = inspected + datetime.timedelta(days=rng.choice((30, 45, 60)))
                inspection.status = EmploymentInspection.Status.OPEN
                visit_by = min(inspection.deadline + datetime.timedelta(days=10), self.today)
                visited = rng.random() < (0.75 if inspection.deadline < self.today else 0.3)
                if visited and visit_by > inspected:
                    inspection.followed_up_on = inspected + datetime.timedelta(
                        days=rng.randint(1, (visit_by - inspected).days)
                    )
                    if rng.random() < 0.85:
                        inspection.status = EmploymentInspection.Status.RECTIFIED
                        inspection.follow_up_note = f"复查：{found}人已参加培训并取得职业资格证书"
                    else:
                        inspection.follow_up_note = "复查：相关人员正在参加培训，尚未取证"
            rows.append(inspection)
        _bulk(EmploymentInspection, rows)
        overdue = sum(1 for r in rows if r.is_overdue(self.today))
        self.counts.update(
            inspections=len(rows),
            inspections_open=sum(1 for r in rows if r.status == EmploymentInspection.Status.OPEN),
            inspections_overdue=overdue,
        )


@transaction.atomic
def seed_appraisal(
    *, campaign: Campaign, scale: int, rng: random.Random, log: Callable[[str], None]
) -> None:
    """Appraisal bodies, sittings, registrations, results and certificates for about 15% of the
    workers who passed a class; pilots with their "四个一", evaluations and "双一" exceptions;
    employment-access inspections. Pilot employees and inspections grow with ``scale``.

    Safe to run twice: does nothing when bodies or pilots exist. Needs a reviewer account (the
    demo's "reviewer"): it is staff of the city centre and decides the exceptions. Writes one
    ``demo.seed_appraisal`` audit row with the counts."""
    if AppraisalBody.objects.exists() or PilotEnterprise.objects.exists():
        log("职业技能鉴定：已有数据，跳过")
        return
    people = _People.load()
    if people is None:
        log("职业技能鉴定：没有人社审核员账号，跳过")
        return
    started = time.monotonic()
    seeder = _AppraisalSeeder(campaign=campaign, scale=scale, rng=rng, people=people)
    seeder.bodies()
    seeder.registrations()
    seeder.pilots()
    seeder.evaluations()
    seeder.inspections()
    seeder.save_counters()
    counts = seeder.counts
    audit_record(
        actor=None, action="demo.seed_appraisal", obj=campaign, changes={"appraisal": counts}
    )
    log(
        "职业技能鉴定：鉴定机构 {bodies} 个，考试场次 {sittings} 个，"
        "报名 {registrations} 人次（合格 {registrations_passed}，不合格 {registrations_failed}，"
        "缺考 {registrations_absent}，待考 {registrations_scheduled}）".format(**counts)
    )
    log(
        "职业技能鉴定：评价试点企业 {pilots} 家，企业评价 {evaluations} 人次，"
        "“双一”申请 {exceptions} 项，就业准入检查 {inspections} 次（逾期未整改 "
        "{inspections_overdue}）；用时 {seconds:.1f} 秒".format(
            **counts, seconds=time.monotonic() - started
        )
    )


SEEDERS: list[Callable] = [seed_appraisal]
