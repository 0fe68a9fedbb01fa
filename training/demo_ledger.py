"""Demo data for the work ledger and the "1688" programme, consistent with the demo's "today".

``make run`` stands at 2014-07-02: the plan's tasks carry the units' progress notes since autumn
2013 (phase one's drafting done in July 2013), two joint meetings have assigned follow-up tasks
(one done in time, one overdue, one still running), and the programme's facilities are spread
over the counties in every state, with evidence files for the built ones.

Rows are written directly (dates in the past cannot go through the services, which refuse nothing
but "today"); one ``demo.seed_ledger`` audit row records the counts. Safe to run twice: each part
does nothing when its rows already exist.
"""

from __future__ import annotations

import datetime
import random
import secrets
from collections.abc import Callable

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from core import clock
from core.models import County, Department, User
from core.roles import Role
from core.services import audit_record
from training.models import (
    Campaign,
    Facility,
    FacilityEvidence,
    FacilityTarget,
    JointMeeting,
    LedgerProgressNote,
    LedgerTask,
)

NOTE_TEXTS = (
    "已制定工作方案，明确责任科室和责任人",
    "召开专题推进会，部署各县（市、区）落实",
    "已完成阶段性任务，正在开展督导检查",
    "协调解决资金和场地问题，工作按计划推进",
    "已汇总各县（市、区）进展情况，形成专题报告",
)
EVIDENCE_PDF = b"%PDF-1.4\n% demo evidence\n"
# Facilities built per target by the demo (figures are the plan's; the counts per state are
# the demo's own, so that each target shows a different picture).
FACILITY_PLAN = {
    "technician_college": [
        ("许昌技师学院（许昌电气职业学院）新校区", "weidu", Facility.Status.ACCEPTED),
    ],
    "county_school": [
        ("禹州市技工学校", "yuzhou", Facility.Status.ACCEPTED),
        ("长葛市技能培训中心", "changge", Facility.Status.COMPLETED),
        ("许昌县技工学校", "xuchangxian", Facility.Status.COMPLETED),
        ("襄城县技能培训中心", "xiangcheng", Facility.Status.UNDER_CONSTRUCTION),
        ("鄢陵县技工学校", "yanling", Facility.Status.UNDER_CONSTRUCTION),
        ("魏都区技能培训中心", "weidu", Facility.Status.PLANNED),
    ],
}
BASE_STATES = [Facility.Status.ACCEPTED] * 3 + [Facility.Status.COMPLETED] * 2
BASE_STATES += [Facility.Status.UNDER_CONSTRUCTION] * 2 + [Facility.Status.PLANNED]
SERVICE_CENTRES_BUILT = 58
SERVICE_CENTRES_BUILDING = 14


def _clerks() -> dict[int, User]:
    clerks: dict[int, User] = {}
    users = (
        User.objects.filter(groups__name=Role.CLERK, department__isnull=False)
        .select_related("department")
        .order_by("pk")
    )
    for user in users:
        if user.username == f"clerk_{user.department.code}" or user.department_id not in clerks:
            clerks[user.department_id] = user
    return clerks


def _office() -> User | None:
    return (
        User.objects.filter(username="office").first()
        or User.objects.filter(groups__name=Role.OFFICE).order_by("pk").first()
    )


def _seed_ledger(
    campaign: Campaign, rng: random.Random, today: datetime.date, counts: dict
) -> None:
    clerks = _clerks()
    office = _office()
    if office is None or not clerks:
        return
    tasks = list(
        LedgerTask.objects.filter(campaign=campaign, source=LedgerTask.Source.PLAN)
        .prefetch_related("assisting_units")
        .order_by("sort_order")
    )
    notes = []
    start = datetime.date(2013, 9, 1)
    for task in tasks:
        if task.deadline < datetime.date(2013, 8, 1):
            # Phase one (drafting the plan) was done before the plan was issued.
            author = clerks.get(task.lead_unit_id)
            task.status = LedgerTask.Status.DONE
            task.completed_on = task.deadline - datetime.timedelta(days=6)
            task.completed_by = author
            task.progress_percent = 100
            task.last_reported_on = task.completed_on
            task.save()
            counts["tasks_done"] += 1
            continue
        units = [task.lead_unit_id, *(u.pk for u in task.assisting_units.all())]
        span = max((min(today, task.deadline) - start).days, 1)
        percent = 0
        for step in range(rng.randint(1, 4)):
            department_id = units[0] if step % 2 == 0 else rng.choice(units)
            author = clerks.get(department_id)
            if author is None:
                continue
            day = start + datetime.timedelta(days=span * (step + 1) // 5)
            percent = min(95, percent + rng.randint(10, 30))
            notes.append(
                LedgerProgressNote(
                    task=task,
                    department_id=department_id,
                    author=author,
                    reported_on=day,
                    text=NOTE_TEXTS[step % len(NOTE_TEXTS)],
                    percent=percent,
                )
            )
            task.last_reported_on = max(day, task.last_reported_on or day)
            task.progress_percent = percent
        task.save(update_fields=["last_reported_on", "progress_percent", "updated_at"])

    rsj = Department.objects.filter(code="rsj").first()
    czj = Department.objects.filter(code="czj").first()
    members = list(Department.objects.exclude(kind=Department.Kind.OTHER).order_by("sort_order"))
    meetings = [
        (
            datetime.date(2013, 9, 12),
            "一、各成员单位于9月底前将培训任务分解到县（市、区）。\n"
            "二、市财政局会同市人社局研究培训补贴资金拨付办法。",
            [
                ("将培训任务分解到县（市、区）", rsj, [], datetime.date(2013, 9, 30), "done"),
                ("研究培训补贴资金直接拨付办法", czj, [rsj], datetime.date(2013, 12, 31), "done"),
            ],
        ),
        (
            datetime.date(2014, 3, 20),
            "一、加快“1688建设工程”就业培训服务中心建设，5月底前报送建设进度。\n"
            "二、筹备迎接人社部检查验收。",
            [
                ("报送就业培训服务中心建设进度", rsj, [czj], datetime.date(2014, 5, 31), "open"),
                ("筹备迎接人社部检查验收", rsj, [], datetime.date(2014, 10, 31), "open"),
            ],
        ),
    ]
    for number, (held_on, decisions, follow_ups) in enumerate(meetings, start=1):
        if held_on > today or rsj is None or czj is None:
            continue
        meeting = JointMeeting.objects.create(
            campaign=campaign,
            number=number,
            held_on=held_on,
            place="市政府第一会议室",
            chair="分管副市长",
            attendees_other="各县（市、区）人力资源和社会保障局局长",
            decisions=decisions,
            created_by=office,
        )
        meeting.attendee_units.set(members)
        counts["meetings"] += 1
        for index, (title, lead, assisting, deadline, status) in enumerate(follow_ups, start=1):
            done = status == "done" and deadline <= today
            completed_on = deadline - datetime.timedelta(days=rng.randint(1, 10)) if done else None
            task = LedgerTask.objects.create(
                campaign=campaign,
                code=f"H{number}-{index}",
                sort_order=10000 + number * 100 + index,
                title=title,
                requirements=decisions.splitlines()[0],
                lead_unit=lead,
                leader="分管副局长",
                deadline=deadline,
                source=LedgerTask.Source.MEETING,
                meeting=meeting,
                status=LedgerTask.Status.DONE if done else LedgerTask.Status.OPEN,
                completed_on=completed_on,
                completed_by=clerks.get(lead.pk) if done else None,
                progress_percent=100 if done else None,
                last_reported_on=completed_on,
            )
            task.assisting_units.set(assisting)
            counts["meeting_tasks"] += 1
            counts["tasks_done"] += int(done)
    LedgerProgressNote.objects.bulk_create(notes)
    counts["notes"] = len(notes)
    counts["overdue"] = LedgerTask.objects.filter(campaign=campaign).overdue_on(today).count()


def _dates(status: str, rng: random.Random, today: datetime.date) -> dict:
    planned = datetime.date(2013, 8, 15) + datetime.timedelta(days=rng.randint(0, 90))
    dates = {"planned_on": planned}
    order = list(Facility.Status.values)
    previous = planned
    for value in order[1 : order.index(status) + 1]:
        previous = min(today, previous + datetime.timedelta(days=rng.randint(30, 120)))
        dates[Facility.DATE_FIELDS[value]] = previous
    return dates


def _seed_facilities(
    campaign: Campaign, rng: random.Random, today: datetime.date, counts: dict
) -> None:
    targets = {t.kind: t for t in FacilityTarget.objects.filter(campaign=campaign)}
    counties = list(County.objects.order_by("sort_order"))
    office = _office()
    if not targets or not counties or office is None:
        return
    by_code = {c.code: c for c in counties}
    rows: list[tuple[FacilityTarget, str, County, str]] = []
    for kind, items in FACILITY_PLAN.items():
        if kind in targets:
            for name, code, status in items:
                rows.append((targets[kind], name, by_code.get(code, counties[0]), status))
    if "training_base" in targets:
        for i, status in enumerate(BASE_STATES):
            county = counties[i % len(counties)]
            rows.append((targets["training_base"], f"{county.name}公共实训基地", county, status))
    if "service_centre" in targets:
        total = targets["service_centre"].figure
        for i in range(total):
            county = counties[i % len(counties)]
            if i < SERVICE_CENTRES_BUILT:
                status = Facility.Status.ACCEPTED if i % 3 else Facility.Status.COMPLETED
            elif i < SERVICE_CENTRES_BUILT + SERVICE_CENTRES_BUILDING:
                status = Facility.Status.UNDER_CONSTRUCTION
            else:
                status = Facility.Status.PLANNED
            name = f"{county.name}第{i // len(counties) + 1}就业培训服务中心"
            rows.append((targets["service_centre"], name, county, status))
    facilities = Facility.objects.bulk_create(
        Facility(
            target=target, name=name, county=county, status=status, **_dates(status, rng, today)
        )
        for target, name, county, status in rows
    )
    evidence = []
    for facility in facilities:
        for status in (Facility.Status.COMPLETED, Facility.Status.ACCEPTED):
            if getattr(facility, Facility.DATE_FIELDS[status]) is None:
                continue
            path = default_storage.save(
                f"facilities/evidence/{secrets.token_hex(16)}.pdf", ContentFile(EVIDENCE_PDF)
            )
            evidence.append(
                FacilityEvidence(
                    facility=facility,
                    status=status,
                    file=path,
                    description="竣工报告" if status == Facility.Status.COMPLETED else "验收报告",
                    uploaded_by=office,
                )
            )
    FacilityEvidence.objects.bulk_create(evidence)
    counts["facilities"] = len(facilities)
    counts["evidence"] = len(evidence)


def seed_ledger(
    *, campaign: Campaign, scale: int, rng: random.Random, log: Callable[[str], None]
) -> None:
    """The ledger's progress, meetings and follow-up tasks, and the 1688 facilities. ``scale``
    is accepted for the seeder protocol and ignored (the plan's own numbers fix the volume).
    Safe to run twice."""
    today = clock.today()
    counts = {
        "notes": 0,
        "meetings": 0,
        "meeting_tasks": 0,
        "tasks_done": 0,
        "overdue": 0,
        "facilities": 0,
        "evidence": 0,
    }
    with transaction.atomic():
        if JointMeeting.objects.filter(campaign=campaign).exists():
            log("工作台帐：已有联席会议数据，跳过")
        else:
            _seed_ledger(campaign, rng, today, counts)
            text = (
                "工作台帐：进展报告 {notes} 条，联席会议 {meetings} 次"
                "（交办任务 {meeting_tasks} 项），"
                "已完成 {tasks_done} 项，当前逾期 {overdue} 项"
            )
            log(text.format(**counts))
        if Facility.objects.filter(target__campaign=campaign).exists():
            log("1688工程：已有项目数据，跳过")
        else:
            _seed_facilities(campaign, rng, today, counts)
            log("1688工程：项目 {facilities} 个，证明材料 {evidence} 份".format(**counts))
        if counts["notes"] or counts["meetings"] or counts["facilities"]:
            audit_record(actor=None, action="demo.seed_ledger", obj=campaign, changes=counts)
