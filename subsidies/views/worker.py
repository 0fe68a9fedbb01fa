"""The worker portal: 我可申领的补贴 (with the eligibility explanation), applying, entrusting the
institution, 我的补贴申请 with each claim's timeline, account change, withdrawal, resubmission."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from core.actions import submit
from core.decorators import role_required
from core.errors import RuleViolation
from core.roles import Role
from subsidies import permissions as perms
from subsidies.forms import AccountForm, ApplyForm, EntrustForm, ResubmitForm, WithdrawForm
from subsidies.models import Entrustment, Kind, SubsidyClaim
from subsidies.selectors import claims as selectors
from subsidies.services import claims as services
from subsidies.services import entrustments as entrust_services
from subsidies.services.eligibility import eligibility_check


def _worker(request: HttpRequest):
    worker = perms.worker_of(request.user)
    if worker is None:
        raise Http404("没有与该账号关联的劳动者信息")
    return worker


def _own_account(form) -> services.OwnAccount:
    data = form.cleaned_data
    return services.OwnAccount(
        holder_name=data.get("holder_name", ""),
        bank_name=data.get("bank_name", ""),
        account=data.get("account", ""),
    )


@role_required(Role.WORKER)
def worker_home(request: HttpRequest) -> HttpResponse:
    """我可申领的补贴: every training and certificate with its rules, green or red."""
    # Groups and certificates read once for every row's check (prefetched on the worker).
    worker = selectors.worker_with_facts(_worker(request))
    entrusted = selectors.active_entrustments_of_worker(worker)
    trainings = [
        {
            "enrollment": enrollment,
            "check": eligibility_check(worker=worker, kind=Kind.TRAINING, enrollment=enrollment),
            "entrustment": entrusted.get(enrollment.pk),
        }
        for enrollment in selectors.enrollments_of_worker(worker)
    ]
    certificates = [
        {
            "certificate": certificate,
            "check": eligibility_check(worker=worker, kind=Kind.APPRAISAL, certificate=certificate),
        }
        for certificate in selectors.certificates_of_worker(worker)
    ]
    return render(
        request,
        "subsidies/worker_home.html",
        {"worker": worker, "trainings": trainings, "certificates": certificates},
    )


def _apply(request, *, kind, enrollment=None, certificate=None) -> HttpResponse:
    worker = _worker(request)
    check = eligibility_check(
        worker=worker, kind=kind, enrollment=enrollment, certificate=certificate
    )
    entrustment = None
    if enrollment is not None:
        entrustment = Entrustment.objects.filter(
            enrollment=enrollment, status=Entrustment.Status.ACTIVE
        ).first()
    allow_entrust = kind == Kind.TRAINING
    form = ApplyForm(
        request.POST or None,
        request.FILES or None,
        allow_entrust=allow_entrust,
        initial={"holder_name": worker.name, "payee": "own"},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            claim = submit(
                form,
                lambda: _submit(request, worker, kind, enrollment, certificate, entrustment, form),
            )
            if claim is None:
                status = 400
            else:
                messages.success(
                    request,
                    f"补贴申请已提交，申请编号 {claim.number}，补贴金额 {claim.amount} 元。",
                )
                if form.luhn_warning:
                    messages.warning(request, "银行账号未通过卡号校验，请再次核对账号是否正确。")
                return redirect("subsidies:worker_claim", pk=claim.pk)
        else:
            form.mark_invalid()
            status = 400
        check = eligibility_check(
            worker=worker, kind=kind, enrollment=enrollment, certificate=certificate
        )
    return render(
        request,
        "subsidies/claim_apply.html",
        {
            "worker": worker,
            "kind_label": Kind(kind).label,
            "enrollment": enrollment,
            "certificate": certificate,
            "check": check,
            "form": form,
            "entrustment": entrustment,
            "allow_entrust": allow_entrust,
        },
        status=status,
    )


def _submit(request, worker, kind, enrollment, certificate, entrustment, form):
    data = form.cleaned_data
    if data["payee"] == "entrust" and kind == Kind.TRAINING:
        with transaction.atomic():
            if entrustment is None:
                if not data.get("document"):
                    raise ValidationError({"document": "委托培训机构代领须上传签署的委托书"})
                entrust_services.entrustment_create(
                    worker=worker,
                    enrollment=enrollment,
                    document=data["document"],
                    actor=request.user,
                )
            return services.claim_submit(
                worker=worker, kind=kind, enrollment=enrollment, entrust=True, actor=request.user
            )
    return services.claim_submit(
        worker=worker,
        kind=kind,
        enrollment=enrollment,
        certificate=certificate,
        own_account=_own_account(form),
        actor=request.user,
    )


@role_required(Role.WORKER)
@require_http_methods(["GET", "POST"])
def apply_training(request: HttpRequest, pk: int) -> HttpResponse:
    enrollment = selectors.enrollment_for_worker(request.user, pk)
    return _apply(request, kind=Kind.TRAINING, enrollment=enrollment)


@role_required(Role.WORKER)
@require_http_methods(["GET", "POST"])
def apply_appraisal(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = selectors.certificate_for_worker(request.user, pk)
    return _apply(request, kind=Kind.APPRAISAL, certificate=certificate)


@role_required(Role.WORKER)
@require_http_methods(["GET", "POST"])
def entrust(request: HttpRequest, pk: int) -> HttpResponse:
    """Entrust the class's institution to claim for this training (upload the signed document)."""
    enrollment = selectors.enrollment_for_worker(request.user, pk)
    worker = enrollment.worker
    form = EntrustForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            entrustment = submit(
                form,
                lambda: entrust_services.entrustment_create(
                    worker=worker,
                    enrollment=enrollment,
                    document=form.cleaned_data["document"],
                    signed_on=form.cleaned_data["signed_on"],
                    actor=request.user,
                ),
            )
            if entrustment is None:
                status = 400
            else:
                messages.success(
                    request,
                    f"已委托{enrollment.training_class.institution.name}代为申领培训补贴。",
                )
                return redirect("subsidies:worker_home")
        else:
            form.mark_invalid()
            status = 400
    return render(
        request,
        "subsidies/entrustment_form.html",
        {"enrollment": enrollment, "form": form},
        status=status,
    )


@role_required(Role.WORKER)
@require_POST
def entrust_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    worker = _worker(request)
    entrustment = Entrustment.objects.filter(worker=worker, pk=pk).first()
    if entrustment is None:
        raise Http404
    try:
        entrust_services.entrustment_revoke(entrustment=entrustment, actor=request.user)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已撤销委托。")
    return redirect("subsidies:worker_home")


@role_required(Role.WORKER)
def claim_list(request: HttpRequest) -> HttpResponse:
    """我的补贴申请."""
    worker = _worker(request)
    return render(
        request,
        "subsidies/claim_list.html",
        {"claims": selectors.claims_of_worker(worker)},
    )


def _detail(request, claim, *, account_form=None, resubmit_form=None, status=200):
    return render(
        request,
        "subsidies/claim_detail.html",
        {
            "claim": claim,
            "timeline": list(claim.status_changes.all()),
            "account_form": account_form or AccountForm(initial={"holder_name": claim.worker.name}),
            "resubmit_form": resubmit_form or ResubmitForm(),
            "withdraw_form": WithdrawForm(),
            "can_change_account": claim.payee_kind == SubsidyClaim.PayeeKind.PERSON
            and claim.status in SubsidyClaim.ACCOUNT_CHANGE_STATUSES,
            "change_needs_review": claim.status in SubsidyClaim.APPROVED_STATUSES,
            "can_withdraw": claim.status in SubsidyClaim.WITHDRAWABLE_STATUSES,
            "can_resubmit": claim.status == SubsidyClaim.Status.RETURNED,
        },
        status=status,
    )


@role_required(Role.WORKER)
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, selectors.claim_for_worker(request.user, pk))


@role_required(Role.WORKER)
@require_POST
def claim_account(request: HttpRequest, pk: int) -> HttpResponse:
    claim = selectors.claim_for_worker(request.user, pk)
    form = AccountForm(request.POST)
    if not form.is_valid():
        form.mark_invalid()
        return _detail(request, claim, account_form=form, status=400)
    changed = submit(
        form,
        lambda: services.claim_account_change(
            claim=claim, own_account=_own_account(form), actor=request.user
        ),
        request=request,
    )
    if form.errors:
        return _detail(request, claim, account_form=form, status=400)
    if changed is None:
        return redirect("subsidies:worker_claim", pk=claim.pk)
    if changed.status == SubsidyClaim.Status.UNDER_REVIEW and claim.status != changed.status:
        messages.warning(request, "收款账户已变更。因申请已审核通过，需重新审核。")
    else:
        messages.success(request, "收款账户已变更。")
    return redirect("subsidies:worker_claim", pk=claim.pk)


@role_required(Role.WORKER)
@require_POST
def claim_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    claim = selectors.claim_for_worker(request.user, pk)
    form = WithdrawForm(request.POST)
    form.is_valid()
    try:
        services.claim_withdraw(
            claim=claim, reason=form.cleaned_data.get("reason", ""), actor=request.user
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"申请 {claim.number} 已撤回。")
    return redirect("subsidies:worker_claim", pk=claim.pk)


@role_required(Role.WORKER)
@require_POST
def claim_resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    claim = selectors.claim_for_worker(request.user, pk)
    form = ResubmitForm(request.POST)
    if not form.is_valid():
        form.mark_invalid()
        return _detail(request, claim, resubmit_form=form, status=400)
    saved = submit(
        form,
        lambda: services.claim_resubmit(
            claim=claim, reply=form.cleaned_data["reply"], actor=request.user
        ),
        request=request,
    )
    if form.errors:
        return _detail(request, claim, resubmit_form=form, status=400)
    if saved is not None:
        messages.success(request, f"申请 {claim.number} 已重新提交。")
    return redirect(reverse("subsidies:worker_claim", args=[claim.pk]))
