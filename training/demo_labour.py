"""Demo data for teachers, enterprise education funds, job fairs, skill demand and the
supply–demand analysis, up to the demo's "today".

Rows are written in bulk, not through the services (like ``training.demo``); the rates, the
collection share and the goal come from the loaded plan, and the derived amounts are computed with
the same function the service uses (``fund_due``). One audit row per seeder records the counts.
Each seeder is safe to run twice: it does nothing when its data already exists.
"""

import datetime
import random
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from core import clock
from core.models import County, Department
from core.roles import Role
from core.services import audit_record
from training.models import (
    Campaign,
    ClassTeacher,
    EducationFundReturn,
    EducationFundRule,
    Enterprise,
    Institution,
    JobFair,
    Occupation,
    SkillDemand,
    SupplyDemandReport,
    SupplyDemandRow,
    Teacher,
    TeacherTraining,
    TrainingClass,
)
from training.models.enterprise_funds import CENT, credit_code_check_char, fund_due
from training.services.labour_market import month_end, month_start, supply_demand_figures

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "建国红梅志强秀英海涛丽娟文静国庆春花明辉晓燕俊杰玉兰永刚桂芳学军淑珍立新"
SPECIALTIES = (
    "数控加工",
    "电工电子",
    "汽车维修",
    "发制品加工",
    "园林绿化",
    "中式烹调",
    "计算机应用",
)
COURSES = (
    ("数控技术骨干教师研修班", "河南省职业技术教育教学研究室"),
    ("一体化课程教学改革培训", "天津职业技术师范大学"),
    ("汽车维修技术师资培训", "许昌职业技术学院"),
    ("电工电子实训教学研修", "郑州铁路职业技术学院"),
)
FIRMS = (
    "许继集团有限公司",
    "瑞贝卡发制品股份有限公司",
    "河南森源电气股份有限公司",
    "河南黄河旋风股份有限公司",
    "许昌远东传动轴股份有限公司",
    "河南众品食业股份有限公司",
    "青山金汇不锈钢有限公司",
    "许昌烟草机械有限责任公司",
    "河南发恩德矿业有限公司",
    "长葛市金刚石工具有限公司",
    "鄢陵县花木园林有限公司",
    "禹州钧瓷文化有限公司",
)
FAIR_PLACES = ("许昌市人力资源市场", "魏都区人力资源市场", "长葛市人力资源市场", "禹州市体育馆")
FAIR_KINDS = ("春风行动专场招聘会", "民营企业招聘周", "高校毕业生专场招聘会", "技能人才专场招聘会")

BASE_TEACHERS = 10
BASE_ENTERPRISES = 40


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))


def _credit_code(n: int) -> str:
    first17 = f"91411000MA{n:07d}"
    return first17 + credit_code_check_char(first17)


@transaction.atomic
def seed_teachers(
    *, campaign: Campaign, scale: int, rng: random.Random, log: Callable[[str], None]
) -> None:
    """Teachers of every institution (about 10 × ``scale`` each, some institutions above the
    40% goal and some below), further-training records and the teachers named on classes."""
    if Teacher.objects.exists():
        log("师资队伍：已有数据，跳过")
        return
    today = clock.today()
    institutions = list(Institution.objects.order_by("name"))
    teachers = []
    for institution in institutions:
        # Each institution gets its own mix, so that the panel shows some below the goal.
        bachelor_odds = rng.uniform(0.25, 0.6)
        for _ in range(rng.randint(BASE_TEACHERS - 4, BASE_TEACHERS + 6) * scale):
            roll = rng.random()
            education = (
                rng.choice((Teacher.Education.POSTGRADUATE, Teacher.Education.BACHELOR))
                if roll < bachelor_odds
                else rng.choice((Teacher.Education.COLLEGE, Teacher.Education.SECONDARY))
            )
            honours = []
            if rng.random() < 0.12:
                honours = sorted(
                    rng.sample(
                        [
                            Teacher.Honour.CHIEF_TECHNICIAN,
                            Teacher.Honour.CHIEF_EMPLOYEE,
                            Teacher.Honour.TECHNICAL_EXPERT,
                        ],
                        rng.randint(1, 2),
                    )
                )
            teachers.append(
                Teacher(
                    institution=institution,
                    name=_name(rng),
                    education=education,
                    title=rng.choice(Teacher.Title.values),
                    specialty=rng.choice(SPECIALTIES),
                    honours=[str(h) for h in honours],
                    employment=Teacher.Employment.PART_TIME
                    if honours or rng.random() < 0.3
                    else Teacher.Employment.FULL_TIME,
                    is_active=rng.random() > 0.05,
                )
            )
    teachers = Teacher.objects.bulk_create(teachers)
    trainings = []
    for teacher in rng.sample(teachers, len(teachers) // 5):
        course, provider = rng.choice(COURSES)
        start = today - datetime.timedelta(days=rng.randint(30, 500))
        trainings.append(
            TeacherTraining(
                teacher=teacher,
                course=course,
                provider=provider,
                start_date=start,
                end_date=start + datetime.timedelta(days=rng.randint(5, 30)),
                hours=rng.choice((40, 60, 80, 120)),
                certificate="结业证书" if rng.random() < 0.8 else "",
            )
        )
    TeacherTraining.objects.bulk_create(trainings)
    by_institution: dict[int, list[Teacher]] = {}
    for teacher in teachers:
        if teacher.is_active:
            by_institution.setdefault(teacher.institution_id, []).append(teacher)
    links = []
    classes = TrainingClass.objects.filter(campaign=campaign).values_list("pk", "institution_id")
    for class_id, institution_id in classes.iterator():
        staff = by_institution.get(institution_id)
        if staff:
            for teacher in rng.sample(staff, min(len(staff), rng.randint(1, 3))):
                links.append(ClassTeacher(training_class_id=class_id, teacher=teacher))
    ClassTeacher.objects.bulk_create(links, batch_size=2000)
    counts = {"teachers": len(teachers), "trainings": len(trainings), "class_links": len(links)}
    audit_record(actor=None, action="demo.seed_teachers", obj=campaign, changes=counts)
    log(
        "师资队伍：教师 {teachers} 人，进修 {trainings} 条，任课安排 {class_links} 条".format(
            **counts
        )
    )


@transaction.atomic
def seed_funds(
    *, campaign: Campaign, scale: int, rng: random.Random, log: Callable[[str], None]
) -> None:
    """About 40 × ``scale`` enterprises (most above scale) with their returns for every full
    year of the campaign before today: most set aside a rate in the plan's range and trained;
    some did no training (and owe), some set nothing aside."""
    if Enterprise.objects.exists():
        log("职工教育经费：已有数据，跳过")
        return
    rule = EducationFundRule.objects.filter(campaign=campaign).first()
    if rule is None:
        log("职工教育经费：尚未载入规则，跳过")
        return
    counties = list(County.objects.order_by("sort_order"))
    gxj = Department.objects.filter(code="gxj").first()
    enterprises = []
    for n in range(BASE_ENTERPRISES * scale):
        name = FIRMS[n] if n < len(FIRMS) else f"许昌{_name(rng)}实业有限公司{n}"
        enterprises.append(
            Enterprise(
                name=name,
                credit_code=_credit_code(n + 1),
                county=rng.choice(counties) if counties else None,
                department=gxj,
                above_scale=n < len(FIRMS) or rng.random() < 0.7,
            )
        )
    enterprises = Enterprise.objects.bulk_create(enterprises)
    today = clock.today()
    years = [
        y for y in range(campaign.start_date.year, campaign.end_date.year + 1) if y < today.year
    ]
    steps = int((rule.max_rate - rule.min_rate) / Decimal("0.001"))
    returns = []
    for enterprise in enterprises:
        payroll_base = Decimal(rng.randint(2_000, 300_000)) * 100
        for year in years:
            payroll = (payroll_base * Decimal(str(rng.uniform(0.95, 1.1)))).quantize(CENT)
            roll = rng.random()
            rate = None if roll < 0.1 else rule.min_rate + Decimal("0.001") * rng.randint(0, steps)
            did_training = roll >= 0.25
            set_aside = (
                (payroll * rate).quantize(CENT, rounding=ROUND_HALF_UP) if rate else Decimal(0)
            )
            spent = (
                (set_aside * Decimal(str(rng.uniform(0.5, 1.0)))).quantize(CENT)
                if did_training
                else Decimal("0.00")
            )
            returns.append(
                EducationFundReturn(
                    enterprise=enterprise,
                    campaign=campaign,
                    year=year,
                    payroll=payroll,
                    rate=rate,
                    set_aside=set_aside,
                    spent_on_training=spent,
                    did_training=did_training,
                    should_set_aside=(payroll * rule.min_rate).quantize(
                        CENT, rounding=ROUND_HALF_UP
                    ),
                    due=fund_due(
                        payroll=payroll,
                        above_scale=enterprise.above_scale,
                        did_training=did_training,
                        min_rate=rule.min_rate,
                        collection_share=rule.collection_share,
                    ),
                    min_rate=rule.min_rate,
                    max_rate=rule.max_rate,
                    collection_share=rule.collection_share,
                    above_scale=enterprise.above_scale,
                )
            )
    EducationFundReturn.objects.bulk_create(returns)
    owing = sum(1 for r in returns if r.due > 0)
    counts = {"enterprises": len(enterprises), "returns": len(returns), "owing": owing}
    audit_record(actor=None, action="demo.seed_funds", obj=campaign, changes=counts)
    log(
        "职工教育经费：企业 {enterprises} 家，年度申报 {returns} 条（应征收 {owing} 条）".format(
            **counts
        )
    )


def _months(start: datetime.date, end: datetime.date):
    month = month_start(start)
    while month <= end:
        yield month
        month = month_end(month) + datetime.timedelta(days=1)


@transaction.atomic
def seed_labour_market(
    *, campaign: Campaign, scale: int, rng: random.Random, log: Callable[[str], None]
) -> None:
    """Job fairs (about two a month from the campaign's reporting start to today, most by 人社,
    some by other units), the demand registered at each, quarterly survey demand, and one
    published supply–demand report for the last full half-year before today."""
    if JobFair.objects.filter(campaign=campaign).exists():
        log("招聘会与供需分析：已有数据，跳过")
        return
    users = get_user_model().objects
    # The demo office account (core.demo), or any office user when the roles are synced.
    recorder = (
        users.filter(username="office").first()
        or users.filter(groups__name=Role.OFFICE.value).first()
    )
    if recorder is None:
        log("招聘会与供需分析：没有领导小组办公室账号，跳过")
        return
    today = clock.today()
    departments = {d.code: d for d in Department.objects.filter(code__in=("rsj", "gxj", "flh"))}
    counties = list(County.objects.order_by("sort_order"))
    occupations = list(Occupation.objects.order_by("code"))
    # Demand leans to the shortage occupations, as the plan expects.
    weights = [4 if o.is_shortage else 1 for o in occupations]
    fairs, demands = [], []
    for month in _months(campaign.reporting_start, today):
        for _ in range(rng.randint(1, 3) * scale):
            day = month + datetime.timedelta(days=rng.randint(0, 27))
            if day > today:
                continue
            organiser = departments.get("rsj") if rng.random() < 0.7 else None
            organiser = organiser or rng.choice(list(departments.values()))
            posts = rng.randint(800, 6000)
            attendees = rng.randint(1500, 12000)
            fair = JobFair(
                campaign=campaign,
                name=f"{day.year}年{day.month}月{rng.choice(FAIR_KINDS)}",
                held_on=day,
                place=rng.choice(FAIR_PLACES),
                organiser=organiser,
                county=rng.choice(counties) if counties and rng.random() < 0.4 else None,
                employers=rng.randint(40, 260),
                posts_offered=posts,
                attendees=attendees,
                hires=rng.randint(0, min(posts, attendees) // 3),
            )
            fairs.append(fair)
    fairs = JobFair.objects.bulk_create(fairs)
    for fair in fairs:
        for occupation in rng.choices(occupations, weights=weights, k=rng.randint(4, 10)):
            demands.append(
                SkillDemand(
                    campaign=campaign,
                    source=SkillDemand.Source.JOB_FAIR,
                    job_fair=fair,
                    employer=rng.choice(FIRMS),
                    occupation=occupation,
                    level=rng.choice((0, 0, 3, 4, 5, 2)),
                    count=rng.randint(5, 120),
                    month=month_start(fair.held_on),
                    recorded_by=recorder,
                )
            )
    for month in _months(campaign.reporting_start, today):
        if month.month % 3:
            continue
        for occupation in rng.choices(occupations, weights=weights, k=8):
            demands.append(
                SkillDemand(
                    campaign=campaign,
                    source=SkillDemand.Source.SURVEY,
                    employer=rng.choice(FIRMS),
                    occupation=occupation,
                    level=rng.choice((0, 3, 4)),
                    count=rng.randint(10, 300),
                    month=month,
                    recorded_by=recorder,
                )
            )
    SkillDemand.objects.bulk_create(demands, batch_size=2000)
    report = _publish_half_year(campaign=campaign, today=today, recorder=recorder)
    counts = {
        "fairs": len(fairs),
        "demands": len(demands),
        "report_rows": report.rows.count() if report else 0,
    }
    audit_record(actor=None, action="demo.seed_labour_market", obj=campaign, changes=counts)
    log(
        "招聘会与供需分析：招聘会 {fairs} 场，用工需求 {demands} 条，"
        "已发布供需分析 {report_rows} 个职业".format(**counts)
    )


def _publish_half_year(*, campaign, today, recorder) -> SupplyDemandReport | None:
    """The last full half-year before today, computed and published (certificates count as far
    as the appraisal demo has issued them when this runs)."""
    end = month_start(today) - datetime.timedelta(days=1)
    start = month_start(end.replace(month=1 if end.month <= 6 else 7))
    if start < campaign.start_date:
        return None
    now = clock.now()
    report = SupplyDemandReport.objects.create(
        campaign=campaign,
        title=f"{start.year}年{start.month}月至{end.year}年{end.month}月技能人才供需分析",
        period_start=start,
        period_end=end,
        status=SupplyDemandReport.Status.PUBLISHED,
        summary="急需紧缺职业（数控、电工、汽车维修、养老护理等）需求明显大于持证供给，"
        "请各技工院校和培训机构据此调整下阶段培训计划。",
        computed_at=now,
        computed_by=recorder,
        published_at=now,
        published_by=recorder,
    )
    SupplyDemandRow.objects.bulk_create(
        SupplyDemandRow(report=report, **row)
        for row in supply_demand_figures(campaign=campaign, start=start, end=end)
    )
    return report


SEEDERS: list[Callable] = [seed_teachers, seed_funds]
# The supply–demand report counts certificates, which the appraisal's seeders write.
LATE_SEEDERS: list[Callable] = [seed_labour_market]
