"""The authorization sweep: every route × anonymous, every role, and a user of the same role from
another unit, compared with the declared matrix in ``xuchang_skills/access.py``.

One world is built once (the demo seed at 2014-07-02, through the same seeders as ``seed_demo``),
then every route is called with parameters taken from a sample object of that world. What counts:

- a user the matrix does not admit gets no 2xx answer, and a refused POST writes no audit row
  (nothing happened);
- a user the matrix admits is not refused (no 403/404/405/5xx on GET) — so the matrix cannot
  drift into stating less than the views allow, nor the views into refusing what the plan needs;
- POSTs by admitted users are not sent: they would change the world under the next checks
  (each app's own tests drive its actions).

The figure printed: unexpected 2xx out of N attempts.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import get_resolver, reverse
from django.urls.resolvers import URLPattern, URLResolver

from core.models import AuditEvent, Department, ExportJob, User
from core.roles import Role
from core.tests.factories import user_with_role
from xuchang_skills.access import ACCESS, PUBLIC, Access

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
DEMO_NOW = datetime.datetime(2014, 7, 2, 10, 0, tzinfo=SH)
ROLE_CODES = {
    "office": Role.OFFICE,
    "auditor": Role.AUDITOR,
    "reviewer": Role.REVIEWER,
    "finance": Role.FINANCE,
    "clerk": Role.CLERK,
    "institution": Role.INSTITUTION,
    "worker": Role.WORKER,
    "committee": Role.COMMITTEE,
}
SKIPPED_NAMESPACES = ("admin",)  # Django's admin guards itself (staff + model permissions)


# --------------------------------------------------------------------------- the matrix


@dataclass(frozen=True)
class Grant:
    role: Role
    own_only: bool


def parse(spec: str) -> tuple[bool, dict[Role, Grant]]:
    """'office clerk*' → (public?, {role: Grant})."""
    if spec == PUBLIC:
        return True, {}
    grants = {}
    for token in spec.split():
        own = token.endswith("*")
        role = ROLE_CODES[token.rstrip("*")]
        grants[role] = Grant(role, own)
    return False, grants


def routes() -> list[tuple[str, URLPattern]]:
    found = []

    def walk(resolver: URLResolver, namespace: str | None) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern, pattern.namespace or namespace)
            elif pattern.name:
                found.append(
                    (f"{namespace}:{pattern.name}" if namespace else pattern.name, pattern)
                )

    walk(get_resolver(), None)
    return [(name, p) for name, p in found if name.split(":")[0] not in SKIPPED_NAMESPACES]


def test_every_route_has_a_declared_access_rule():
    names = {name for name, _ in routes()}
    undeclared = sorted(names - ACCESS.keys())
    stale = sorted(ACCESS.keys() - names)
    assert not undeclared, f"routes without an entry in xuchang_skills/access.py: {undeclared}"
    assert not stale, f"entries for routes that no longer exist: {stale}"


def test_matrix_entries_parse_and_name_known_samples():
    for name, access in ACCESS.items():
        for spec in (access.get, access.post):
            if spec:
                parse(spec)  # KeyError on an unknown role code
        assert not access.obj or access.obj in SAMPLES, f"{name}: unknown sample {access.obj}"


# --------------------------------------------------------------------------- the world


@dataclass
class Sample:
    """URL parameters and the units that own the object they name."""

    kwargs: dict
    department: Department | None = None
    institution: object | None = None
    worker: object | None = None
    committee: list = field(default_factory=list)
    # Users who own the object personally, by role (the assigned inspector, the requester).
    users: dict = field(default_factory=dict)


def _class(**filters) -> Sample:
    from training.models import TrainingClass

    training_class = (
        TrainingClass.objects.filter(**filters)
        .select_related("institution", "category__department")
        .order_by("pk")
        .first()
    )
    assert training_class is not None, f"the demo has no class with {filters}"
    return Sample(
        {"pk": training_class.pk},
        department=training_class.category.department,
        institution=training_class.institution,
    )


def _return() -> Sample:
    from training.models import MonthlyReturn

    ret = MonthlyReturn.objects.select_related("department").order_by("-month", "pk").first()
    return Sample(
        {"department": ret.department.code, "month": ret.month},
        department=ret.department,
    )


def _first(model_path: str, **filters):
    from django.apps import apps

    model = apps.get_model(model_path)
    obj = model.objects.filter(**filters).order_by("pk").first()
    assert obj is not None, f"the demo has no {model_path} with {filters}"
    return obj


def _pk(model_path: str, **filters) -> Sample:
    return Sample({"pk": _first(model_path, **filters).pk})


def _institution_sample() -> Sample:
    institution = _first("training.Institution", name="许昌技师学院")
    return Sample({"pk": institution.pk}, institution=institution)


def _programme() -> Sample:
    programme = _first("training.Programme")
    return Sample({"pk": programme.pk}, institution=programme.institution)


def _worker() -> Sample:
    from training.models import Enrollment

    enrollment = Enrollment.objects.select_related("training_class__institution").order_by("pk")[0]
    return Sample(
        {"pk": enrollment.worker_id},
        institution=enrollment.training_class.institution,
        worker=enrollment.worker,
    )


def _class_file() -> Sample:
    """The demo writes classes in bulk without their files: attach an approval form."""
    from django.core.files.base import ContentFile

    from training.models import TrainingClass

    sample = _class(status="approved")
    training_class = TrainingClass.objects.get(pk=sample.kwargs["pk"])
    if not training_class.approval_form:
        training_class.approval_form.save("form.pdf", ContentFile(b"%PDF-1.4 sweep"), save=True)
    sample.kwargs["kind"] = "approval-form"
    return sample


def _enrollment() -> Sample:
    from training.models import Enrollment

    enrollment = (
        Enrollment.objects.filter(training_class__status="closed", result="passed")
        .select_related("training_class__institution", "training_class__category__department")
        .order_by("pk")
        .first()
    )
    return Sample(
        {"pk": enrollment.pk},
        department=enrollment.training_class.category.department,
        institution=enrollment.training_class.institution,
        worker=enrollment.worker,
    )


def _referral() -> Sample:
    referral = _first("training.JobReferral")
    klass = referral.enrollment.training_class
    return Sample(
        {"pk": referral.pk}, department=klass.category.department, institution=klass.institution
    )


def _inspection() -> Sample:
    inspection = _first("training.Inspection", inspector__isnull=False, done_at__isnull=True)
    klass = inspection.training_class
    inspector = inspection.inspector
    # Owned by assignment only: the class's department or institution gives no right to it.
    del klass
    return Sample(
        {"pk": inspection.pk}, users={role: inspector for role in Role if inspector.has_role(role)}
    )


def _order() -> Sample:
    order = _first("training.CooperationOrder")
    return Sample({"pk": order.pk}, institution=order.institution)


def _registration() -> list[Sample]:
    """Two: one taken from an institution's class (its staff own it), one taken at a public
    registration point by a department's desk (that department's clerks own it)."""
    from_class = _first("appraisal.Registration", training_class__isnull=False)
    at_desk = _first(
        "appraisal.Registration",
        point__isnull=False,
        point__institution__isnull=True,
        registered_by__department__isnull=False,
    )
    return [
        Sample(
            {"pk": from_class.pk},
            institution=from_class.training_class.institution,
            worker=from_class.worker,
        ),
        Sample(
            {"pk": at_desk.pk},
            department=at_desk.registered_by.department,
            worker=at_desk.worker,
        ),
    ]


def _scheduled() -> Sample:
    registration = _first("appraisal.Registration", sitting__isnull=False)
    return Sample({"pk": registration.sitting_id, "registration_pk": registration.pk})


def _pilot() -> Sample:
    pilot = _first("appraisal.PilotEnterprise", institution__isnull=False)
    return Sample({"pk": pilot.pk}, institution=pilot.institution)


def _checklist_item() -> Sample:
    item = _first("appraisal.PilotChecklistItem", pilot__institution__isnull=False)
    pilot = item.pilot
    return Sample({"pk": pilot.pk, "item": item.item}, institution=pilot.institution)


def _exception() -> Sample:
    exception = _first("appraisal.DualOneException", pilot__institution__isnull=False)
    return Sample({"pk": exception.pk}, institution=exception.pilot.institution)


def _assessment() -> Sample:
    """The demo runs no annual assessment (it is a January job): propose one here."""
    from training.models import Institution, InstitutionAssessment

    assessment = InstitutionAssessment.objects.order_by("pk").first()
    if assessment is None:
        assessment = InstitutionAssessment.objects.create(
            institution=Institution.objects.order_by("pk").first(),
            year=2013,
            proposal=InstitutionAssessment.Proposal.choices[0][0],
        )
    return Sample({"pk": assessment.pk})


def _ledger_task(**filters) -> Sample:
    from training.models import LedgerTask

    # A task of 市人社局 with no assisting unit, so that any other unit's clerk is a stranger.
    task = (
        LedgerTask.objects.filter(**filters, assisting_units__isnull=True)
        .select_related("lead_unit")
        .order_by("sort_order")
        .first()
    )
    assert task is not None, f"the demo has no ledger task with {filters}"
    return Sample({"pk": task.pk}, department=task.lead_unit)


def _meeting() -> Sample:
    return _pk("training.JointMeeting")


def _facility_target() -> Sample:
    target = _first("training.FacilityTarget")
    return Sample({}, department=target.department)


def _facility() -> Sample:
    facility = _first("training.Facility", status="under_construction")
    return Sample({"pk": facility.pk}, department=facility.target.department)


def _facility_evidence() -> Sample:
    item = _first("training.FacilityEvidence")
    return Sample(
        {"pk": item.facility_id, "evidence_pk": item.pk},
        department=item.facility.target.department,
    )


def _login_lock() -> Sample:
    from core.models import LoginThrottle

    lock = LoginThrottle.objects.filter(locked_until__isnull=False).order_by("pk").first()
    if lock is None:
        lock = LoginThrottle.objects.create(
            scope=LoginThrottle.Scope.USER,
            key="sweep-locked",
            failures=5,
            locked_until=DEMO_NOW + datetime.timedelta(minutes=30),
        )
    return Sample({"pk": lock.pk})


def _reveal_worker_id() -> Sample:
    from core.reveal import reveal_token

    worker = _first("training.Worker")
    return Sample({"token": reveal_token("training.worker.id_number", worker.pk)})


def _own_certificate() -> Sample:
    certificate = _first("appraisal.Certificate")
    return Sample({"pk": certificate.pk}, worker=certificate.worker)


def _entrustment() -> Sample:
    entrustment = _first("subsidies.Entrustment")
    return Sample({"pk": entrustment.pk}, worker=entrustment.worker)


def _worker_claim() -> Sample:
    claim = _first("subsidies.SubsidyClaim", channel="worker")
    return Sample({"pk": claim.pk}, worker=claim.worker)


def _institution_claim() -> Sample:
    claim = _first("subsidies.SubsidyClaim", institution__isnull=False)
    return Sample({"pk": claim.pk}, institution=claim.institution)


def _batch_line() -> Sample:
    line = _first("core.PaymentLine")
    return Sample({"pk": line.batch_id, "line_pk": line.pk})


def _teacher() -> Sample:
    teacher = _first("training.Teacher")
    return Sample({"pk": teacher.pk}, institution=teacher.institution)


def _job_fair() -> Sample:
    fair = _first("training.JobFair", organiser__isnull=False)
    return Sample({"pk": fair.pk}, department=fair.organiser)


def _department() -> Sample:
    department = Department.objects.get(code="rsj")
    return Sample({"code": department.code}, department=department)


def _category() -> Sample:
    from training.models import TrainingCategory

    category = TrainingCategory.objects.select_related("department").order_by("number")[1]
    return Sample({"number": category.number}, department=category.department)


def _export_job() -> Sample:
    job = ExportJob.objects.order_by("pk").first()
    if job is None:
        office = User.objects.get(username="office")
        job = ExportJob.objects.create(kind="audit_workbook", requested_by=office)
    requester = job.requested_by
    return Sample(
        {"pk": job.pk}, users={role: requester for role in Role if requester.has_role(role)}
    )


def _award_samples() -> dict[str, Callable[[], Sample]]:
    """The awards' samples: the demo's completed 2013–2014 cycle (its members have submitted)
    and, in it, a nomination and a winner from a department (so clerk* narrows)."""

    def cycle() -> Sample:
        found = _first("awards.Cycle", status="published")
        return Sample({"pk": found.pk}, committee=list(found.members.order_by("pk")))

    def nomination() -> Sample:
        found = _first("awards.Nomination", cycle__status="published", unit__kind="department")
        members = list(found.cycle.members.order_by("pk"))
        return Sample({"pk": found.pk}, department=found.unit.department, committee=members)

    def winner() -> Sample:
        found = _first(
            "awards.Winner", cycle__status="published", nomination__unit__kind="department"
        )
        return Sample({"pk": found.pk}, department=found.nomination.unit.department)

    def cycle_kind() -> Sample:
        found = _first("awards.Cycle", status="published")
        kind = _first("awards.AwardKind", code="grand_prize")
        return Sample({"pk": found.pk, "kind_pk": kind.pk})

    return {
        "award_cycle": cycle,
        "award_cycle_kind": cycle_kind,
        "award_nomination": nomination,
        "award_winner": winner,
        "award_ceiling": lambda: _pk("awards.CycleCeiling"),
        "competition": lambda: _pk("awards.Competition"),
    }


SAMPLES: dict[str, Callable[[], Sample]] = {
    "return": _return,
    "correction": lambda: _pk("training.CorrectionRequest"),
    "institution": _institution_sample,
    "programme": _programme,
    "assessment": _assessment,
    "point": lambda: _pk("training.RegistrationPoint"),
    "worker": _worker,
    "class": lambda: _class(status="approved"),
    "draft_class": lambda: _class(status="draft"),
    "submitted_class": lambda: _class(status="submitted"),
    "running_class": lambda: _class(status="approved"),
    "class_file": _class_file,
    "enrollment": _enrollment,
    "referral": _referral,
    "inspection": _inspection,
    "order": _order,
    "body": lambda: _pk("appraisal.AppraisalBody"),
    "authorisation": lambda: _pk("appraisal.BodyAuthorisation"),
    "level": lambda: Sample({"level": 3}),
    "registration": _registration,
    "sitting": lambda: _pk("appraisal.Sitting"),
    "scheduled": _scheduled,
    "pilot": _pilot,
    "checklist_item": _checklist_item,
    "exception": _exception,
    "employment_inspection": lambda: _pk("appraisal.EmploymentInspection"),
    "department": _department,
    "category": _category,
    "export_job": _export_job,
    "bulletin": lambda: _pk("dashboard.Bulletin"),
    "ledger_task": lambda: _ledger_task(status="open", lead_unit__code="rsj"),
    "done_ledger_task": lambda: _ledger_task(status="done", lead_unit__code="rsj"),
    "meeting": _meeting,
    "facility_target": _facility_target,
    "facility": _facility,
    "facility_evidence": _facility_evidence,
    "login_lock": _login_lock,
    "reveal_worker_id": _reveal_worker_id,
    "notice": lambda: _pk("core.PublicNotice"),
    "objection": lambda: _pk("core.Objection"),
    "batch": lambda: _pk("core.PaymentBatch"),
    "batch_line": _batch_line,
    "own_enrollment": _enrollment,
    "own_certificate": _own_certificate,
    "entrustment": _entrustment,
    "worker_claim": _worker_claim,
    "institution_claim": _institution_claim,
    "review_claim": lambda: _pk("subsidies.SubsidyClaim", status="under_review"),
    "standard": lambda: _pk("subsidies.SubsidyStandard"),
    "window": lambda: _pk("subsidies.ClaimWindow"),
    "teacher": _teacher,
    "enterprise": lambda: _pk("training.Enterprise"),
    "job_fair": _job_fair,
    "supply_report": lambda: _pk("training.SupplyDemandReport", status="published"),
    **_award_samples(),
}


class People:
    """The users of the sweep: the demo's accounts, plus a user of the sample's own unit and one
    of another unit for every role the matrix narrows to its own unit."""

    def __init__(self) -> None:
        self.generic = {
            Role.OFFICE: User.objects.get(username="office"),
            Role.AUDITOR: User.objects.get(username="auditor"),
            Role.REVIEWER: User.objects.get(username="reviewer"),
            Role.FINANCE: User.objects.get(username="finance"),
            Role.CLERK: User.objects.get(username="clerk_rsj"),
            Role.INSTITUTION: User.objects.get(username="institution"),
            Role.WORKER: User.objects.get(username="worker"),
            Role.COMMITTEE: User.objects.get(username="committee"),
        }
        self._cache: dict[tuple, User] = {}

    def clerk_of(self, department: Department) -> User:
        key = ("clerk", department.pk)
        if key not in self._cache:
            self._cache[key] = User.objects.filter(
                department=department, groups__name=Role.CLERK
            ).first() or user_with_role(Role.CLERK, department=department)
        return self._cache[key]

    def staff_of(self, institution) -> User:
        key = ("institution", institution.pk)
        if key not in self._cache:
            self._cache[key] = User.objects.filter(
                institution=institution, groups__name=Role.INSTITUTION
            ).first() or user_with_role(Role.INSTITUTION, institution=institution)
        return self._cache[key]

    def user_of(self, worker) -> User:
        key = ("worker", worker.pk)
        if key not in self._cache:
            if worker.user_id is None:
                worker.user = user_with_role(Role.WORKER)
                worker.save(update_fields=["user"])
            self._cache[key] = worker.user
        return self._cache[key]

    def home(self, role: Role, sample: Sample) -> User | None:
        """A user of ``role`` who owns ``sample``; None when the sample names no such unit."""
        if role in sample.users:
            return sample.users[role]
        if role == Role.CLERK and sample.department is not None:
            return self.clerk_of(sample.department)
        if role == Role.INSTITUTION and sample.institution is not None:
            return self.staff_of(sample.institution)
        if role == Role.WORKER and sample.worker is not None:
            return self.user_of(sample.worker)
        if role == Role.COMMITTEE and sample.committee:
            return sample.committee[0]
        return None

    def stranger(self, role: Role, sample: Sample) -> User:
        """A user of ``role`` from another unit than the sample's — a fresh account, so that no
        assignment elsewhere in the world (an inspection, a committee seat) lets them in."""
        from training.models import Institution, Worker

        if role in sample.users:
            owner = sample.users[role]
            key = ("stranger", role, owner.pk)
            if key not in self._cache:
                self._cache[key] = user_with_role(
                    role, department=owner.department, institution=owner.institution
                )
            return self._cache[key]
        if role == Role.CLERK and sample.department is not None:
            other = (
                Department.objects.filter(kind=Department.Kind.RESPONSIBLE)
                .exclude(pk=sample.department.pk)
                .order_by("sort_order")
                .first()
            )
            key = ("stranger", role, other.pk)
            if key not in self._cache:
                self._cache[key] = user_with_role(Role.CLERK, department=other)
            return self._cache[key]
        if role == Role.INSTITUTION and sample.institution is not None:
            other = Institution.objects.exclude(pk=sample.institution.pk).order_by("pk").first()
            key = ("stranger", role, other.pk)
            if key not in self._cache:
                self._cache[key] = user_with_role(Role.INSTITUTION, institution=other)
            return self._cache[key]
        if role == Role.WORKER and sample.worker is not None:
            return self.user_of(Worker.objects.exclude(pk=sample.worker.pk).order_by("pk").first())
        if role == Role.COMMITTEE and sample.committee:
            return (
                User.objects.filter(groups__name=Role.COMMITTEE)
                .exclude(pk__in=[u.pk for u in sample.committee])
                .first()
            ) or user_with_role(Role.COMMITTEE)
        # The sample names no unit for this role: a fresh account of the role, owning nothing.
        key = ("stranger", role, None)
        if key not in self._cache:
            self._cache[key] = user_with_role(role)
        return self._cache[key]


@dataclass
class Attempt:
    route: str
    method: str
    who: str
    expected: bool
    status: int
    wrote: bool

    @property
    def unexpected_success(self) -> bool:
        return not self.expected and (200 <= self.status < 300 or self.wrote)

    @property
    def wrongly_refused(self) -> bool:
        return self.expected and self.method == "GET" and self.status in (403, 404, 405)

    @property
    def crashed(self) -> bool:
        return self.status >= 500


@pytest.fixture
def world(plan, roles, settings):
    from dashboard import demo

    settings.DEBUG = True
    settings.APP_TODAY = ""
    with time_machine.travel(DEMO_NOW, tick=False):
        demo.seed(log=lambda _message: None)
        yield


def _call(client: Client, method: str, url: str) -> tuple[int, bool]:
    before = AuditEvent.objects.count()
    response = client.get(url) if method == "GET" else client.post(url, {})
    return response.status_code, AuditEvent.objects.count() != before


def test_authorization_sweep(world):
    people = People()
    clients: dict[int | None, Client] = {}

    def client_for(user: User | None) -> Client:
        key = user.pk if user else None
        if key not in clients:
            clients[key] = Client(raise_request_exception=False)
            if user is not None:
                clients[key].force_login(user)
        return clients[key]

    attempts: list[Attempt] = []
    broken_samples: list[str] = []

    def sweep(name: str, access: Access, sample: Sample) -> None:
        url = reverse(name, kwargs=sample.kwargs)
        for method, spec in (("GET", access.get), ("POST", access.post)):
            if method == "POST" and not spec and access.get:
                continue  # a page that only shows: nothing to refuse beyond GET
            is_public, grants = parse(spec)

            def attempt(user: User | None, who: str, expected: bool, method=method) -> None:
                status, wrote = _call(client_for(user), method, url)
                attempts.append(Attempt(name, method, who, expected, status, wrote))

            attempt(None, "anonymous", is_public)
            if is_public:
                continue
            for role in Role:
                grant = grants.get(role)
                if grant is None:
                    attempt(people.generic[role], str(role), False)
                    continue
                if grant.own_only:
                    attempt(people.stranger(role, sample), f"{role} (另一单位)", False)
                if method == "POST":
                    continue  # admitted POSTs change the world; only refusals are sent
                home = people.home(role, sample) if grant.own_only else people.generic[role]
                if home is not None:
                    attempt(home, f"{role} (本单位)" if grant.own_only else str(role), True)

    for name, _pattern in routes():
        access = ACCESS.get(name)
        if access is None:
            continue  # reported by test_every_route_has_a_declared_access_rule
        try:
            found = SAMPLES[access.obj]() if access.obj else Sample({})
        except Exception as exc:  # reported with the rest, not one at a time
            broken_samples.append(f"{name}: {exc}")
            continue
        for sample in found if isinstance(found, list) else [found]:
            sweep(name, access, sample)

    leaks = [a for a in attempts if a.unexpected_success]
    refused = [a for a in attempts if a.wrongly_refused]
    crashes = [a for a in attempts if a.crashed]
    print(  # noqa: T201 - the figure the issue asks for
        f"\nauthorization sweep: {len(leaks)} unexpected 2xx (or writes) out of {len(attempts)} "
        f"attempts over {len(routes())} routes; {len(refused)} admitted users refused; "
        f"{len(crashes)} server errors"
    )

    def lines(label: str, items: list[Attempt]) -> list[str]:
        return [f"{label}: {a.route} {a.method} {a.who} → {a.status}" for a in items]

    problems = (
        broken_samples
        + lines("泄露", leaks)
        + lines("错误拒绝", refused)
        + lines("服务器错误", crashes)
    )
    assert not problems, "\n".join(problems)


def test_sweep_catches_a_route_left_open(world):
    """The sweep itself can fail: declare the audit trail open to clerks and it is refused."""
    from xuchang_skills import access as access_module

    assert "clerk" not in access_module.ACCESS["dashboard:audit_list"].get
    clerk = User.objects.get(username="clerk_rsj")
    client = Client()
    client.force_login(clerk)
    status, _ = _call(client, "GET", reverse("dashboard:audit_list"))
    attempt = Attempt("dashboard:audit_list", "GET", "clerk", False, status, False)
    assert not attempt.unexpected_success
    # …and were the view to let the clerk in, the attempt would count as a leak:
    assert Attempt("x", "GET", "clerk", False, 200, False).unexpected_success
    assert Attempt("x", "POST", "clerk", False, 302, True).unexpected_success
