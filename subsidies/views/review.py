"""人社 review pages: the queue with filters, a claim's detail with the eligibility explanation and
the evidence, the decisions (approve / refuse / return), and publishing approved claims in a
public notice.

Each view: role decorator → scoped selector (a claim the reviewer may not decide is a 404) → form
→ service → redirect, or a re-render with 400."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core import clock
from core.actions import submit
from core.decorators import role_required
from core.errors import RuleViolation
from core.models import County
from core.roles import Role
from subsidies.forms import BootstrapForm, date_field
from subsidies.models import Kind, SubsidyClaim
from subsidies.selectors import review as selectors
from subsidies.services import notices as notice_services
from subsidies.services import review as services
from subsidies.services.eligibility import eligibility_check
from training.models import Institution

PAGE_SIZE = 25
DECISION_STATUSES = ("submitted", "under_review")


class QueueFilterForm(BootstrapForm):
    kind = forms.ChoiceField(
        label="补贴类型", choices=[("", "全部类型"), *Kind.choices], required=False
    )
    status = forms.ChoiceField(
        label="状态",
        choices=[("", "待审核"), ("all", "全部状态"), *SubsidyClaim.Status.choices],
        required=False,
    )
    institution = forms.ModelChoiceField(
        label="培训机构",
        queryset=Institution.objects.order_by("name"),
        required=False,
        empty_label="全部机构",
    )
    county = forms.ModelChoiceField(
        label="县（市、区）", queryset=County.objects.all(), required=False, empty_label="全部县区"
    )
    channel = forms.ChoiceField(
        label="申请方式",
        choices=[("", "全部方式"), *SubsidyClaim.Channel.choices],
        required=False,
    )
    submitted_from = date_field("提交日期自", required=False)
    submitted_to = date_field("至", required=False)

    def filters(self) -> selectors.QueueFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return selectors.QueueFilters(
            kind=data.get("kind") or "",
            status=data.get("status") or "",
            institution=data["institution"].pk if data.get("institution") else None,
            county=data["county"].pk if data.get("county") else None,
            channel=data.get("channel") or "",
            submitted_from=data.get("submitted_from"),
            submitted_to=data.get("submitted_to"),
        )


class DecisionForm(BootstrapForm):
    reason = forms.CharField(
        label="审核意见（申请人可见）",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PublishForm(BootstrapForm):
    title = forms.CharField(label="公示标题", max_length=200)
    working_days = forms.IntegerField(label="公示期（工作日）", min_value=1, max_value=30)
    body = forms.CharField(
        label="公示说明", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=True)

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ids"].choices = [(str(c), str(c)) for c in choices]
        self.fields["ids"].error_messages["required"] = "请至少选择一项申请。"
        self.fields["ids"].widget = forms.CheckboxSelectMultiple()


# --------------------------------------------------------------------------------------------
# Queue and detail
# --------------------------------------------------------------------------------------------


@role_required(Role.REVIEWER)
@require_http_methods(["GET"])
def review_queue(request: HttpRequest) -> HttpResponse:
    """The reviewer's queue: by default the claims waiting for a decision, oldest first."""
    form = QueueFilterForm(request.GET or None)
    queryset = selectors.review_queue(request.user, form.filters())
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    awaiting = notice_services.awaiting_publication().count()
    return render(
        request,
        "subsidies/review_queue.html",
        {"form": form, "page": page, "awaiting_publication": awaiting},
    )


def _render_detail(request, claim, *, form=None, status=200):
    check = eligibility_check(
        worker=claim.worker,
        kind=claim.kind,
        enrollment=claim.enrollment if claim.kind == Kind.TRAINING else None,
        certificate=claim.certificate if claim.kind != Kind.TRAINING else None,
        institution=claim.institution if claim.channel == "institution" else None,
        exclude_claim=claim,
    )
    context = {
        "claim": claim,
        "check": check,
        "timeline": list(claim.status_changes.all()),
        "form": form or DecisionForm(),
        "can_decide": claim.status in DECISION_STATUSES,
        "can_start": claim.status == SubsidyClaim.Status.SUBMITTED,
    }
    return render(request, "subsidies/review_detail.html", context, status=status)


@role_required(Role.REVIEWER)
@require_http_methods(["GET"])
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, selectors.claim_for_reviewer(request.user, pk))


@role_required(Role.REVIEWER)
@require_POST
def review_start(request: HttpRequest, pk: int) -> HttpResponse:
    claim = selectors.claim_for_reviewer(request.user, pk)
    try:
        services.claim_review_start(claim=claim, actor=request.user)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已开始审核申请 {claim.number}。")
    return redirect("subsidies:review_detail", pk=claim.pk)


_DECISIONS = {
    "approve": (services.claim_approve, "申请 {number} 已审核通过，待发布公示。"),
    "refuse": (services.claim_refuse, "申请 {number} 已作出不予补贴决定。"),
    "return": (services.claim_return, "申请 {number} 已退回申请人补正。"),
}


def _decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    claim = selectors.claim_for_reviewer(request.user, pk)
    service, success = _DECISIONS[decision]
    form = DecisionForm(request.POST)
    if not form.is_valid():
        form.mark_invalid()
        return _render_detail(request, claim, form=form, status=400)
    decided = submit(
        form, lambda: service(claim=claim, reason=form.cleaned_data["reason"], actor=request.user)
    )
    if decided is None:
        return _render_detail(request, claim, form=form, status=400)
    messages.success(request, success.format(number=claim.number))
    return redirect("subsidies:review_queue")


@role_required(Role.REVIEWER)
@require_POST
def review_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, "approve")


@role_required(Role.REVIEWER)
@require_POST
def review_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, "refuse")


@role_required(Role.REVIEWER)
@require_POST
def review_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, "return")


# --------------------------------------------------------------------------------------------
# Publishing approved claims
# --------------------------------------------------------------------------------------------


@role_required(Role.REVIEWER)
@require_http_methods(["GET", "POST"])
def review_notice_publish(request: HttpRequest) -> HttpResponse:
    """Approved claims awaiting publication; the reviewer ticks them and publishes a notice."""
    claims = list(
        notice_services.awaiting_publication()
        .select_related("worker", "occupation", "institution")
        .order_by("number")[:500]
    )
    choices = [claim.pk for claim in claims]
    status = 200
    if request.method == "POST":
        form = PublishForm(request.POST, choices=choices)
        if form.is_valid():
            try:
                notice = notice_services.claims_notice_publish(
                    claim_ids=form.cleaned_data["ids"],
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    working_days=form.cleaned_data["working_days"],
                    actor=request.user,
                )
            except RuleViolation as exc:
                form.add_error(None, exc.message)
            except PermissionDenied:
                raise
            else:
                messages.success(
                    request,
                    f"已发布公示，公示期至{notice.ends_on:%Y年%m月%d日}。",
                )
                return redirect("core:notice_detail", pk=notice.pk)
        form.mark_invalid()
        status = 400
    else:
        try:
            days = notice_services.notice_working_days()
        except RuleViolation:
            days = None
        today = clock.today()
        form = PublishForm(
            choices=choices,
            initial={
                "title": f"{today:%Y年%m月}职业培训补贴审核结果公示",
                "working_days": days,
                "body": "以下人员的补贴申请已经审核通过，现予公示。"
                "如有异议，请在公示期内通过本页面提出。",
                "ids": choices,
            },
        )
    return render(
        request,
        "subsidies/review_notice_publish.html",
        {"form": form, "claims": claims},
        status=status,
    )
