"""Demo data for the training app: a believable history of monthly returns up to the demo's "today".

``make run`` sets APP_TODAY=2014-07-02T10:00:00, so returns for 2013-01 … 2014-05 are history
(mostly accepted, some late, a few missing, one corrected after the lock day) and 2014-06 is the
month being collected now (a couple of drafts, one submitted, opening reminders for the rest).

Rows are written in bulk, not through the services: replaying a year and a half of clicks through
the services would take long and would need the clock moved for every step. One ``demo.seed``
audit row records what was written.
"""

import datetime
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core import clock, crypto
from core.models import County, Department, User
from core.roles import Role
from core.services import audit_record
from core.validators import make_resident_id, mask_bank_account, mask_resident_id
from training import deadlines
from training.models import (
    AttendanceRecord,
    Campaign,
    CooperationOrder,
    CorrectionRequest,
    DesignationChange,
    Enrollment,
    Inspection,
    Institution,
    InstitutionViolation,
    JobReferral,
    MonthlyReturn,
    Occupation,
    PopulationGroup,
    Programme,
    RegistrationPoint,
    ReturnAmendment,
    ReturnLine,
    ReturnReminder,
    SpecialtyIndustry,
    TrainingCategory,
    TrainingClass,
    Worker,
)
from training.selectors.evidence import is_gap
from training.services.classes import inspection_days

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


# ============================================================================================
# Training delivery (issue 5): institutions, registration points, "三定" orders, workers, classes
# in every state, enrollments, attendance, results, inspections and job referrals.
#
# The class records are generated *from the seeded returns*, so that "evidence vs reported"
# (training.selectors.evidence) shows what it is for: for the departments the volume budget
# covers, every category-month carries the classes that back the reported figures (within a few
# per cent), apart from a handful of deliberate gaps. The returns report about 16,700 trainees a
# month (the quotas spread over two years), far more than a demo can hold as enrollment rows in
# seconds; departments beyond the budget (``TRACKED_TRAINEES`` × scale, smallest first) get a
# token class a month per category, so their returns show as gaps. A larger ``scale`` backs more
# departments and creates more workers.
# ============================================================================================

BATCH_SIZE = 2000
WORKERS_PER_SCALE = 3000
TRACKED_TRAINEES = 10_000  # enrollments backing the returns, per unit of scale
DELIBERATE_GAPS = 6  # tracked category-months whose records deliberately disagree
JITTER = 0.03  # consistent months differ from the return by at most this share (< tolerance)

# Resident ID region prefixes (GB/T 2260) of Xuchang's counties; the three management
# committees have no code of their own and use the city's.
REGION_PREFIXES: dict[str, str] = {
    "weidu": "411002",
    "xuchangxian": "411023",
    "yanling": "411024",
    "xiangcheng": "411025",
    "yuzhou": "411081",
    "changge": "411082",
    "xinqu": "411000",
    "jingkai": "411000",
    "dongcheng": "411000",
}
# Townships (and, in the districts and zones, sub-districts) with two villages or communities.
TOWNSHIPS: dict[str, list[tuple[str, str, str]]] = {
    "yuzhou": [("神垕镇", "白峪村", "刘家门村"), ("鸠山镇", "魏井村", "老井村")],
    "changge": [("和尚桥镇", "坡张村", "盆李村"), ("坡胡镇", "榆林村", "水磨河村")],
    "xuchangxian": [("灵井镇", "霍庄村", "灵井村"), ("尚集镇", "尚集村", "大路陈村")],
    "xiangcheng": [("库庄镇", "库庄村", "黄柳村"), ("紫云镇", "紫云村", "黄林村")],
    "yanling": [("柏梁镇", "姚家村", "黄龙村"), ("陈化店镇", "陈化店村", "东陈村")],
    "weidu": [("高桥营街道", "高桥营社区", "北关社区"), ("西大街街道", "西大社区", "小西门社区")],
    "xinqu": [("半截河街道", "半截河社区", "新兴社区"), ("祖师街道", "祖师社区", "新元社区")],
    "jingkai": [("长村张街道", "长村张社区", "瑞祥社区"), ("小召乡", "小召村", "魏庄村")],
    "dongcheng": [("邓庄乡", "邓庄村", "罗庄村"), ("东城街道", "宏腾社区", "永兴社区")],
}
# Institutions beyond the six the plan names: (county, name, kind, occupation codes).
INSTITUTIONS: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("weidu", "许昌市就业训练中心", "technical_school", ("ZY017", "ZY027", "ZY023")),
    ("weidu", "许昌市魏都区职业培训学校", "private", ("ZY026", "ZY023")),
    ("weidu", "许昌市阳光职业培训学校", "private", ("ZY024", "ZY025")),
    ("weidu", "许昌金桥电脑职业培训学校", "private", ("ZY027", "ZY028")),
    ("weidu", "许昌市新希望汽车维修职业培训学校", "private", ("ZY019", "ZY020")),
    ("weidu", "许昌瑞贝卡发制品职工培训中心", "enterprise", ("ZY007",)),
    ("weidu", "许昌市烹饪职业培训学校", "private", ("ZY023",)),
    ("weidu", "许昌市总工会职工技能培训中心", "private", ("ZY017", "ZY010", "ZY025")),
    ("weidu", "许昌市巾帼职业培训学校", "private", ("ZY024", "ZY026", "ZY030")),
    ("yuzhou", "禹州市职业技术教育中心", "secondary_vocational", ("ZY001", "ZY027", "ZY009")),
    ("yuzhou", "禹州市神垕钧瓷技艺培训学校", "private", ("ZY001",)),
    ("yuzhou", "禹州市中药材种植加工培训学校", "private", ("ZY002",)),
    ("yuzhou", "禹州市矿山安全技术培训中心", "enterprise", ("ZY003", "ZY017")),
    ("yuzhou", "禹州市育才职业培训学校", "private", ("ZY024", "ZY025", "ZY030")),
    ("changge", "长葛市职业中等专业学校", "secondary_vocational", ("ZY009", "ZY021", "ZY027")),
    ("changge", "长葛市金刚石行业职工培训中心", "enterprise", ("ZY004",)),
    ("changge", "长葛市不锈钢产业技能培训学校", "private", ("ZY005", "ZY010")),
    ("changge", "长葛市食品工业职业培训学校", "private", ("ZY006",)),
    ("changge", "长葛市巾帼家政服务培训学校", "private", ("ZY024", "ZY025")),
    ("xuchangxian", "许昌县职业技术教育中心", "secondary_vocational", ("ZY008", "ZY010")),
    ("xuchangxian", "许昌县发制品技能培训学校", "private", ("ZY007",)),
    ("xuchangxian", "许昌县灵井机械加工培训学校", "private", ("ZY021", "ZY009")),
    ("xuchangxian", "许昌县农民工技能培训学校", "private", ("ZY010", "ZY030", "ZY023")),
    ("xiangcheng", "襄城县职业技术教育中心", "secondary_vocational", ("ZY017", "ZY027")),
    ("xiangcheng", "襄城县煤矿安全技术培训中心", "enterprise", ("ZY011",)),
    ("xiangcheng", "平煤神马集团襄城职工培训中心", "enterprise", ("ZY011", "ZY017")),
    ("xiangcheng", "襄城县畜牧养殖技术培训学校", "private", ("ZY012",)),
    ("yanling", "鄢陵县职业教育中心", "secondary_vocational", ("ZY013", "ZY027")),
    ("yanling", "鄢陵县花木园艺职业培训学校", "private", ("ZY014", "ZY013")),
    ("yanling", "鄢陵县箱包制作技能培训学校", "private", ("ZY015",)),
    ("yanling", "鄢陵县茶艺职业培训学校", "private", ("ZY016",)),
    ("yanling", "鄢陵县园林绿化技能培训中心", "enterprise", ("ZY013",)),
    ("xinqu", "许昌新区电子信息产业职业培训学校", "private", ("ZY018", "ZY027")),
    ("xinqu", "许昌新区家政服务职业培训学校", "private", ("ZY024", "ZY025")),
    ("jingkai", "许昌经济技术开发区职业培训中心", "private", ("ZY021", "ZY017")),
    ("jingkai", "许昌森源电气职工培训中心", "enterprise", ("ZY017", "ZY022")),
    ("dongcheng", "许昌市东城区职业培训学校", "private", ("ZY028", "ZY027")),
    ("dongcheng", "许昌市残疾人职业技能培训基地", "private", ("ZY027", "ZY026", "ZY015")),
    ("dongcheng", "许昌市退役士兵职业技能培训中心", "private", ("ZY019", "ZY010", "ZY017")),
    ("dongcheng", "许昌市青年创业培训中心", "private", ("ZY029", "ZY028")),
]
# The plan's own six: what they teach.
PLAN_INSTITUTION_OCCUPATIONS: dict[str, tuple[str, ...]] = {
    "许昌职业技术学院": ("ZY018", "ZY028", "ZY029", "ZY027"),
    "许昌技师学院": ("ZY009", "ZY010", "ZY017", "ZY021", "ZY019"),
    "许昌陶瓷职业学院": ("ZY001", "ZY027"),
    "许昌技术经济学校": ("ZY020", "ZY019", "ZY027"),
    "许昌机电技工学校": ("ZY008", "ZY009", "ZY010"),
    "许继技工学校": ("ZY022", "ZY017"),
}
FEATURED = "许昌技师学院"  # the demo institution account's institution
WARNED = ("许昌金桥电脑职业培训学校", "长葛市食品工业职业培训学校")
REVOKED = "许昌市魏都区职业培训学校"
# County specialty (特色产业, from the plan) → the occupation that trains for it.
SPECIALTY_OCCUPATIONS: dict[str, str] = {
    "钧瓷制作": "ZY001",
    "中药材生产加工": "ZY002",
    "矿石开采": "ZY003",
    "人造金刚石": "ZY004",
    "不锈钢生产加工": "ZY005",
    "食品": "ZY006",
    "发制品": "ZY007",
    "机械加工": "ZY008",
    "煤炭开采": "ZY011",
    "养殖种植": "ZY012",
    "园林绿化": "ZY013",
    "花木种植养护": "ZY014",
    "箱包生产": "ZY015",
    "茶艺": "ZY016",
    "电工电子产品": "ZY018",
    "发制品加工": "ZY007",
}
# "三定" orders: (enterprise, institution, occupation, kind, yearly target) — the plan's figures.
ORDERS: list[tuple[str, str, str, str, int]] = [
    ("许继集团有限公司", "许继技工学校", "ZY022", "order", 1500),
    ("许继集团有限公司", "许继技工学校", "ZY017", "post", 300),
    ("富士康科技集团", "许昌职业技术学院", "ZY018", "directed", 5000),
    ("中国平煤神马集团", "平煤神马集团襄城职工培训中心", "ZY011", "post", 3000),
    ("许昌市汽车4S店联合体", "许昌市新希望汽车维修职业培训学校", "ZY019", "order", 2000),
    ("河南森源电气股份有限公司", "许昌技师学院", "ZY017", "post", 1000),
    ("瑞贝卡发制品股份有限公司", "许昌县发制品技能培训学校", "ZY007", "directed", 800),
]
# Who each category trains: population-group codes of its worker pool (the first is primary),
# whether the pool's classes draw the training subsidy, and institutions that suit it.
CATEGORY_PROFILES: dict[int, tuple[tuple[str, ...], bool, tuple[str, ...]]] = {
    1: (
        ("enterprise_employee",),
        False,
        (
            "许继技工学校",
            "许昌技师学院",
            "许昌森源电气职工培训中心",
            "许昌瑞贝卡发制品职工培训中心",
        ),
    ),
    2: (
        ("urban_unemployed",),
        True,
        ("许昌市就业训练中心", "许昌技师学院", "许昌市烹饪职业培训学校"),
    ),
    3: (
        ("rural_migrant",),
        True,
        ("许昌县农民工技能培训学校", "许昌机电技工学校", "长葛市不锈钢产业技能培训学校"),
    ),
    4: (
        ("graduate_year",),
        True,
        ("许昌职业技术学院", "许昌技术经济学校", "许昌金桥电脑职业培训学校"),
    ),
    5: (
        ("urban_unemployed", "graduate_year"),
        True,
        ("许昌市青年创业培训中心", "许昌职业技术学院"),
    ),
    6: (
        ("school_leaver",),
        True,
        ("许昌技师学院", "禹州市职业技术教育中心", "长葛市职业中等专业学校"),
    ),
    7: (("veteran",), False, ("许昌市退役士兵职业技能培训中心", "许昌技师学院")),
    8: (("rural_migrant",), True, ("鄢陵县花木园艺职业培训学校", "襄城县畜牧养殖技术培训学校")),
    9: (("rural_migrant",), True, ("禹州市中药材种植加工培训学校", "许昌县职业技术教育中心")),
    10: (("hardship_worker",), False, ("许昌市总工会职工技能培训中心",)),
    11: (
        ("young_migrant", "rural_migrant"),
        False,
        ("许昌县灵井机械加工培训学校", "许昌市就业训练中心"),
    ),
    12: (
        ("urban_unemployed", "rural_migrant"),
        True,
        ("许昌市巾帼职业培训学校", "长葛市巾帼家政服务培训学校"),
    ),
    13: (("disabled",), False, ("许昌市残疾人职业技能培训基地",)),
}
WOMEN_CATEGORY = 12
ENTREPRENEURSHIP_NUMBER = 5
ENTERPRISE_NUMBER = 1
BIRTH_YEARS: dict[str, tuple[int, int]] = {
    "school_leaver": (1995, 1998),
    "graduate_year": (1989, 1992),
    "young_migrant": (1984, 1996),
    "veteran": (1980, 1993),
}
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
)
MALE_GIVEN = "建国伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林阳坤志红卫东海峰"
FEMALE_GIVEN = "丽娟敏静艳芳娜秀英华慧巧美娥玲桂兰霞燕萍红梅琳雪倩婷颖洁佳丹蓉凤琴云莉欣月"
BANKS = (
    "中国工商银行许昌分行",
    "中国农业银行许昌分行",
    "中国建设银行许昌分行",
    "中国银行许昌分行",
    "许昌银行",
    "河南省农村信用社许昌办事处",
)
EMPLOYERS = (
    "许继集团有限公司",
    "河南森源电气股份有限公司",
    "瑞贝卡发制品股份有限公司",
    "黄河旋风股份有限公司",
    "许昌远东传动轴股份有限公司",
    "河南众品食业股份有限公司",
    "禹州市钧官窑址博物馆",
    "鄢陵县花木交易中心",
    "许昌市胖东来商贸集团",
    "长葛市森茂不锈钢制品有限公司",
    "许昌县金龙发制品有限公司",
    "许昌市中心医院后勤服务中心",
)
FINDINGS = (
    "实到人数少于花名册人数，已要求补充考勤说明",
    "教学进度滞后于教学计划",
    "授课教师与开班审批表不一致",
    "实训设备不足，部分学员未动手操作",
)


def _name(rng: random.Random, sex: str) -> str:
    given = MALE_GIVEN if sex == "M" else FEMALE_GIVEN
    return rng.choice(SURNAMES) + "".join(rng.choice(given) for _ in range(rng.choice((1, 2))))


def _mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


def _month_day(month: datetime.date, day: int) -> datetime.date:
    return month.replace(day=min(day, 28))


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _bulk(model, rows: list) -> None:
    for start in range(0, len(rows), BATCH_SIZE):
        model.objects.bulk_create(rows[start : start + BATCH_SIZE])


def _split(total: int, caps: list[int]) -> list[int]:
    """``total`` shared out in proportion to ``caps``, no part above its cap (sum == total when
    total <= sum(caps))."""
    whole = sum(caps)
    if not whole:
        return [0] * len(caps)
    parts = [min(cap, total * cap // whole) for cap in caps]
    index = 0
    while sum(parts) < min(total, whole):
        if parts[index] < caps[index]:
            parts[index] += 1
        index = (index + 1) % len(parts)
    return parts


def _jittered(reported: list[int], rng: random.Random, tolerance) -> tuple[int, int, int]:
    """The reported (trained, passed, employed), moved by at most JITTER of trained, and kept
    exact whenever rounding would push a figure past the tolerance."""
    trained, passed, employed = reported
    spread = int(trained * JITTER)
    shift = rng.randint(-spread, spread) if spread else 0
    new_trained = max(0, trained + shift)
    new_passed = min(new_trained, passed + round(shift * passed / trained) if trained else 0)
    new_employed = min(new_passed, employed + round(shift * employed / trained) if trained else 0)
    moved = (new_trained, max(0, new_passed), max(0, new_employed))
    if any(
        is_gap(reported=old, evidence=new, tolerance=tolerance)
        for old, new in zip(reported, moved, strict=True)
    ):
        return trained, min(passed, trained), min(employed, passed)
    return moved


def _share_results(cell: "_Cell", plans: list["_ClassPlan"]) -> None:
    """Share a cell's passed, employed and self-employed among its classes. Classes of the
    warned and revoked institutions get fewer passes (their pass rate is below the line)."""
    sizes = [len(plan.members) for plan in plans]
    weak = [
        int(size * 0.7) if plan.obj.institution.name in (REVOKED, *WARNED) else size
        for plan, size in zip(plans, sizes, strict=True)
    ]
    passed = _split(cell.passed, weak if sum(weak) >= cell.passed else sizes)
    employed = _split(cell.employed, passed)
    self_employed = _split(cell.self_employed, employed)
    for plan, p, e, s in zip(plans, passed, employed, self_employed, strict=True):
        plan.passed, plan.employed, plan.self_employed = p, e, s


@dataclass
class _Cell:
    """What the class records of one category and month are to show (enrollments of classes
    that ended in the month, passed, employed of whom self-employed)."""

    category: TrainingCategory
    month: datetime.date
    trained: int
    passed: int
    employed: int
    self_employed: int
    tracked: bool
    gap: str = ""


@dataclass
class _Member:
    worker: int  # Worker pk
    subsidised: bool
    attended: int = 0
    result: str = Enrollment.Result.PENDING
    outcome: str = ""  # a JobReferral outcome when a referral is due


@dataclass
class _ClassPlan:
    obj: TrainingClass
    members: list[_Member]
    passed: int = 0
    employed: int = 0
    self_employed: int = 0


class _DeliverySeeder:
    """Builds the delivery rows in memory, then writes them in bulk, in dependency order."""

    def __init__(self, *, campaign: Campaign, scale: int, rng: random.Random) -> None:
        self.campaign = campaign
        self.scale = scale
        self.rng = rng
        self.now = clock.now()
        self.today = clock.today()
        self.counts: dict[str, int] = {}
        self.counties = {c.code: c for c in County.objects.all()}
        self.categories = {
            c.number: c
            for c in TrainingCategory.objects.filter(campaign=campaign).select_related("department")
        }
        self.occupations = {o.code: o for o in Occupation.objects.all()}
        self.groups = {g.code: g for g in PopulationGroup.objects.all()}
        departments = list(
            Department.objects.filter(training_categories__campaign=campaign).distinct()
        )
        self.clerks, self.office = _people(departments)
        self.reviewer = User.objects.filter(groups__name=Role.REVIEWER).order_by("pk").first()
        self.inspectors = [
            user for user in [self.office, self.reviewer, *self.clerks.values()] if user
        ]
        self.specialties = {
            (s.county_id, SPECIALTY_OCCUPATIONS.get(s.name)): s
            for s in SpecialtyIndustry.objects.filter(campaign=campaign)
        }

    # ---- institutions, programmes, designation history ------------------------------------

    def institutions(self) -> None:
        rng = self.rng
        existing = {i.name: i for i in Institution.objects.all()}
        new = []
        for county, name, kind, _codes in INSTITUTIONS:
            if name not in existing:
                new.append(Institution(name=name, kind=kind, county=self.counties.get(county)))
        _bulk(Institution, new)
        self.institution_by_name = {i.name: i for i in Institution.objects.select_related("county")}
        teaching = dict(PLAN_INSTITUTION_OCCUPATIONS)
        teaching.update({name: codes for _c, name, _k, codes in INSTITUTIONS})
        self.teaching = {
            name: [self.occupations[c] for c in codes if c in self.occupations]
            for name, codes in teaching.items()
            if name in self.institution_by_name
        }
        changed = []
        for institution in self.institution_by_name.values():
            if institution.bank_account_encrypted:
                continue
            account = f"{rng.choice(('4103', '6222', '4100', '1702'))}{rng.randrange(10**15):015d}"
            institution.bank_name = rng.choice(BANKS)
            institution.bank_account_name = institution.name
            institution.bank_account_encrypted = crypto.encrypt(account)
            institution.bank_account_masked = mask_bank_account(account)
            institution.contact_person = institution.contact_person or _name(rng, "M")
            institution.contact_phone = institution.contact_phone or _mobile(rng)
            county = institution.county.name if institution.county else "许昌市"
            institution.address = institution.address or (
                f"许昌市{county}{rng.choice(('建设路', '八一路', '许继大道', '文峰路', '新兴路'))}"
                f"{rng.randint(1, 399)}号"
            )
            institution.designated_on = institution.designated_on or datetime.date(
                2013, rng.randint(3, 6), rng.randint(1, 28)
            )
            # About a third hold the plaque 许昌市全民技能提升工程培训基地.
            if institution.kind != Institution.Kind.PRIVATE or rng.random() < 0.25:
                institution.plaque_granted_on = datetime.date(2013, rng.randint(6, 12), 18)
            changed.append(institution)
        Institution.objects.bulk_update(
            changed,
            [
                "bank_name",
                "bank_account_name",
                "bank_account_encrypted",
                "bank_account_masked",
                "contact_person",
                "contact_phone",
                "address",
                "designated_on",
                "plaque_granted_on",
            ],
            batch_size=BATCH_SIZE,
        )
        self.counts["institutions"] = len(self.institution_by_name)

        groups_text = {
            "technical_school": "城乡劳动者、企业职工、应届初高中毕业生",
            "higher_vocational": "高校毕业生、企业职工",
            "secondary_vocational": "应届初高中毕业生、农村转移就业劳动者",
            "private": "城镇登记失业人员、农村转移就业劳动者",
            "enterprise": "本企业及合作企业职工",
        }
        have = set(Programme.objects.values_list("institution_id", "name"))
        programmes = []
        for name, occupations in self.teaching.items():
            institution = self.institution_by_name[name]
            for occupation in occupations:
                title = f"{occupation.name}（初级）"
                if (institution.pk, title) in have:
                    continue
                days = rng.choice((10, 15, 20, 30, 45))
                programmes.append(
                    Programme(
                        institution=institution,
                        name=title,
                        occupation=occupation,
                        target_groups=groups_text[institution.kind],
                        duration_days=days,
                        content=f"{occupation.name}基础理论、安全规范和实际操作，{days}天，"
                        "结业考核合格者推荐参加职业技能鉴定。",
                    )
                )
        _bulk(Programme, programmes)
        self.counts["programmes"] = len(programmes)

        # Two warned, one revoked after a violation (its history and the office's reasons).
        changes, violations = [], []
        self.revoked_on = datetime.date(2014, 3, 20)
        if self.office is not None:
            for name in WARNED:
                institution = self.institution_by_name.get(name)
                if institution is None or institution.designation != "designated":
                    continue
                changes.append(
                    (
                        DesignationChange(
                            institution=institution,
                            from_status="designated",
                            to_status="warned",
                            reason="2013年度考核培训合格率低于80%，限期整改",
                            changed_by=self.office,
                        ),
                        _at(datetime.date(2014, 1, 20), 10),
                    )
                )
                institution.designation = Institution.Designation.WARNED
            institution = self.institution_by_name.get(REVOKED)
            if institution is not None and institution.designation == "designated":
                violations.append(
                    InstitutionViolation(
                        institution=institution,
                        occurred_on=datetime.date(2014, 2, 26),
                        description="随机抽查发现实到学员不足花名册人数的一半，"
                        "且虚报出勤课次，套取培训补贴",
                        recorded_by=self.office,
                    )
                )
                for from_status, to_status, day, reason in (
                    ("designated", "warned", datetime.date(2014, 1, 20), "培训合格率低于80%"),
                    (
                        "warned",
                        "revoked",
                        self.revoked_on,
                        "虚报出勤套取补贴（违规记录2014-02-26），经办公室确认取消定点资格",
                    ),
                ):
                    changes.append(
                        (
                            DesignationChange(
                                institution=institution,
                                from_status=from_status,
                                to_status=to_status,
                                reason=reason,
                                changed_by=self.office,
                            ),
                            _at(day, 15),
                        )
                    )
                institution.designation = Institution.Designation.REVOKED
            Institution.objects.bulk_update(
                [i for i in self.institution_by_name.values() if i.designation != "designated"],
                ["designation"],
            )
            _bulk(InstitutionViolation, violations)
            for change, moment in changes:
                change.save()
                DesignationChange.objects.filter(pk=change.pk).update(
                    created_at=moment, updated_at=moment
                )
        self.counts["designation_changes"] = len(changes)
        self.counts["violations"] = len(violations)

    # ---- registration points ----------------------------------------------------------------

    def points(self) -> None:
        rng = self.rng
        have = set(RegistrationPoint.objects.values_list("county_id", "name"))
        points = []

        def add(county, name, level, address, institution=None):
            if (county.pk if county else None, name) in have:
                return
            have.add((county.pk if county else None, name))
            points.append(
                RegistrationPoint(
                    name=name,
                    level=level,
                    county=county,
                    institution=institution,
                    address=address,
                    phone=f"0374-{rng.randint(2000000, 8999999)}",
                )
            )

        for code, county in self.counties.items():
            add(
                county,
                f"许昌市人社局驻{county.name}职业培训报名窗口",
                RegistrationPoint.Level.CITY,
                f"{county.name}政务服务中心一楼",
            )
            add(
                county,
                f"{county.name}公共就业服务中心报名点",
                RegistrationPoint.Level.COUNTY,
                f"{county.name}人力资源和社会保障局",
            )
            for town, *villages in TOWNSHIPS.get(code, []):
                add(
                    county,
                    f"{town}劳动保障事务所报名点",
                    RegistrationPoint.Level.TOWNSHIP,
                    f"{county.name}{town}人民政府院内",
                )
                for village in villages:
                    add(
                        county,
                        f"{town}{village}劳动保障服务站",
                        RegistrationPoint.Level.VILLAGE,
                        f"{county.name}{town}{village}党群服务中心",
                    )
        for institution in self.institution_by_name.values():
            add(
                institution.county,
                f"{institution.name}报名点",
                RegistrationPoint.Level.INSTITUTION,
                institution.address or institution.name,
                institution,
            )
        _bulk(RegistrationPoint, points)
        self.counts["registration_points"] = len(points)
        self.points_by_county: dict[int, list[int]] = {}
        for pk, county_id in RegistrationPoint.objects.values_list("pk", "county_id"):
            self.points_by_county.setdefault(county_id, []).append(pk)

    # ---- "三定" orders -------------------------------------------------------------------------

    def orders(self) -> None:
        have = set(
            CooperationOrder.objects.values_list(
                "enterprise", "institution__name", "occupation__code", "year"
            )
        )
        orders = []
        years = range(self.campaign.start_date.year, self.campaign.end_date.year + 1)
        for enterprise, name, code, kind, target in ORDERS:
            institution = self.institution_by_name.get(name)
            if institution is None or code not in self.occupations:
                continue
            for year in years:
                if (enterprise, name, code, year) in have:
                    continue
                orders.append(
                    CooperationOrder(
                        campaign=self.campaign,
                        enterprise=enterprise,
                        institution=institution,
                        kind=kind,
                        occupation=self.occupations[code],
                        year=year,
                        yearly_target=target + (year - years[0]) * target // 10,
                    )
                )
        _bulk(CooperationOrder, orders)
        self.counts["orders"] = len(orders)
        self.orders_by_year: dict[int, list[CooperationOrder]] = {}
        for order in CooperationOrder.objects.filter(campaign=self.campaign).select_related(
            "institution", "occupation"
        ):
            self.orders_by_year.setdefault(order.year, []).append(order)

    # ---- what the records must show: one cell per category and month owed -----------------

    def plan_cells(self) -> None:
        rng = self.rng
        self.months = deadlines.months_due(self.campaign, self.now)
        lines = {
            (category_id, month): (status, figures)
            for category_id, month, status, *figures in ReturnLine.objects.filter(
                monthly_return__campaign=self.campaign
            ).values_list(
                "category_id",
                "monthly_return__month",
                "monthly_return__status",
                "trained",
                "passed",
                "employed",
                "entrepreneurs",
            )
        }
        # How much each department reported over the months, to choose which ones to back.
        volume: dict[int, int] = {}
        for category in self.categories.values():
            for month in self.months:
                found = lines.get((category.pk, month))
                trained = found[1][0] if found else category.quota // 24
                volume[category.department_id] = volume.get(category.department_id, 0) + trained
        budget = TRACKED_TRAINEES * self.scale
        self.tracked: set[int] = set()
        used = 0
        for department_id, reported in sorted(volume.items(), key=lambda item: item[1]):
            if self.tracked and used + reported > budget:
                break
            self.tracked.add(department_id)
            used += reported

        tolerance = self.campaign.evidence_tolerance
        cells: list[_Cell] = []
        candidates: list[_Cell] = []
        for number, category in sorted(self.categories.items()):
            tracked = category.department_id in self.tracked
            for month in self.months:
                found = lines.get((category.pk, month))
                if not tracked:
                    trained = rng.randint(18, 32)
                    passed = int(trained * rng.uniform(0.82, 0.95))
                    employed = int(passed * rng.uniform(0.5, 0.75))
                    entrepreneurs = int(employed * (0.3 if number == 5 else 0.03))
                    cells.append(
                        _Cell(category, month, trained, passed, employed, entrepreneurs, False)
                    )
                    continue
                if found:
                    reported = found[1]
                else:  # no return for the month: the records still show the training
                    figures = line_figures(category, rng)
                    reported = [figures[k] for k in ("trained", "passed", "employed")]
                    reported.append(figures["entrepreneurs"])
                trained, passed, employed, entrepreneurs = reported
                cell = _Cell(category, month, *_jittered(reported[:3], rng, tolerance), 0, True)
                cell.self_employed = min(entrepreneurs, cell.employed)
                cells.append(cell)
                reported_now = found and found[0] != MonthlyReturn.Status.DRAFT
                if reported_now and trained >= 20 and employed >= 10:
                    candidates.append(cell)
        # A few category-months whose records deliberately disagree with the return.
        kinds = ("inflated", "no_records", "passed", "underreported", "employed", "inflated")
        chosen = rng.sample(candidates, min(DELIBERATE_GAPS, len(candidates)))
        for cell, kind in zip(chosen, kinds * 2, strict=False):
            cell.gap = kind
            if kind == "inflated":
                factor = rng.uniform(0.6, 0.78)
                cell.trained, cell.passed, cell.employed = (
                    round(cell.trained * factor),
                    round(cell.passed * factor),
                    round(cell.employed * factor),
                )
            elif kind == "underreported":
                factor = rng.uniform(1.2, 1.35)
                cell.trained = round(cell.trained * factor)
                cell.passed = min(cell.trained, round(cell.passed * factor))
                cell.employed = min(cell.passed, round(cell.employed * factor))
            elif kind == "passed":
                cell.passed = round(cell.passed * rng.uniform(0.6, 0.75))
                cell.employed = min(cell.employed, cell.passed)
            elif kind == "employed":
                cell.employed = round(cell.employed * rng.uniform(0.4, 0.6))
            elif kind == "no_records":
                cell.trained = cell.passed = cell.employed = 0
            cell.self_employed = min(cell.self_employed, cell.employed)
        self.cells = [cell for cell in cells if cell.trained > 0]
        self.gaps = [
            {
                "department": cell.category.department.code,
                "category": cell.category.number,
                "month": f"{cell.month:%Y-%m}",
                "kind": cell.gap,
            }
            for cell in chosen
        ]
        self.tracked_codes = sorted(
            {c.department.code for c in self.categories.values() if c.department_id in self.tracked}
        )
        self.counts["tracked_departments"] = len(self.tracked)
        self.counts["deliberate_gaps"] = len(chosen)

    # ---- classes (without members yet) -----------------------------------------------------

    def _institution(self, number: int, day: datetime.date) -> Institution:
        names = list(CATEGORY_PROFILES[number][2])
        if number in (2, 12) and day < self.revoked_on:
            names.append(REVOKED)  # taught there until its designation was withdrawn
        if number == 3:
            names.append(WARNED[1])
        choices = [
            self.institution_by_name[name]
            for name in names
            if name in self.institution_by_name and (name != REVOKED or day < self.revoked_on)
        ]
        return self.rng.choice(choices or list(self.institution_by_name.values()))

    def _new_class(
        self,
        *,
        number: int,
        status: str,
        start: datetime.date,
        end: datetime.date,
        size: int,
        institution: Institution | None = None,
    ) -> _ClassPlan:
        rng = self.rng
        category = self.categories[number]
        order = None
        if institution is None:
            year_orders = self.orders_by_year.get(start.year, [])
            if number == ENTERPRISE_NUMBER and year_orders and rng.random() < 0.5:
                order = rng.choice(year_orders)
                institution = order.institution
            else:
                institution = self._institution(number, start)
        teaches = self.teaching.get(institution.name) or list(self.occupations.values())
        if order is not None:
            occupation = order.occupation
        elif number == ENTREPRENEURSHIP_NUMBER and "ZY029" in self.occupations:
            occupation = self.occupations["ZY029"]
        else:
            occupation = rng.choice(teaches)
        if number == ENTREPRENEURSHIP_NUMBER:
            kind = TrainingClass.Kind.ENTREPRENEURSHIP
        elif number == ENTERPRISE_NUMBER:
            kind = (
                TrainingClass.Kind.HIGH_SKILL
                if occupation.is_shortage and rng.random() < 0.3
                else TrainingClass.Kind.UPGRADE
            )
        else:
            kind = TrainingClass.Kind.EMPLOYMENT
        planned = rng.choice((12, 15, 16, 18, 20, 24, 30))
        held = planned if status == TrainingClass.Status.CLOSED else 0
        obj = TrainingClass(
            campaign=self.campaign,
            code="",
            name="",
            institution=institution,
            category=category,
            occupation=occupation,
            kind=kind,
            specialty=self.specialties.get((institution.county_id, occupation.code)),
            order=order,
            on_site=number in (1, 8, 9) and rng.random() < 0.2,
            subsidised=False,
            start_date=start,
            end_date=end,
            planned_sessions=planned,
            sessions_held=held,
            capacity=max(size, 20) + rng.randint(0, 8),
            teachers="、".join(_name(rng, rng.choice("MF")) for _ in range(rng.randint(1, 3))),
            status=status,
        )
        if status != TrainingClass.Status.DRAFT:
            submitted = min(start - datetime.timedelta(days=rng.randint(10, 20)), self.today)
            obj.submitted_at = _at(submitted, rng.randint(9, 16), rng.randint(0, 59))
        if status in (
            TrainingClass.Status.APPROVED,
            TrainingClass.Status.CLOSED,
            TrainingClass.Status.REFUSED,
        ):
            decided = min(obj.submitted_at + datetime.timedelta(days=rng.randint(2, 6)), self.now)
            obj.decided_at = decided
            obj.decided_by = self.clerks.get(category.department_id) or self.reviewer
            if status == TrainingClass.Status.REFUSED:
                obj.decision_reason = rng.choice(
                    (
                        "教学计划课时不足，不符合开班条件，请补充后重新提交",
                        "花名册中部分学员不属于本类别培训对象",
                        "授课教师资质证明材料不全",
                    )
                )
            else:
                obj.inspection_seed = rng.randrange(1, 2**62)
        if status == TrainingClass.Status.CLOSED:
            closed = min(
                _at(end + datetime.timedelta(days=rng.randint(1, 4)), 10),
                self.now - datetime.timedelta(hours=1),
            )
            obj.closed_at = closed
        return _ClassPlan(obj=obj, members=[_Member(0, False) for _ in range(size)])

    def plan_classes(self) -> None:
        """Closed classes that back the cells, then, per category, classes in the other states:
        refused ones in the past, approved ones under way, submitted and draft ones to come."""
        rng = self.rng
        self.plans: list[_ClassPlan] = []
        last = self.months[-1] if self.months else None
        for cell in self.cells:
            target = rng.randint(30, 48)
            count = max(1, -(-cell.trained // target))
            sizes = _split(cell.trained, [target] * count)
            # The newest month of a category the budget does not back has a class that ended
            # but is not closed yet: trainees count, results are still to come.
            awaiting = not cell.tracked and cell.month == last and cell.category.number in (1, 3)
            cell_plans = []
            for size in sizes:
                # Classes of the campaign start inside it: the first month's end late enough.
                first = cell.month <= self.campaign.start_date
                end = _month_day(cell.month, rng.randint(15 if first else 3, 28))
                if end >= self.today:
                    end = self.today - datetime.timedelta(days=1)
                start = max(
                    end - datetime.timedelta(days=rng.randint(10, 40)), self.campaign.start_date
                )
                status = TrainingClass.Status.APPROVED if awaiting else TrainingClass.Status.CLOSED
                plan = self._new_class(
                    number=cell.category.number, status=status, start=start, end=end, size=size
                )
                if awaiting:
                    plan.obj.sessions_held = plan.obj.planned_sessions
                self.plans.append(plan)
                cell_plans.append(plan)
            if not awaiting:
                _share_results(cell, cell_plans)
        featured = self.institution_by_name.get(FEATURED)
        history = self.months or [deadlines.month_start(self.today)]
        for number in sorted(self.categories):
            # 许昌技师学院 (the demo institution account) runs every state in two categories.
            own = featured if number in (ENTERPRISE_NUMBER, 6) else None
            for _ in range(rng.randint(1, 2)):
                month = rng.choice(history)
                start = _month_day(month, rng.randint(1, 20))
                self.plans.append(
                    self._new_class(
                        number=number,
                        status=TrainingClass.Status.REFUSED,
                        start=start,
                        end=start + datetime.timedelta(days=20),
                        size=0,
                        institution=own,
                    )
                )
            for _ in range(rng.randint(1, 2)):
                start = self.today - datetime.timedelta(days=rng.randint(6, 20))
                plan = self._new_class(
                    number=number,
                    status=TrainingClass.Status.APPROVED,
                    start=start,
                    end=self.today + datetime.timedelta(days=rng.randint(8, 40)),
                    size=rng.randint(25, 45),
                    institution=own,
                )
                span = (plan.obj.end_date - plan.obj.start_date).days
                elapsed = (self.today - plan.obj.start_date).days
                planned = plan.obj.planned_sessions
                plan.obj.sessions_held = max(1, min(planned - 1, planned * elapsed // span))
                self.plans.append(plan)
            start = self.today + datetime.timedelta(days=rng.randint(7, 25))
            self.plans.append(
                self._new_class(
                    number=number,
                    status=TrainingClass.Status.SUBMITTED,
                    start=start,
                    end=start + datetime.timedelta(days=rng.randint(10, 30)),
                    size=rng.randint(25, 45),
                    institution=own,
                )
            )
            start = self.today + datetime.timedelta(days=rng.randint(20, 45))
            self.plans.append(
                self._new_class(
                    number=number,
                    status=TrainingClass.Status.DRAFT,
                    start=start,
                    end=start + datetime.timedelta(days=rng.randint(10, 30)),
                    size=0,
                    institution=own,
                )
            )
        # Codes and names in the order the classes started.
        self.plans.sort(key=lambda p: (p.obj.start_date, p.obj.category.number))
        issue: dict[tuple[int, int, int], int] = {}
        for index, plan in enumerate(self.plans, start=1):
            obj = plan.obj
            key = (obj.institution.pk, obj.occupation.pk, obj.start_date.year)
            issue[key] = issue.get(key, 0) + 1
            obj.code = f"PX{obj.start_date.year}{index:05d}"
            obj.name = f"{obj.occupation.name}培训班（{obj.start_date.year}年第{issue[key]}期）"

    # ---- workers -----------------------------------------------------------------------------

    def workers(self) -> None:
        """WORKERS_PER_SCALE × scale workers in one pool per category, each pool as large as the
        category's share of the enrollments, so nobody is enrolled far more often than others."""
        rng = self.rng
        demand = dict.fromkeys(self.categories, 0)
        for plan in self.plans:
            demand[plan.obj.category.number] += len(plan.members)
        total = sum(demand.values()) or 1
        wanted = WORKERS_PER_SCALE * self.scale
        biggest = max((len(plan.members) for plan in self.plans), default=0)
        counties = [c for code, c in self.counties.items() if code in REGION_PREFIXES]
        seen: set[str] = set(Worker.objects.values_list("id_number_hash", flat=True))
        rows: list[Worker] = []
        memberships: list[tuple[str, list[str]]] = []
        pool_of: dict[str, int] = {}
        for number in sorted(self.categories):
            size = max(biggest + 10, round(wanted * demand[number] / total))
            group_codes = [g for g in CATEGORY_PROFILES[number][0] if g in self.groups]
            for _ in range(size):
                primary = rng.choice(group_codes) if group_codes else ""
                if number == WOMEN_CATEGORY:
                    sex = "F"
                elif number == 7:
                    sex = "M" if rng.random() < 0.92 else "F"
                else:
                    sex = rng.choice("MF")
                first, last = BIRTH_YEARS.get(primary, (1960, 1994))
                birth = datetime.date(rng.randint(first, last), 1, 1) + datetime.timedelta(
                    days=rng.randint(0, 364)
                )
                county = rng.choice(counties)
                while True:
                    sequence = rng.randrange(0, 500) * 2 + (1 if sex == "M" else 0)
                    number_text = make_resident_id(
                        f"{REGION_PREFIXES[county.code]}{birth:%Y%m%d}{sequence:03d}"
                    )
                    digest = crypto.keyed_hash(number_text)
                    if digest not in seen:
                        break
                seen.add(digest)
                extra = []
                if primary in ("disabled", "veteran", "hardship_worker") and rng.random() < 0.3:
                    extra.append("urban_unemployed")
                rural = primary in ("rural_migrant", "young_migrant") or (
                    primary == "school_leaver" and rng.random() < 0.7
                )
                if primary == "graduate_year":
                    education = rng.choice(("college", "bachelor"))
                elif primary == "school_leaver":
                    education = rng.choice(("junior", "senior"))
                else:
                    education = rng.choices(
                        ("primary", "junior", "senior", "college"), weights=(2, 6, 4, 1)
                    )[0]
                points = self.points_by_county.get(county.pk) or [None]
                rows.append(
                    Worker(
                        id_number_hash=digest,
                        id_number_encrypted=crypto.encrypt(number_text),
                        id_number_masked=mask_resident_id(number_text),
                        name=_name(rng, sex),
                        sex=sex,
                        birth_date=birth,
                        phone=_mobile(rng) if rng.random() < 0.85 else "",
                        county=county,
                        household=Worker.Household.RURAL if rural else Worker.Household.URBAN,
                        education=education,
                        registered_at_id=rng.choice(points),
                    )
                )
                memberships.append((digest, [primary, *extra] if primary else extra))
                pool_of[digest] = number
        _bulk(Worker, rows)
        pks = dict(Worker.objects.values_list("id_number_hash", "pk"))
        through = Worker.groups.through
        _bulk(
            through,
            [
                through(worker_id=pks[digest], populationgroup_id=self.groups[code].pk)
                for digest, codes in memberships
                for code in codes
                if code in self.groups
            ],
        )
        self.pools: dict[int, list[int]] = {number: [] for number in self.categories}
        for digest, number in pool_of.items():
            self.pools[number].append(pks[digest])
        self.counts["workers"] = len(rows)
        self.demo_worker = self._demo_worker(seen)

    def _demo_worker(self, seen: set[str]) -> int | None:
        """The "worker" demo account's own record (张建国, 魏都区)."""
        user = User.objects.filter(username="worker").first()
        if user is None:
            return None
        existing = Worker.objects.filter(user=user).values_list("pk", flat=True).first()
        if existing:
            return existing
        number_text = make_resident_id("41100219850312051")
        digest = crypto.keyed_hash(number_text)
        if digest in seen:
            return None
        county = self.counties.get("weidu")
        worker = Worker.objects.create(
            id_number_hash=digest,
            id_number_encrypted=crypto.encrypt(number_text),
            id_number_masked=mask_resident_id(number_text),
            name=user.full_name or "张建国",
            sex=Worker.Sex.MALE,
            birth_date=datetime.date(1985, 3, 12),
            phone="13903741985",
            county=county,
            household=Worker.Household.RURAL,
            education=Worker.Education.SENIOR,
            user=user,
            registered_at_id=(self.points_by_county.get(county.pk if county else None) or [None])[
                0
            ],
        )
        if "rural_migrant" in self.groups:
            worker.groups.add(self.groups["rural_migrant"])
        self.counts["workers"] += 1
        return worker.pk

    # ---- who sits in which class, and how it went --------------------------------------------

    def assign_members(self) -> None:
        rng = self.rng
        need_share = self.campaign.attendance_threshold
        # Each worker draws the training subsidy at most once in the campaign (the DB says so
        # too): subsidised classes take workers from a shrinking list of those not yet subsidised.
        free = {number: rng.sample(pool, len(pool)) for number, pool in self.pools.items()}
        for plan in self.plans:
            size = len(plan.members)
            if not size:
                continue
            number = plan.obj.category.number
            available = free[number]
            if CATEGORY_PROFILES[number][1] and len(available) >= size and rng.random() < 0.45:
                plan.obj.subsidised = True
                chosen = [available.pop() for _ in range(size)]
            else:
                chosen = rng.sample(self.pools[number], size)
            planned = plan.obj.planned_sessions
            need = math.ceil(need_share * planned)
            status = plan.obj.status
            for index, (member, worker) in enumerate(zip(plan.members, chosen, strict=True)):
                member.worker = worker
                member.subsidised = plan.obj.subsidised
                if status == TrainingClass.Status.SUBMITTED:
                    continue
                held = plan.obj.sessions_held
                if status == TrainingClass.Status.APPROVED and held < planned:
                    # Under way: most keep up; a few can no longer reach the threshold.
                    if rng.random() < 0.1:
                        member.attended = rng.randint(0, max(0, held // 3))
                    else:
                        member.attended = rng.randint(math.ceil(held * 0.7), held)
                    continue
                passed = index < plan.passed and status == TrainingClass.Status.CLOSED
                low = rng.random() < (0.03 if passed else 0.5)
                member.attended = (
                    rng.randint(max(0, need - 4), need - 1) if low else rng.randint(need, planned)
                )
                if status != TrainingClass.Status.CLOSED:
                    continue  # ended, waiting to be closed: results still to come
                member.result = Enrollment.Result.PASSED if passed else Enrollment.Result.FAILED
                if passed:
                    if index < plan.self_employed:
                        member.outcome = JobReferral.Outcome.SELF_EMPLOYED
                    elif index < plan.employed:
                        member.outcome = JobReferral.Outcome.EMPLOYED
                    else:
                        member.outcome = JobReferral.Outcome.NOT_EMPLOYED
        self._place_demo_worker()

    def _place_demo_worker(self) -> None:
        """The demo worker took one subsidised class at 许昌技师学院 (passed, found a job) and is
        now in an upgrade class there. He replaces a trainee, so no count changes."""
        if self.demo_worker is None:
            return
        featured = [p for p in self.plans if p.obj.institution.name == FEATURED and p.members]
        done = [
            p
            for p in featured
            if p.obj.status == TrainingClass.Status.CLOSED
            and p.obj.subsidised
            and any(m.outcome == JobReferral.Outcome.EMPLOYED for m in p.members)
        ]
        running = [
            p
            for p in featured
            if p.obj.status == TrainingClass.Status.APPROVED
            and not p.obj.subsidised
            and p.obj.sessions_held < p.obj.planned_sessions
        ]
        if done:
            member = next(m for m in done[0].members if m.outcome == JobReferral.Outcome.EMPLOYED)
            member.worker = self.demo_worker
        if running:
            member = max(running[0].members, key=lambda m: m.attended)
            member.worker = self.demo_worker

    # ---- writing -------------------------------------------------------------------------------

    def save(self) -> None:
        rng = self.rng
        _bulk(TrainingClass, [plan.obj for plan in self.plans])
        class_pks = dict(
            TrainingClass.objects.filter(campaign=self.campaign).values_list("code", "pk")
        )
        enrollments = []
        for plan in self.plans:
            obj = plan.obj
            obj.pk = class_pks[obj.code]
            recorded = obj.closed_at if obj.status == TrainingClass.Status.CLOSED else None
            enrollments.extend(
                Enrollment(
                    campaign=self.campaign,
                    training_class_id=obj.pk,
                    worker_id=member.worker,
                    subsidised=member.subsidised,
                    sessions_attended=member.attended,
                    result=member.result,
                    result_recorded_at=recorded,
                )
                for member in plan.members
            )
        _bulk(Enrollment, enrollments)
        enrollment_pks = {
            (class_id, worker_id): pk
            for pk, class_id, worker_id in Enrollment.objects.filter(
                campaign=self.campaign
            ).values_list("pk", "training_class_id", "worker_id")
        }

        referrals, inspections, attendance = [], [], []
        minimum = max(1, self.campaign.min_inspections_per_class)
        for plan in self.plans:
            obj = plan.obj
            for member in plan.members:
                if member.outcome:
                    referrals.append(
                        self._referral(obj, enrollment_pks[(obj.pk, member.worker)], member)
                    )
            if obj.status in (TrainingClass.Status.APPROVED, TrainingClass.Status.CLOSED):
                inspections.extend(self._inspections(plan, minimum))
            if (
                obj.status == TrainingClass.Status.APPROVED
                and obj.institution.name == FEATURED
                and obj.sessions_held < obj.planned_sessions
            ):
                # Entered session by session: the counter equals the sessions marked present.
                for member in plan.members:
                    present = set(rng.sample(range(1, obj.sessions_held + 1), member.attended))
                    attendance.extend(
                        AttendanceRecord(
                            enrollment_id=enrollment_pks[(obj.pk, member.worker)],
                            session_number=session,
                            present=session in present,
                        )
                        for session in range(1, obj.sessions_held + 1)
                    )
        _bulk(JobReferral, referrals)
        _bulk(Inspection, inspections)
        _bulk(AttendanceRecord, attendance)
        # auto_now stamps the seeding moment; the demo reads better with the classes' own times.
        TrainingClass.objects.filter(campaign=self.campaign).update(
            created_at=Coalesce(F("submitted_at"), Value(self.now)),
            updated_at=Coalesce(
                F("closed_at"), F("decided_at"), F("submitted_at"), Value(self.now)
            ),
        )

        statuses = dict.fromkeys(TrainingClass.Status.values, 0)
        for plan in self.plans:
            statuses[plan.obj.status] += 1
        outcomes = dict.fromkeys(JobReferral.Outcome.values, 0)
        for referral in referrals:
            outcomes[referral.outcome] += 1
        self.counts.update(
            {
                "classes": len(self.plans),
                **{f"classes_{status}": count for status, count in statuses.items()},
                "enrollments": len(enrollments),
                "subsidised": sum(1 for e in enrollments if e.subsidised),
                "attendance_records": len(attendance),
                "inspections": len(inspections),
                "inspections_done": sum(1 for i in inspections if i.done_at),
                "referrals": len(referrals),
                **{f"referrals_{outcome}": count for outcome, count in outcomes.items()},
            }
        )

    def _referral(self, obj: TrainingClass, enrollment_id: int, member: _Member) -> JobReferral:
        rng = self.rng
        referred = min(obj.end_date + datetime.timedelta(days=rng.randint(3, 20)), self.today)
        outcome = member.outcome
        if outcome == JobReferral.Outcome.NOT_EMPLOYED and (self.today - referred).days < 30:
            outcome = JobReferral.Outcome.PENDING  # too recent to know
        if outcome == JobReferral.Outcome.SELF_EMPLOYED:
            employer, post = "自主创业", f"{obj.occupation.name}（个体经营）"
        else:
            employer = obj.order.enterprise if obj.order else rng.choice(EMPLOYERS)
            post = obj.occupation.name
        decided = outcome != JobReferral.Outcome.PENDING
        return JobReferral(
            enrollment_id=enrollment_id,
            employer=employer,
            post=post[:64],
            referred_on=referred,
            outcome=outcome,
            outcome_on=min(referred + datetime.timedelta(days=rng.randint(7, 40)), self.today)
            if decided
            else None,
        )

    def _inspections(self, plan: _ClassPlan, minimum: int) -> list[Inspection]:
        """The campaign's minimum of spot checks on the days the approval service would draw
        from the class's seed (so an audit reproduces them); those before today are done (all
        of them for a class that has ended)."""
        rng = self.rng
        obj = plan.obj
        days = (obj.end_date - obj.start_date).days + 1
        roster = len(plan.members)
        rows = []
        for day in inspection_days(obj.inspection_seed, obj.start_date, obj.end_date, minimum):
            offset = (day - obj.start_date).days
            inspection = Inspection(training_class_id=obj.pk, planned_date=day)
            if self.inspectors and (day < self.today or rng.random() < 0.6):
                inspection.inspector = rng.choice(self.inspectors)
            if day < self.today and inspection.inspector is not None:
                weak = obj.institution.name in (REVOKED, *WARNED)
                roll = rng.random()
                if weak and roll < 0.4:
                    verdict = (
                        Inspection.Verdict.SERIOUS if roll < 0.1 else Inspection.Verdict.ISSUES
                    )
                else:
                    verdict = Inspection.Verdict.ISSUES if roll < 0.1 else Inspection.Verdict.GOOD
                missing = rng.randint(0, max(1, roster // 10))
                if verdict != Inspection.Verdict.GOOD:
                    missing = rng.randint(roster // 5, max(roster // 5, roster // 2))
                session = max(1, obj.planned_sessions * (offset + 1) // days)
                inspection.done_at = _at(day, rng.randint(8, 16), rng.randint(0, 59))
                inspection.teaching_progress = f"第{session}次课（共{obj.planned_sessions}次）"
                inspection.content = rng.choice(("理论讲授", "实际操作训练", "安全规范讲解"))
                inspection.teacher_present = verdict != Inspection.Verdict.SERIOUS
                inspection.students_on_roster = roster
                inspection.students_present = max(0, roster - missing)
                inspection.verdict = verdict
                if verdict != Inspection.Verdict.GOOD:
                    inspection.findings = rng.choice(FINDINGS)
            rows.append(inspection)
        return rows


@transaction.atomic
def seed_delivery(
    *, campaign: Campaign, scale: int, rng: random.Random, log: Callable[[str], None]
) -> None:
    """Institutions, registration points, "三定" orders, workers, classes in every state with
    enrollments, attendance, results, inspections and job referrals — consistent with the
    seeded monthly returns (see the note above ``BATCH_SIZE``).

    Workers are WORKERS_PER_SCALE × ``scale``. Safe to run twice: does nothing when the campaign
    already has classes. Writes one ``demo.seed_delivery`` audit row with the counts."""
    if TrainingClass.objects.filter(campaign=campaign).exists():
        log("培训实施：已有培训班数据，跳过")
        return
    started = time.monotonic()
    seeder = _DeliverySeeder(campaign=campaign, scale=scale, rng=rng)
    seeder.institutions()
    seeder.points()
    seeder.orders()
    log(
        "培训实施：培训机构 {institutions} 家（培训项目 {programmes} 个），"
        "报名点 {registration_points} 个，“三定”订单 {orders} 个".format(**seeder.counts)
    )
    seeder.plan_cells()
    seeder.plan_classes()
    seeder.workers()
    log("培训实施：劳动者 {workers} 人".format(**seeder.counts))
    seeder.assign_members()
    seeder.save()
    counts = seeder.counts
    audit_record(
        actor=None,
        action="demo.seed_delivery",
        obj=campaign,
        changes={
            "delivery": counts,
            "tracked_departments": seeder.tracked_codes,
            "deliberate_gaps": seeder.gaps,
        },
    )
    log(
        "培训实施：培训班 {classes} 个（草稿 {classes_draft}，待审批 {classes_submitted}，"
        "已批准 {classes_approved}，未批准 {classes_refused}，已结业 {classes_closed}）；"
        "学员 {enrollments} 人次（享受补贴 {subsidised}），抽查 {inspections} 次"
        "（已完成 {inspections_done}），就业推荐 {referrals} 条".format(**counts)
    )
    log(
        f"培训实施：{len(seeder.tracked)} 个责任单位的月报有完整台账支持，"
        f"另设 {len(seeder.gaps)} 处差异供核查演示；用时 {time.monotonic() - started:.1f} 秒"
    )


SEEDERS: list[Callable] = [seed_returns, seed_delivery]

# Teachers, enterprise education funds, job fairs and the supply–demand analysis.
from training.demo_labour import LATE_SEEDERS  # noqa: E402, F401 - run by dashboard.demo
from training.demo_labour import SEEDERS as LABOUR_SEEDERS  # noqa: E402

SEEDERS += LABOUR_SEEDERS

from training.demo_ledger import seed_ledger  # noqa: E402

SEEDERS.append(seed_ledger)
