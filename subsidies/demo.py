"""Demo data for subsidies (seed_demo): claims in every state, reached through the real services.

Eligible trainings are found with the eligibility check among the demo's closed classes; each
claim is made by the worker's own account, then moved on by the demo reviewer, office and the
two finance users (maker ≠ checker): some wait for review, some are returned, refused or
withdrawn, some are in an open public notice (with one objection waiting), the rest went through
a closed notice; of those, one batch was paid (one line failed at the bank), another is approved
and waiting for the bank's result, and the remainder wait for a batch. ``scale`` multiplies the
number of claims. Safe to run twice: nothing is added when the campaign already has claims.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef

from appraisal.models import Certificate
from core import clock
from core.models import User
from core.notices import notice_close, objection_lodge
from core.payments import batch_approve, line_record_result
from core.roles import Role
from subsidies.models import Kind, SubsidyClaim
from subsidies.services import claims as claim_svc
from subsidies.services import notices as notice_svc
from subsidies.services import payments as pay_svc
from subsidies.services import review as review_svc
from subsidies.services.eligibility import eligibility_check
from subsidies.services.entrustments import entrustment_create
from subsidies.services.institution_claims import institution_claims_submit
from training.models import Enrollment, PopulationGroup, TrainingClass

CLAIMS_PER_SCALE = 30
ENTRUSTED_PER_SCALE = 6
# A signed entrustment (委托书), as the worker's scan would be uploaded.
ENTRUSTMENT_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# Enrollments examined per claim wanted (most demo trainees fall short of some rule).
SEARCH_FACTOR = 8
BANKS = ("中国工商银行许昌分行", "中国农业银行许昌分行", "许昌农商银行", "中国邮政储蓄银行许昌分行")


def _account(rng: random.Random) -> str:
    return "6222" + "".join(str(rng.randrange(10)) for _ in range(15))


def _eligible_enrollments(campaign, wanted: int, **filters) -> list[Enrollment]:
    # Narrow to trainees holding a certificate of the class's occupation and in a subsidised
    # group: the appraisal demo certifies only a share of those who passed.
    certified = Certificate.objects.filter(
        worker=OuterRef("worker"), occupation=OuterRef("training_class__occupation")
    )
    subsidised_group = PopulationGroup.objects.filter(
        subsidy_eligible=True, worker=OuterRef("worker")
    )
    candidates = (
        Enrollment.objects.filter(
            campaign=campaign,
            result=Enrollment.Result.PASSED,
            training_class__status=TrainingClass.Status.CLOSED,
        )
        .filter(Exists(certified), Exists(subsidised_group), **filters)
        .select_related("worker__user", "training_class__occupation", "training_class__institution")
        .order_by("pk")[: wanted * SEARCH_FACTOR]
    )
    found, workers = [], set()
    for enrollment in candidates:
        if enrollment.worker_id in workers:
            continue
        check = eligibility_check(
            worker=enrollment.worker, kind=Kind.TRAINING, enrollment=enrollment
        )
        if check.eligible:
            found.append(enrollment)
            workers.add(enrollment.worker_id)
        if len(found) >= wanted:
            break
    return found


def _submit(enrollment: Enrollment, rng: random.Random, counter: User) -> SubsidyClaim:
    worker = enrollment.worker
    with transaction.atomic():
        return claim_svc.create_claim(
            worker=worker,
            kind=Kind.TRAINING,
            channel=SubsidyClaim.Channel.WORKER,
            # Most demo workers have no login: their paper application was keyed in at the
            # office's counter (窗口代录).
            actor=worker.user or counter,
            enrollment=enrollment,
            own_account=claim_svc.OwnAccount(
                holder_name=worker.name, bank_name=rng.choice(BANKS), account=_account(rng)
            ),
        )


def _entrusted(campaign, scale: int) -> list[SubsidyClaim]:
    """Trainees of the institutions that have a staff account who entrusted the institution
    (a signed 委托书 uploaded), claimed by the institution in one ticked batch each: these are
    paid into the institution's basic account from the registry."""
    claims = []
    staff = (
        User.objects.filter(groups__name=Role.INSTITUTION, institution__isnull=False)
        .select_related("institution")
        .order_by("pk")
    )
    for user in staff:
        institution = user.institution
        enrollments = _eligible_enrollments(
            campaign, ENTRUSTED_PER_SCALE * scale, training_class__institution=institution
        )
        for enrollment in enrollments:
            with transaction.atomic():
                entrustment_create(
                    worker=enrollment.worker,
                    enrollment=enrollment,
                    document=ContentFile(ENTRUSTMENT_PDF, name="委托书.pdf"),
                    actor=user,
                )
        if enrollments:
            results = institution_claims_submit(
                institution=institution, enrollment_ids=[e.pk for e in enrollments], actor=user
            )
            claims.extend(r.claim for r in results if r.ok)
    return claims


def _split(items: list, shares: list[int]) -> list[list]:
    """Cut ``items`` into consecutive parts proportional to ``shares`` (each at least one when
    there are enough items)."""
    total = sum(shares)
    parts, start = [], 0
    for index, share in enumerate(shares):
        if index == len(shares) - 1:
            end = len(items)
        else:
            end = min(len(items), start + max(1, round(len(items) * share / total)))
        parts.append(items[start:end])
        start = end
    return parts


@transaction.atomic
def seed_subsidies(*, campaign, scale: int, rng: random.Random, log: Callable[[str], None]) -> None:
    if SubsidyClaim.objects.filter(campaign=campaign).exists():
        log("补贴申请：已有演示数据，跳过")
        return
    users = {u.username: u for u in User.objects.filter(username__in=_ACCOUNTS)}
    missing = [name for name in _ACCOUNTS if name not in users]
    if missing:
        log(f"补贴申请：缺少演示账号 {missing}，跳过")
        return
    reviewer = users["reviewer"]
    maker, checker = users["finance"], users["finance2"]

    # The institutions' entrusted claims first, so that their trainees are not taken by the
    # own-account claims below.
    entrusted = _entrusted(campaign, scale)
    taken = {c.worker_id for c in entrusted}
    enrollments = [
        e
        for e in _eligible_enrollments(campaign, CLAIMS_PER_SCALE * scale + len(taken))
        if e.worker_id not in taken
    ][: CLAIMS_PER_SCALE * scale]
    if len(enrollments) < 10:
        log(f"补贴申请：符合条件的培训只有 {len(enrollments)} 个，跳过")
        transaction.set_rollback(True)
        return
    claims = [_submit(enrollment, rng, users["office"]) for enrollment in enrollments] + entrusted
    # Both channels in every state.
    rng.shuffle(claims)
    (
        _waiting,
        in_review,
        returned,
        refused,
        withdrawn,
        open_notice,
        through_notice,
    ) = _split(claims, [3, 2, 1, 1, 1, 3, 9])

    for claim in in_review:
        review_svc.claim_review_start(claim=claim, actor=reviewer)
    for claim in returned:
        review_svc.claim_return(
            claim=claim, reason="请补充上传结业证书照片（证书编号不清晰）。", actor=reviewer
        )
    for claim in refused:
        review_svc.claim_refuse(
            claim=claim, reason="经核查，该培训已于本活动期间享受过补贴。", actor=reviewer
        )
    for claim in withdrawn:
        if claim.worker.user is not None:
            claim_svc.claim_withdraw(claim=claim, reason="本人撤回", actor=claim.worker.user)

    today = clock.today()
    # A notice that has run its course and closed (published three weeks ago).
    for claim in through_notice:
        review_svc.claim_approve(claim=claim, actor=reviewer)
    past = notice_svc.claims_notice_publish(
        claim_ids=[c.pk for c in through_notice],
        title=f"{today - datetime.timedelta(days=21):%Y年%m月}职业培训补贴审核结果公示（第一批）",
        actor=reviewer,
        starts_on=today - datetime.timedelta(days=21),
    )
    notice_close(notice=past, actor=reviewer, today=today)
    # An open notice with one objection waiting for the office.
    for claim in open_notice:
        review_svc.claim_approve(claim=claim, actor=reviewer)
    current = notice_svc.claims_notice_publish(
        claim_ids=[c.pk for c in open_notice],
        title=f"{today:%Y年%m月}职业培训补贴审核结果公示（第二批）",
        actor=reviewer,
    )
    objection_lodge(
        notice=current,
        item=current.items.order_by("pk").first(),
        objector_name="匿名群众",
        content="该学员培训期间多次缺课，请核实出勤情况。",
    )

    ready = list(
        SubsidyClaim.objects.filter(pk__in=[c.pk for c in through_notice], status="ready").order_by(
            "number"
        )
    )
    paid_part, pending_part, _left_ready = _split(ready, [4, 3, 2])
    if paid_part:
        batch = pay_svc.claims_batch_create(claim_ids=[c.pk for c in paid_part], actor=maker)
        batch = batch_approve(batch=batch, actor=checker)
        for index, line in enumerate(batch.lines.order_by("pk")):
            if index == 0:
                line_record_result(
                    line=line, paid=False, reason="户名与账号不符，银行退回", actor=maker
                )
            else:
                line_record_result(line=line, paid=True, actor=maker)
    if pending_part:
        batch = pay_svc.claims_batch_create(claim_ids=[c.pk for c in pending_part], actor=maker)
        batch_approve(batch=batch, actor=checker)
    counts = dict.fromkeys(SubsidyClaim.Status.values, 0)
    for status in SubsidyClaim.objects.filter(campaign=campaign).values_list("status", flat=True):
        counts[status] += 1
    labels = dict(SubsidyClaim.Status.choices)
    log(
        "补贴申请："
        + "，".join(f"{labels[status]} {count}" for status, count in counts.items() if count)
    )


_ACCOUNTS = ("reviewer", "office", "finance", "finance2")

SEEDERS: list[Callable] = [seed_subsidies]
