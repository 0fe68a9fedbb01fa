"""Pages of public notices (公示): the public list and detail with the objection form (no login),
the office's objection queue with the resolve form, and the close button.

Public pages show only what was published (masked names and ID numbers); objectors' names and
phone numbers are shown to staff only.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Count, Q, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from core import actions
from core import notices as services
from core.actions import submit
from core.decorators import public, role_required
from core.errors import RuleViolation
from core.middleware import request_address
from core.models import NoticeItem, Objection, PublicNotice
from core.roles import Role
from core.validators import validate_mobile

PAGE_SIZE = 20
OBJECTION_READERS = (Role.OFFICE, Role.REVIEWER, Role.AUDITOR)
NOTICE_CLOSERS = (Role.OFFICE, Role.REVIEWER)


class _Bootstrap(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.Select):
                field.widget.attrs.setdefault("class", "form-select")
            elif not isinstance(field.widget, forms.RadioSelect):
                field.widget.attrs.setdefault("class", "form-control")

    def add_service_errors(self, exc: ValidationError) -> None:
        actions.add_service_errors(self, exc)


class ObjectionForm(_Bootstrap):
    item = forms.ModelChoiceField(
        label="异议对象",
        queryset=NoticeItem.objects.none(),
        required=False,
        empty_label="对本公示整体提出异议",
    )
    objector_name = forms.CharField(label="您的姓名", max_length=64)
    objector_phone = forms.CharField(
        label="联系电话",
        max_length=11,
        required=False,
        validators=[validate_mobile],
        help_text="选填，便于核查后回复",
    )
    content = forms.CharField(
        label="异议内容", widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )

    def __init__(self, *args, notice: PublicNotice, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["item"]
        field.queryset = notice.items.order_by("pk")
        field.label_from_instance = lambda item: f"{item.display_name} {item.description}"


class ResolveForm(_Bootstrap):
    upheld = forms.TypedChoiceField(
        label="核查结果",
        choices=(("0", "异议不成立"), ("1", "异议成立")),
        coerce=lambda value: value == "1",
    )
    item = forms.ModelChoiceField(
        label="所涉公示对象",
        queryset=NoticeItem.objects.none(),
        required=False,
        help_text="对公示整体的异议认定成立时，须选择所涉对象",
    )
    resolution = forms.CharField(
        label="核查结论", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )

    def __init__(self, *args, objection: Objection, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["item"]
        field.queryset = objection.notice.items.order_by("pk")
        field.label_from_instance = lambda item: f"{item.display_name} {item.description}"


# --------------------------------------------------------------------------------------------
# Public pages
# --------------------------------------------------------------------------------------------


@public
@require_http_methods(["GET"])
def notice_list(request: HttpRequest) -> HttpResponse:
    """Every notice, open first, then the history."""
    queryset = PublicNotice.objects.annotate(item_count=Count("items")).order_by(
        "-status", "-starts_on", "-pk"
    )
    # "open" sorts after "closed": descending puts open notices first.
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    for notice in page.object_list:
        notice.kind_label = services.notice_kind_label(notice.kind)
    return render(request, "core/notices/notice_list.html", {"page": page})


def _render_detail(request, notice, *, form=None, status=200):
    items = list(notice.items.order_by("pk"))
    user = request.user
    can_close = (
        notice.status == PublicNotice.Status.OPEN
        and user.is_authenticated
        and (user.is_superuser or user.has_role(*NOTICE_CLOSERS))
    )
    context = {
        "notice": notice,
        "kind_label": services.notice_kind_label(notice.kind),
        "items": items,
        "accepting": notice.status == PublicNotice.Status.OPEN
        and services.clock.today() <= notice.ends_on,
        "form": form or ObjectionForm(notice=notice),
        "can_close": can_close,
        "is_due": services.clock.today() > notice.ends_on,
    }
    return render(request, "core/notices/notice_detail.html", context, status=status)


@public
@require_http_methods(["GET", "POST"])
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A notice with its items (masked) and, while open, the objection form for anyone."""
    notice = get_object_or_404(PublicNotice, pk=pk)
    if request.method == "GET":
        return _render_detail(request, notice)
    form = ObjectionForm(request.POST, notice=notice)
    if not form.is_valid():
        return _render_detail(request, notice, form=form, status=400)
    objection = submit(
        form,
        lambda: services.objection_lodge(
            notice=notice,
            item=form.cleaned_data["item"],
            objector_name=form.cleaned_data["objector_name"],
            objector_phone=form.cleaned_data["objector_phone"],
            content=form.cleaned_data["content"],
            ip=request_address(request) or "",
        ),
    )
    if objection is None:
        return _render_detail(request, notice, form=form, status=400)
    messages.success(request, "您的异议已登记，有关部门将进行核查。")
    return redirect("core:notice_detail", pk=notice.pk)


# --------------------------------------------------------------------------------------------
# Office pages
# --------------------------------------------------------------------------------------------

OBJECTION_FILTERS = {
    "open": Q(status=Objection.Status.OPEN),
    "resolved": ~Q(status=Objection.Status.OPEN),
    "all": Q(),
}


def _render_objections(request, *, bound=None, status=200):
    current = request.GET.get("status", "open")
    condition = OBJECTION_FILTERS.get(current, OBJECTION_FILTERS["open"])
    queryset = (
        Objection.objects.filter(condition)
        .select_related("notice", "item", "resolved_by")
        # Open objections first (oldest first: first lodged, first investigated).
        .order_by(Case(When(status=Objection.Status.OPEN, then=0), default=1), "created_at", "pk")
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    user = request.user
    may_resolve = user.is_superuser or user.has_role(Role.OFFICE)
    rows = []
    for objection in page.object_list:
        form = None
        if may_resolve and objection.status == Objection.Status.OPEN:
            if bound is not None and bound.prefix == f"o{objection.pk}":
                form = bound
            else:
                form = ResolveForm(objection=objection, prefix=f"o{objection.pk}")
        rows.append({"objection": objection, "form": form})
    return render(
        request,
        "core/notices/objection_list.html",
        {"page": page, "rows": rows, "current": current, "may_resolve": may_resolve},
        status=status,
    )


@role_required(*OBJECTION_READERS)
@require_http_methods(["GET"])
def objection_list(request: HttpRequest) -> HttpResponse:
    """The objection queue (open first); the office resolves from here."""
    return _render_objections(request)


@role_required(Role.OFFICE)
@require_POST
def objection_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    objection = get_object_or_404(Objection.objects.select_related("notice"), pk=pk)
    form = ResolveForm(request.POST, objection=objection, prefix=f"o{objection.pk}")
    if not form.is_valid():
        return _render_objections(request, bound=form, status=400)
    try:
        services.objection_resolve(
            objection=objection,
            upheld=form.cleaned_data["upheld"],
            resolution=form.cleaned_data["resolution"],
            item=form.cleaned_data["item"],
            actor=request.user,
        )
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _render_objections(request, bound=form, status=400)
    except RuleViolation as exc:
        if exc.code == "objection_needs_item":
            form.add_error("item", exc.message)
            return _render_objections(request, bound=form, status=400)
        messages.error(request, exc.message)
    else:
        messages.success(request, f"异议 #{objection.pk} 已处理。")
    return redirect(f"{reverse('core:objection_list')}?status=open")


@role_required(*NOTICE_CLOSERS)
@require_POST
def notice_close(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(PublicNotice, pk=pk)
    try:
        services.notice_close(notice=notice, actor=request.user)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "公示已结束，结果已交相关业务办理。")
    return redirect("core:notice_detail", pk=notice.pk)
