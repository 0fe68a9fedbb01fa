"""Whether a worker may claim a subsidy, explained rule by rule in plain Chinese.

Every rule is evaluated (none stops the others), each with the record it rests on, so a worker
who is refused sees every reason at once. ``claim_submit`` re-runs this under a lock on the worker
row; the database's unique constraints are the final word.

Rules by kind:

* 培训补贴 (training): 人员类别, 培训完成, 到课率, 合格, 证书, 未享受过, 无在办申请,
  申领期, 补贴标准, and 委托代领 when an institution claims on the worker's behalf.
* 一次性鉴定补贴 (appraisal): 证书, 未享受过, 无在办申请, 申领期, 补贴标准.
* 急需紧缺高技能人才培训补贴 (shortage): 急需紧缺职业, 等级, 证书, 培训机构, 未享受过,
  无在办申请, 申领期, 补贴标准.

"Subsidised" means a claim approved or beyond (公示中, 待拨付, 拨付中, 已发放, 拨付失败);
"open" means a claim not yet decided (已提交, 审核中, 退回补正). Both count against the same
database constraint.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from core import clock
from subsidies.models import Entrustment, Kind, SubsidyClaim, SubsidyStandard
from subsidies.services.standards import standard_for, window_open
from training.models import Campaign, Enrollment, Institution, TrainingClass

PENDING_STATUSES = ("submitted", "under_review", "returned")
SUBSIDISED_STATUSES = ("in_notice", "ready", "in_payment", "paid", "failed")
# Certificates that prove a training (the plan: 职业资格证书、专项能力证书、创业培训合格证书).
SHORTAGE_LEVELS = (1, 2)


@dataclass(frozen=True)
class Rule:
    code: str
    passed: bool
    title: str
    explanation: str
    evidence: str = ""


@dataclass
class Eligibility:
    kind: str
    worker: object
    campaign: Campaign | None
    enrollment: Enrollment | None = None
    certificate: object | None = None
    institution: Institution | None = None
    rules: list[Rule] = field(default_factory=list)
    standard: SubsidyStandard | None = None
    entrustment: Entrustment | None = None
    live_claim: SubsidyClaim | None = None

    @property
    def eligible(self) -> bool:
        return bool(self.rules) and all(rule.passed for rule in self.rules)

    @property
    def failed(self) -> list[Rule]:
        return [rule for rule in self.rules if not rule.passed]

    @property
    def amount(self) -> Decimal | None:
        return self.standard.amount if self.standard else None

    def refusal(self) -> str:
        """One sentence naming every failed rule, for a RuleViolation."""
        return "不符合申领条件：" + "；".join(
            f"{rule.title}—{rule.explanation}" for rule in self.failed
        )


def _percent(value: Decimal) -> str:
    return f"{(value * 100).quantize(Decimal('0.1'))}%"


def _group_rule(worker) -> Rule:
    groups = list(worker.groups.all())
    eligible = [g.name for g in groups if g.subsidy_eligible]
    names = "、".join(g.name for g in groups) or "未登记人员类别"
    if eligible:
        return Rule(
            "group",
            True,
            "人员类别",
            f"属于可申领培训补贴的人员类别：{'、'.join(eligible)}",
            f"人力资源信息库登记的人员类别：{names}",
        )
    from training.models import PopulationGroup

    allowed = "、".join(
        PopulationGroup.objects.filter(subsidy_eligible=True).values_list("name", flat=True)
    )
    return Rule(
        "group",
        False,
        "人员类别",
        f"不属于可申领培训补贴的人员类别（{allowed}）",
        f"人力资源信息库登记的人员类别：{names}",
    )


def _certificate_rule(worker, training_class: TrainingClass, certificates) -> tuple[Rule, object]:
    held = [c for c in certificates if c.occupation_id == training_class.occupation_id]
    # A certificate from this very class is the best evidence; otherwise any of the occupation.
    held.sort(key=lambda c: (c.training_class_id != training_class.pk, -c.issued_on.toordinal()))
    if held:
        cert = held[0]
        return (
            Rule(
                "certificate",
                True,
                "证书",
                f"持有{training_class.occupation.name}{cert.get_kind_display()}",
                f"证书编号 {cert.number}，{cert.get_level_display()}，发证日期 {cert.issued_on}",
            ),
            cert,
        )
    return (
        Rule(
            "certificate",
            False,
            "证书",
            f"未取得{training_class.occupation.name}的职业资格证书、专项能力证书或创业培训合格证书",
            "证书库中没有该职业（工种）的证书",
        ),
        None,
    )


def _claims_of(worker, campaign, kind: str, *, exclude_claim=None):
    qs = SubsidyClaim.objects.filter(
        worker=worker,
        kind=kind,
        status__in=(
            *PENDING_STATUSES,
            *SUBSIDISED_STATUSES,
        ),
    )
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    if exclude_claim is not None:
        qs = qs.exclude(pk=exclude_claim.pk)
    return list(qs.select_related("enrollment__training_class", "occupation"))


def _claim_label(claim: SubsidyClaim) -> str:
    if claim.enrollment_id:
        what = f"{claim.enrollment.training_class.code} {claim.enrollment.training_class.name}"
    else:
        what = claim.description()
    return f"{what}（申请编号 {claim.number}，{claim.get_status_display()}）"


def _history_rules(claims, *, same) -> tuple[Rule, Rule, SubsidyClaim | None]:
    """未享受过 and 无在办申请 from the worker's counting claims; ``same(claim)`` tells whether a
    claim is for the same thing as the one being checked."""
    subsidised = [c for c in claims if c.status in SUBSIDISED_STATUSES]
    pending = [c for c in claims if c.status in PENDING_STATUSES]
    if subsidised:
        c = subsidised[0]
        explanation = (
            "已享受过本项补贴"
            if same(c)
            else "本期专项活动中已享受过一次培训补贴（“一次免费培训”）"
        )
        history = Rule("not_subsidised", False, "未享受过", explanation, _claim_label(c))
    else:
        history = Rule("not_subsidised", True, "未享受过", "未享受过本项补贴", "无已审核通过的申请")
    if pending:
        c = pending[0]
        explanation = (
            "已申请，正在办理中" if same(c) else "已有另一项培训补贴申请正在办理，同期只能享受一次"
        )
        open_rule = Rule("no_open_claim", False, "无在办申请", explanation, _claim_label(c))
    else:
        open_rule = Rule("no_open_claim", True, "无在办申请", "没有正在办理的同类申请", "")
    live = (subsidised or pending or [None])[0]
    return history, open_rule, live


def _window_rule(campaign, kind: str, on: datetime.date) -> Rule:
    window = window_open(campaign=campaign, kind=kind, on=on) if campaign else None
    label = Kind(kind).label
    if window is not None:
        return Rule(
            "window",
            True,
            "申领期",
            f"在{label}申领期内",
            f"申领期 {window.opens_on} 至 {window.closes_on}，今天 {on}",
        )
    from subsidies.models import ClaimWindow

    upcoming = (
        ClaimWindow.objects.filter(campaign=campaign, kind=kind, opens_on__gt=on)
        .order_by("opens_on")
        .first()
        if campaign
        else None
    )
    evidence = f"今天 {on}"
    if upcoming is not None:
        evidence += f"；下一申领期 {upcoming.opens_on} 至 {upcoming.closes_on}"
    return Rule("window", False, "申领期", f"当前不在{label}申领期内", evidence)


def _standard_rule(standard, kind: str, on: datetime.date, what: str) -> Rule:
    if standard is not None:
        return Rule(
            "standard",
            True,
            "补贴标准",
            f"补贴标准 {standard.amount} 元/人",
            f"{standard.get_kind_display()}·{standard.key_label()}，"
            f"自{standard.effective_from}起执行（依据日期 {on}）",
        )
    return Rule(
        "standard",
        False,
        "补贴标准",
        f"{what}在{on}没有适用的{Kind(kind).label}标准，请咨询人社部门",
        f"依据日期 {on}",
    )


def _training(result: Eligibility, *, on, exclude_claim) -> None:
    enrollment = result.enrollment
    worker = result.worker
    klass = enrollment.training_class
    campaign = result.campaign
    rules = result.rules
    rules.append(_group_rule(worker))
    closed = klass.status == TrainingClass.Status.CLOSED
    rules.append(
        Rule(
            "completed",
            closed,
            "培训完成",
            "培训班已结业"
            if closed
            else f"培训班尚未结业（当前状态：{klass.get_status_display()}）",
            f"班级 {klass.code} {klass.name}，结业日期 {klass.end_date}",
        )
    )
    threshold = campaign.attendance_threshold
    attended, planned = enrollment.sessions_attended, klass.planned_sessions
    # Exact arithmetic, no division: attended / planned >= threshold.
    attendance_ok = planned > 0 and Decimal(attended) >= threshold * planned
    rate = Decimal(attended) / Decimal(planned) if planned else Decimal(0)
    rules.append(
        Rule(
            "attendance",
            attendance_ok,
            "到课率",
            f"到课率{'达到' if attendance_ok else '未达到'}要求（不低于{_percent(threshold)}）",
            f"出勤 {attended}/{planned} 课次 = {_percent(rate)}",
        )
    )
    passed = enrollment.result == Enrollment.Result.PASSED
    rules.append(
        Rule(
            "passed",
            passed,
            "合格",
            "结业考核合格" if passed else f"结业考核未合格（{enrollment.get_result_display()}）",
            f"班级 {klass.code} 结业考核结果：{enrollment.get_result_display()}",
        )
    )
    certificates = list(worker.certificates.all())
    cert_rule, cert = _certificate_rule(worker, klass, certificates)
    result.certificate = cert
    rules.append(cert_rule)
    claims = _claims_of(worker, campaign, Kind.TRAINING, exclude_claim=exclude_claim)
    history, open_rule, live = _history_rules(
        claims, same=lambda c: c.enrollment_id == enrollment.pk
    )
    result.live_claim = live
    rules.extend([history, open_rule])
    if result.institution is not None:
        entrustment = (
            Entrustment.objects.filter(enrollment=enrollment, status=Entrustment.Status.ACTIVE)
            .select_related("institution")
            .first()
        )
        ok = entrustment is not None and entrustment.institution_id == result.institution.pk
        result.entrustment = entrustment if ok else None
        if ok:
            rule = Rule(
                "entrusted",
                True,
                "委托代领",
                f"学员已委托{result.institution.name}代为申领",
                f"委托书签署日期 {entrustment.signed_on}",
            )
        else:
            rule = Rule(
                "entrusted",
                False,
                "委托代领",
                f"学员未委托{result.institution.name}代为申领",
                "没有有效的委托书",
            )
        rules.append(rule)
    rules.append(_window_rule(campaign, Kind.TRAINING, on))
    result.standard = standard_for(
        campaign=campaign,
        kind=Kind.TRAINING,
        on=klass.end_date,
        category_id=klass.category_id,
        occupation_id=klass.occupation_id,
        level=cert.level if cert else None,
        training_kind=klass.kind,
    )
    rules.append(_standard_rule(result.standard, Kind.TRAINING, klass.end_date, klass.occupation))


def _certificate_kinds(result: Eligibility, *, on, exclude_claim) -> None:
    cert = result.certificate
    worker = result.worker
    kind = result.kind
    rules = result.rules
    holds = cert.worker_id == worker.pk
    if kind == Kind.SHORTAGE:
        shortage = cert.occupation.is_shortage
        rules.append(
            Rule(
                "shortage_occupation",
                shortage,
                "急需紧缺职业",
                f"{cert.occupation.name}{'属于' if shortage else '不属于'}急需紧缺职业（工种）",
                "急需紧缺职业（工种）目录",
            )
        )
        high = cert.level in SHORTAGE_LEVELS
        rules.append(
            Rule(
                "level",
                high,
                "等级",
                "技师或高级技师"
                if high
                else f"等级为{cert.get_level_display()}，须为技师或高级技师",
                f"证书等级：{cert.get_level_display()}",
            )
        )
    rules.append(
        Rule(
            "certificate",
            holds,
            "证书",
            f"持有{cert.occupation.name}{cert.get_level_display()}{cert.get_kind_display()}"
            if holds
            else "证书不属于申请人",
            f"证书编号 {cert.number}，发证日期 {cert.issued_on}",
        )
    )
    if kind == Kind.SHORTAGE:
        inst = result.institution
        trained = None
        if inst is not None:
            trained = (
                Enrollment.objects.filter(
                    worker=worker,
                    training_class__institution=inst,
                    training_class__occupation_id=cert.occupation_id,
                    training_class__status=TrainingClass.Status.CLOSED,
                )
                .select_related("training_class")
                .first()
            )
        result.enrollment = trained
        rules.append(
            Rule(
                "trained_by",
                trained is not None,
                "培训机构",
                f"由{inst.name}培训" if trained else "须由培养该学员的培训机构申领",
                f"班级 {trained.training_class.code}"
                if trained
                else "没有该机构该职业已结业的培训记录",
            )
        )
    claims = [
        c
        for c in _claims_of(worker, None, kind, exclude_claim=exclude_claim)
        if c.occupation_id == cert.occupation_id and c.level == cert.level
    ]
    history, open_rule, live = _history_rules(claims, same=lambda c: True)
    result.live_claim = live
    rules.extend([history, open_rule])
    rules.append(_window_rule(result.campaign, kind, on))
    result.standard = (
        standard_for(
            campaign=result.campaign,
            kind=kind,
            on=cert.issued_on,
            occupation_id=cert.occupation_id,
            level=cert.level,
        )
        if result.campaign
        else None
    )
    rules.append(_standard_rule(result.standard, kind, cert.issued_on, cert.occupation))


def eligibility_check(
    *,
    worker,
    kind: str,
    enrollment: Enrollment | None = None,
    certificate=None,
    institution: Institution | None = None,
    on: datetime.date | None = None,
    exclude_claim: SubsidyClaim | None = None,
) -> Eligibility:
    """Evaluate every rule for ``worker`` claiming ``kind``.

    ``institution``: the institution claiming on the worker's behalf (training: adds the 委托代领
    rule) or claiming the shortage subsidy. ``exclude_claim``: a claim being resubmitted, which
    must not count against itself.
    """
    on = on or clock.today()
    if kind == Kind.TRAINING:
        if enrollment is None or enrollment.worker_id != worker.pk:
            raise ValueError("a training claim needs the worker's own enrollment")
        result = Eligibility(
            kind=kind,
            worker=worker,
            campaign=enrollment.campaign,
            enrollment=enrollment,
            institution=institution,
        )
        _training(result, on=on, exclude_claim=exclude_claim)
        return result
    if kind in (Kind.APPRAISAL, Kind.SHORTAGE):
        if certificate is None:
            raise ValueError("an appraisal or shortage claim needs a certificate")
        result = Eligibility(
            kind=kind,
            worker=worker,
            campaign=Campaign.objects.current(),
            certificate=certificate,
            institution=institution,
        )
        _certificate_kinds(result, on=on, exclude_claim=exclude_claim)
        return result
    raise ValueError(f"unknown subsidy kind {kind!r}")
