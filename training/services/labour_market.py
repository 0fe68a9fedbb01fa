"""Writes of the labour-market area: job fairs (招聘会), the skill demand collected at them or by
surveys (用工调查), and the periodic supply–demand analysis (技能人才需求供给分析预测).

The analysis is computed as a draft (recomputed as often as the office likes) and then published;
a published report is a snapshot and is never recomputed or changed. Every function checks
permission first, runs in one transaction and writes one audit row.
"""

import calendar
import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core import clock
from core.errors import RuleViolation
from core.models import Department, User
from core.services import audit_record
from training.labour_supply import supply_by_occupation
from training.models import (
    Campaign,
    Enrollment,
    JobFair,
    Occupation,
    SkillDemand,
    SupplyDemandReport,
    SupplyDemandRow,
    TrainingClass,
)
from training.permissions import labour_market as perms

FAIR_FIELDS = (
    "name",
    "held_on",
    "place",
    "organiser",
    "county",
    "employers",
    "posts_offered",
    "attendees",
    "hires",
)
DEMAND_FIELDS = ("employer", "occupation", "level", "count", "month")


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _audit_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


# ------------------------------------------------------------------------------
# Job fairs and demand
# ------------------------------------------------------------------------------


@transaction.atomic
def job_fair_create(*, campaign: Campaign, data: Mapping[str, Any], actor: User) -> JobFair:
    """Record a job fair held. The office records any; a clerk only a fair their own department
    organised (PermissionDenied otherwise). Hires cannot exceed attendees or posts offered, and
    the date cannot be in the future (ValidationError). Writes ``job_fair.create``."""
    unknown = set(data) - set(FAIR_FIELDS)
    if unknown:
        raise ValueError(f"fields that cannot be set here: {sorted(unknown)}")
    organiser: Department | None = data.get("organiser")
    if organiser is None or not perms.can_record_fair(actor, organiser):
        raise PermissionDenied
    fair = JobFair(campaign=campaign, **data)
    errors = {}
    if fair.hires is not None and fair.attendees is not None and fair.hires > fair.attendees:
        errors["hires"] = _("达成就业意向人数不能大于入场求职人数")
    elif (
        fair.hires is not None
        and fair.posts_offered is not None
        and (fair.hires > fair.posts_offered)
    ):
        errors["hires"] = _("达成就业意向人数不能大于提供岗位数")
    if fair.held_on and fair.held_on > clock.today():
        errors["held_on"] = _("举办日期不能晚于今天（请在招聘会举办后录入）")
    if errors:
        raise ValidationError(errors)
    fair.full_clean()
    fair.save()
    audit_record(
        actor=actor,
        action="job_fair.create",
        obj=fair,
        changes={name: _audit_value(getattr(fair, name)) for name in FAIR_FIELDS},
    )
    return fair


@transaction.atomic
def skill_demand_add(
    *,
    campaign: Campaign,
    data: Mapping[str, Any],
    actor: User,
    job_fair: JobFair | None = None,
) -> SkillDemand:
    """Record an employer's demand for a skill. With ``job_fair``: demand collected at that fair
    (its month; who may record the fair may record its demand). Without: survey demand (用工调查)
    for ``data["month"]`` (normalised to the month's first day), by the office only.
    Writes ``skill_demand.add``."""
    unknown = set(data) - set(DEMAND_FIELDS)
    if unknown:
        raise ValueError(f"fields that cannot be set here: {sorted(unknown)}")
    values = dict(data)
    if job_fair is not None:
        if not perms.can_record_fair(actor, job_fair.organiser):
            raise PermissionDenied
        values["month"] = month_start(job_fair.held_on)
        source = SkillDemand.Source.JOB_FAIR
    else:
        if not perms.can_record_survey(actor):
            raise PermissionDenied
        if not values.get("month"):
            raise ValidationError({"month": _("请填写需求月份")})
        values["month"] = month_start(values["month"])
        source = SkillDemand.Source.SURVEY
    values["employer"] = (values.get("employer") or "").strip()
    demand = SkillDemand(
        campaign=campaign, source=source, job_fair=job_fair, recorded_by=actor, **values
    )
    if demand.count is not None and demand.count <= 0:
        raise ValidationError({"count": _("需求人数应大于0")})
    demand.full_clean()
    demand.save()
    audit_record(
        actor=actor,
        action="skill_demand.add",
        obj=demand,
        changes={
            "source": source,
            "job_fair": job_fair.pk if job_fair else None,
            **{name: _audit_value(getattr(demand, name)) for name in DEMAND_FIELDS},
        },
    )
    return demand


# ------------------------------------------------------------------------------
# The supply–demand analysis
# ------------------------------------------------------------------------------


def supply_demand_figures(
    *, campaign: Campaign, start: datetime.date, end: datetime.date
) -> list[dict[str, Any]]:
    """The analysis rows for a period, without saving anything (three queries plus the
    certified-supply provider's).

    - trained supply: enrollments PASSED (培训合格) in classes of the occupation that closed
      (结业) with an end date in the period;
    - certified supply: certificates of the occupation issued in the period (from appraisal,
      through ``training.labour_supply``);
    - demand: skill demand recorded for months in the period (fairs and surveys);
    - gap = demand − certified supply (a shortage when positive): a certificate is what the plan
      asks a worker to hold for a skilled post (凭证书上岗).
    Rows for occupations with any figure, the largest gap first.
    """
    trained = dict(
        Enrollment.objects.filter(
            campaign=campaign,
            result=Enrollment.Result.PASSED,
            training_class__status=TrainingClass.Status.CLOSED,
            training_class__end_date__gte=start,
            training_class__end_date__lte=end,
        )
        .values("training_class__occupation")
        .annotate(n=Count("id"))
        .values_list("training_class__occupation", "n")
    )
    certified = supply_by_occupation("certified", start=start, end=end)
    demand = dict(
        SkillDemand.objects.filter(campaign=campaign, month__gte=start, month__lte=end)
        .values("occupation")
        .annotate(n=Sum("count"))
        .values_list("occupation", "n")
    )
    ids = {pk for pk, n in (*trained.items(), *certified.items(), *demand.items()) if n}
    occupations = Occupation.objects.filter(pk__in=ids).only("code", "name")
    rows = []
    for occupation in occupations:
        row = {
            "occupation": occupation,
            "occupation_code": occupation.code,
            "occupation_name": occupation.name,
            "trained": trained.get(occupation.pk, 0),
            "certified": certified.get(occupation.pk, 0),
            "demand": demand.get(occupation.pk, 0),
        }
        row["gap"] = row["demand"] - row["certified"]
        rows.append(row)
    rows.sort(key=lambda r: (-r["gap"], r["occupation_code"]))
    return rows


@transaction.atomic
def report_compute(
    *,
    campaign: Campaign,
    period_start: datetime.date,
    period_end: datetime.date,
    title: str,
    actor: User,
) -> SupplyDemandReport:
    """Compute (or recompute) the draft analysis for the whole months from ``period_start``'s to
    ``period_end``'s. A period already published raises RuleViolation: published reports never
    change. The report row is locked while its rows are replaced, and the unique period
    constraint settles two first computations at once. Writes ``supply_report.compute``."""
    if not perms.can_compute_report(actor):
        raise PermissionDenied
    start, end = month_start(period_start), month_end(period_end)
    if end < start:
        raise ValidationError({"period_end": _("截止月份不能早于起始月份")})
    if start > clock.today():
        raise ValidationError({"period_start": _("起始月份不能晚于本月")})
    title = (title or "").strip() or _("%(start)s至%(end)s技能人才供需分析") % {
        "start": f"{start:%Y年%m月}",
        "end": f"{end:%Y年%m月}",
    }
    now = clock.now()
    report = (
        SupplyDemandReport.objects.select_for_update()
        .filter(campaign=campaign, period_start=start, period_end=end)
        .first()
    )
    if report is None:
        try:
            with transaction.atomic():
                report = SupplyDemandReport.objects.create(
                    campaign=campaign,
                    title=title,
                    period_start=start,
                    period_end=end,
                    computed_at=now,
                    computed_by=actor,
                )
        except IntegrityError:
            report = SupplyDemandReport.objects.select_for_update().get(
                campaign=campaign, period_start=start, period_end=end
            )
    if report.status == SupplyDemandReport.Status.PUBLISHED:
        raise RuleViolation(
            _("该期间的供需分析报告已于%s发布，不能重新计算")
            % f"{timezone.localtime(report.published_at):%Y-%m-%d}",
            code="published",
        )
    figures = supply_demand_figures(campaign=campaign, start=start, end=end)
    report.rows.all().delete()
    SupplyDemandRow.objects.bulk_create(SupplyDemandRow(report=report, **row) for row in figures)
    report.title = title
    report.computed_at = now
    report.computed_by = actor
    report.save(update_fields=["title", "computed_at", "computed_by", "updated_at"])
    audit_record(
        actor=actor,
        action="supply_report.compute",
        obj=report,
        changes={
            "period": [start.isoformat(), end.isoformat()],
            "rows": len(figures),
            "demand": sum(r["demand"] for r in figures),
            "certified": sum(r["certified"] for r in figures),
            "trained": sum(r["trained"] for r in figures),
        },
    )
    return report


@transaction.atomic
def report_publish(*, report: SupplyDemandReport, summary: str, actor: User) -> SupplyDemandReport:
    """Publish a draft with the office's analysis text (分析意见, required). From then on the
    report is read by clerks, reviewers, institutions and the auditor and never changes.
    Raises RuleViolation when it is already published. Writes ``supply_report.publish``."""
    if not perms.can_compute_report(actor):
        raise PermissionDenied
    report = SupplyDemandReport.objects.select_for_update().get(pk=report.pk)
    target = SupplyDemandReport.Status.PUBLISHED
    if target not in SupplyDemandReport.TRANSITIONS[report.status]:
        raise RuleViolation(_("报告已发布，不能重复发布"), code="published")
    text = (summary or "").strip()
    if not text:
        raise ValidationError({"summary": _("请填写分析意见（发布后供各单位参考）")})
    previous = report.status
    report.status = target
    report.summary = text
    report.published_at = clock.now()
    report.published_by = actor
    report.save(update_fields=["status", "summary", "published_at", "published_by", "updated_at"])
    audit_record(
        actor=actor,
        action="supply_report.publish",
        obj=report,
        from_state=previous,
        to_state=target,
        changes={"rows": report.rows.count()},
    )
    return report


def register_extensions() -> None:
    """For teachers, enterprise education funds and the labour market: the plan sections
    ``teacher_goals`` and ``education_fund`` for ``load_plan``, and three home-page panels
    (teacher share vs goal, education funds due, the latest report's largest shortages).
    Called from ``TrainingConfig.ready``."""
    from core.roles import Role
    from dashboard.panels import register_panel
    from training.selectors import enterprise_funds as fund_selectors
    from training.selectors import labour_market as labour_selectors
    from training.selectors import teachers as teacher_selectors
    from training.services.enterprise_funds import load_education_fund
    from training.services.plan import register_plan_section
    from training.services.teachers import load_teacher_goals

    register_plan_section("teacher_goals", load_teacher_goals)
    register_plan_section("education_fund", load_education_fund)
    register_panel(
        "teachers",
        title=_("师资队伍 · 本科及以上学历占比"),
        template="training/teachers/_home_panel.html",
        roles={Role.OFFICE, Role.AUDITOR, Role.REVIEWER},
        context=teacher_selectors.home_panel,
        order=50,
    )
    register_panel(
        "education_funds",
        title=_("职工教育经费 · 应征收"),
        template="training/enterprise_funds/_home_panel.html",
        roles={Role.OFFICE, Role.AUDITOR, Role.FINANCE},
        context=fund_selectors.home_panel,
        order=55,
    )
    register_panel(
        "supply_demand",
        title=_("技能人才供需分析 · 最大缺口"),
        template="training/labour_market/_home_panel.html",
        roles={Role.OFFICE, Role.AUDITOR, Role.CLERK},
        context=labour_selectors.home_panel,
        order=60,
    )
