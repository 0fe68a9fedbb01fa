"""Demo data for the training app: a believable history of monthly returns up to the demo's "today".

``make run`` sets APP_TODAY=2014-07-02T10:00:00, so returns for 2013-01 … 2014-05 are history
(mostly accepted, some late, a few missing, one corrected after the lock day) and 2014-06 is the
month being collected now (a couple of drafts, one submitted, opening reminders for the rest).

Rows are written in bulk, not through the services: replaying a year and a half of clicks through
the services would take long and would need the clock moved for every step. One ``demo.seed``
audit row records what was written.
"""

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce

from core import clock
from core.models import Department, User
from core.roles import Role
from core.services import audit_record
from training import deadlines
from training.models import (
    Campaign,
    CorrectionRequest,
    MonthlyReturn,
    ReturnAmendment,
    ReturnLine,
    ReturnReminder,
    TrainingCategory,
)

# Entrepreneurship training is the one category where many trainees start a business.
ENTREPRENEURSHIP_CATEGORY = "创业培训"
LATE_SHARE = 0.12
MISSING_COUNT = 3  # (department, month) pairs without a return, in the last three months
RECENT_MONTHS = 3


def line_figures(category: TrainingCategory, rng: random.Random) -> dict[str, int]:
    """One month of a category: trained ≈ quota/24 (two years) × 0.6–1.4, and outcomes as shares
    of those who passed, rounded down so that none can exceed trained."""
    trained = max(1, round(category.quota / 24 * rng.uniform(0.6, 1.4)))
    passed = int(trained * rng.uniform(0.80, 0.97))
    if category.name == ENTREPRENEURSHIP_CATEGORY:
        entrepreneurs = int(passed * rng.uniform(0.10, 0.30))
    else:
        entrepreneurs = int(passed * rng.uniform(0.0, 0.03))
    return {
        "trained": trained,
        "passed": passed,
        "certified": int(passed * rng.uniform(0.60, 0.90)),
        "employed": int(passed * rng.uniform(0.50, 0.80)),
        "entrepreneurs": entrepreneurs,
    }


def _between(
    start: datetime.datetime, end: datetime.datetime, rng: random.Random
) -> datetime.datetime:
    seconds = max(0, int((end - start).total_seconds()))
    return start + datetime.timedelta(seconds=rng.randint(0, seconds))


@dataclass
class _Seed:
    returns: list[MonthlyReturn]
    lines: dict[tuple[int, datetime.date], list[ReturnLine]]


def _people(departments: list[Department]) -> tuple[dict[int, User], User | None]:
    """The demo clerk of each department (clerk_<code>, else any clerk of it) and the office."""
    users = list(
        User.objects.filter(department__in=departments, groups__name=Role.CLERK)
        .select_related("department")
        .order_by("pk")
    )
    clerks: dict[int, User] = {}
    for user in users:
        if user.username == f"clerk_{user.department.code}" or user.department_id not in clerks:
            clerks[user.department_id] = user
    office = (
        User.objects.filter(username="office").first()
        or User.objects.filter(groups__name=Role.OFFICE).order_by("pk").first()
    )
    return clerks, office


@transaction.atomic
def seed_returns(
    *, campaign: Campaign, scale: int, rng: random.Random, log: Callable[[str], None]
) -> None:
    """Monthly returns for every responsible unit and every month owed before the demo's today.

    ``scale`` is accepted for the seeder protocol and ignored: returns are at most units × months.
    Safe to run twice: does nothing when the campaign already has returns."""
    if MonthlyReturn.objects.filter(campaign=campaign).exists():
        log("月度报送：已有数据，跳过")
        return
    now = clock.now()
    categories: dict[int, list[TrainingCategory]] = {}
    for category in TrainingCategory.objects.filter(campaign=campaign).order_by("number"):
        categories.setdefault(category.department_id, []).append(category)
    departments = list(Department.objects.filter(pk__in=categories).order_by("sort_order", "code"))
    if not departments:
        log("月度报送：本专项活动没有培训类别，跳过")
        return
    clerks, office = _people(departments)

    owed = deadlines.months_due(campaign, now)
    current = deadlines.current_reporting_month(campaign, now)
    if current is not None and now >= deadlines.window_for(campaign, current).locks_at:
        current = None  # the demo stands after the campaign: every month is history
    history = [month for month in owed if month != current]

    seed = _Seed(returns=[], lines={})
    stats = {"accepted": 0, "submitted": 0, "late": 0, "missing": 0, "draft": 0}

    # Who is missing, and which return gets the correction, are fixed before the loop so the
    # demo always shows each case.
    corrected_key = None
    if history:
        corrected_department = departments[1] if len(departments) > 1 else departments[0]
        corrected_key = (corrected_department.pk, history[max(0, len(history) - 5)])
    recent = [
        (department.pk, month)
        for month in history[-RECENT_MONTHS:]
        for department in departments
        if (department.pk, month) != corrected_key
    ]
    missing = set(rng.sample(recent, min(MISSING_COUNT, len(recent))))
    # One return late, one still waiting for the office, whatever the dice say.
    forced_late = forced_waiting = None
    if len(history) >= 2:
        forced_late = (departments[-1].pk, history[-2])
        forced_waiting = (departments[0].pk, history[-1])
        missing -= {forced_late, forced_waiting}

    for month in history:
        window = deadlines.window_for(campaign, month)
        months_ago = len(history) - history.index(month)
        for department in departments:
            key = (department.pk, month)
            if key in missing:
                stats["missing"] += 1
                continue
            late = key == forced_late or (
                key not in (corrected_key, forced_waiting) and rng.random() < LATE_SHARE
            )
            if late:
                first = _between(
                    window.due_at + datetime.timedelta(hours=2),
                    window.locks_at - datetime.timedelta(hours=2),
                    rng,
                )
            else:
                first = _between(
                    window.opens_at + datetime.timedelta(hours=8),
                    window.due_at - datetime.timedelta(hours=1),
                    rng,
                )
            # The office has not got round to the last months' returns yet.
            waiting = {1: 0.4, 2: 0.15}.get(months_ago, 0.0)
            is_accepted = key == corrected_key or (
                key != forced_waiting and rng.random() >= waiting
            )
            decided_at = None
            if is_accepted:
                decided_at = min(
                    first + datetime.timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 6)),
                    now - datetime.timedelta(hours=1),
                )
            status = (
                MonthlyReturn.Status.ACCEPTED if is_accepted else MonthlyReturn.Status.SUBMITTED
            )
            stats["accepted" if is_accepted else "submitted"] += 1
            stats["late"] += late
            _add_return(
                seed,
                campaign=campaign,
                department=department,
                month=month,
                status=status,
                version=3 if is_accepted else 2,
                first_submitted_at=first,
                is_late=late,
                submitted_by=clerks.get(department.pk),
                decided_at=decided_at,
                decided_by=office if is_accepted else None,
                categories=categories[department.pk],
                rng=rng,
            )

    reminders: list[ReturnReminder] = []
    reminder_times: dict[str, datetime.datetime] = {}
    if current is not None:
        window = deadlines.window_for(campaign, current)
        submitted_department = departments[0]
        drafts = departments[1:3]
        if now > window.opens_at:
            first = window.opens_at + (now - window.opens_at) * rng.uniform(0.3, 0.8)
            _add_return(
                seed,
                campaign=campaign,
                department=submitted_department,
                month=current,
                status=MonthlyReturn.Status.SUBMITTED,
                version=2,
                first_submitted_at=first,
                is_late=window.is_late(first),
                submitted_by=clerks.get(submitted_department.pk),
                decided_at=None,
                decided_by=None,
                categories=categories[submitted_department.pk],
                rng=rng,
            )
            stats["submitted"] += 1
            for department in drafts:
                _add_return(
                    seed,
                    campaign=campaign,
                    department=department,
                    month=current,
                    status=MonthlyReturn.Status.DRAFT,
                    version=1,
                    first_submitted_at=None,
                    is_late=False,
                    submitted_by=None,
                    decided_at=None,
                    decided_by=None,
                    categories=categories[department.pk],
                    rng=rng,
                )
                stats["draft"] += 1
        # The beat job's reminders (1st and due day, 09:00) that would have gone out by now.
        for kind, day in (
            (ReturnReminder.Kind.OPENING, 1),
            (ReturnReminder.Kind.DUE, campaign.due_day),
        ):
            sent_at = window.opens_at.replace(day=day, hour=9)
            if now >= sent_at:
                reminder_times[kind] = sent_at
                reminders.extend(
                    ReturnReminder(campaign=campaign, department=d, month=current, kind=kind)
                    for d in departments
                    if d != submitted_department
                )

    if not seed.returns:
        log("月度报送：演示日期之前没有应报月份，跳过")
        return
    MonthlyReturn.objects.bulk_create(seed.returns)
    # Re-read the keys rather than trust bulk_create to return them on every database.
    saved = {(r.department_id, r.month): r for r in MonthlyReturn.objects.filter(campaign=campaign)}
    lines = []
    for key, key_lines in seed.lines.items():
        for line in key_lines:
            line.monthly_return = saved[key]
            lines.append(line)
    ReturnLine.objects.bulk_create(lines)
    ReturnReminder.objects.bulk_create(reminders)
    # auto_now stamps the seeding moment; the demo reads better with the history's own times.
    for kind, sent_at in reminder_times.items():
        ReturnReminder.objects.filter(campaign=campaign, month=current, kind=kind).update(
            created_at=sent_at, updated_at=sent_at
        )
    MonthlyReturn.objects.filter(campaign=campaign).update(
        created_at=Coalesce(F("first_submitted_at"), Value(now)),
        updated_at=Coalesce(F("decided_at"), F("submitted_at"), Value(now)),
    )

    amendments = 0
    if corrected_key is not None and corrected_key in saved:
        amendments = _approved_correction(
            saved[corrected_key],
            clerk=clerks.get(corrected_key[0]),
            office=office,
            rng=rng,
        )

    summary = {
        **stats,
        "returns": len(seed.returns),
        "lines": len(lines),
        "reminders": len(reminders),
        "corrections": 1 if amendments else 0,
        "amendments": amendments,
    }
    audit_record(actor=None, action="demo.seed", obj=campaign, changes={"returns": summary})
    log(
        "月度报送：{returns} 份（审核通过 {accepted}，待审核 {submitted}，草稿 {draft}；"
        "逾期 {late}，未报 {missing}；更正 {corrections} 项，更正记录 {amendments} 条）".format(
            **summary
        )
    )


def _add_return(
    seed: _Seed,
    *,
    campaign: Campaign,
    department: Department,
    month: datetime.date,
    status: str,
    version: int,
    first_submitted_at: datetime.datetime | None,
    is_late: bool,
    submitted_by: User | None,
    decided_at: datetime.datetime | None,
    decided_by: User | None,
    categories: list[TrainingCategory],
    rng: random.Random,
) -> None:
    seed.returns.append(
        MonthlyReturn(
            campaign=campaign,
            department=department,
            month=month,
            status=status,
            version=version,
            first_submitted_at=first_submitted_at,
            submitted_at=first_submitted_at,
            submitted_by=submitted_by if first_submitted_at else None,
            decided_at=decided_at,
            decided_by=decided_by,
            is_late=is_late,
        )
    )
    seed.lines[(department.pk, month)] = [
        ReturnLine(category=category, **line_figures(category, rng)) for category in categories
    ]


def _approved_correction(
    ret: MonthlyReturn, *, clerk: User | None, office: User | None, rng: random.Random
) -> int:
    """A clerk found a class left out of an accepted return; the office approved the correction
    after the lock day. Returns the number of amendments written."""
    if clerk is None or office is None:
        return 0
    window = deadlines.window_for(ret.campaign, ret.month)
    requested_at = window.locks_at + datetime.timedelta(days=3, hours=rng.randint(1, 8))
    decided_at = requested_at + datetime.timedelta(days=2)
    line = ret.lines.order_by("category__number").first()
    added = rng.randint(5, 30)
    new = {"trained": line.trained + added, "passed": line.passed + rng.randint(1, added)}
    correction = CorrectionRequest.objects.create(
        monthly_return=ret,
        status=CorrectionRequest.Status.APPROVED,
        reason="漏报一个夜校班（培训机构补交了花名册）",
        proposed={str(line.category_id): new},
        requested_by=clerk,
        decided_by=office,
        decided_at=decided_at,
        decision_reason="已核对花名册和考核记录",
    )
    amendments = [
        ReturnAmendment(
            correction=correction,
            line=line,
            field=name,
            old_value=getattr(line, name),
            new_value=value,
        )
        for name, value in new.items()
    ]
    ReturnAmendment.objects.bulk_create(amendments)
    ReturnLine.objects.filter(pk=line.pk).update(**new)
    MonthlyReturn.objects.filter(pk=ret.pk).update(
        version=F("version") + 1, amended_after_deadline=True, updated_at=decided_at
    )
    CorrectionRequest.objects.filter(pk=correction.pk).update(
        created_at=requested_at, updated_at=decided_at
    )
    ReturnAmendment.objects.filter(correction=correction).update(
        created_at=decided_at, updated_at=decided_at
    )
    return len(amendments)


SEEDERS: list[Callable] = [seed_returns]
