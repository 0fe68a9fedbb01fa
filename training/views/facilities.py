"""Pages of the "1688" programme: progress per target, the facilities, their steps and evidence.

Office and auditor read everything; a clerk of a target's lead department reads and keeps that
target's facilities (others: 403 on the pages, 404 on a facility outside their scope).
"""

from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from core import clock
from core.actions import submit
from core.decorators import role_required
from core.models import County
from core.roles import Role
from training.models import Facility, FacilityTarget
from training.permissions import facilities as perms
from training.selectors import facilities as selectors
from training.services import facilities as services
from training.views.classes import BootstrapForm, _campaign, _date_field

READERS = (Role.OFFICE, Role.AUDITOR, Role.CLERK)
MANAGERS = (Role.OFFICE, Role.CLERK)
PAGE_SIZE = 50
STATUS_BADGES = {
    Facility.Status.PLANNED: "secondary",
    Facility.Status.UNDER_CONSTRUCTION: "primary",
    Facility.Status.COMPLETED: "info",
    Facility.Status.ACCEPTED: "success",
}
FILE_HELP = _("PDF、Word、Excel或图片，不超过10 MB")


class FacilityForm(BootstrapForm):
    target = forms.ModelChoiceField(label=_("类型"), queryset=FacilityTarget.objects.none())
    name = forms.CharField(label=_("名称"), max_length=128)
    county = forms.ModelChoiceField(label=_("县（市、区）"), queryset=County.objects.all())
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    planned_on = _date_field(_("立项日期"))
    notes = forms.CharField(
        label=_("备注"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = targets
        self.fields["target"].label_from_instance = lambda t: t.get_kind_display()

    def facility_input(self) -> services.FacilityInput:
        data = self.cleaned_data
        return services.FacilityInput(
            name=data["name"],
            county=data["county"],
            planned_on=data["planned_on"],
            address=data["address"],
            notes=data["notes"],
        )


class AdvanceForm(BootstrapForm):
    on = _date_field(_("日期"))
    evidence = forms.FileField(label=_("证明材料"), required=False, help_text=FILE_HELP)
    description = forms.CharField(label=_("材料说明"), max_length=200, required=False)


class EvidenceForm(BootstrapForm):
    file = forms.FileField(label=_("证明材料"), help_text=FILE_HELP)
    description = forms.CharField(label=_("材料说明"), max_length=200, required=False)


def _next_status(facility: Facility) -> str | None:
    following = Facility.TRANSITIONS[facility.status]
    return next(iter(following)) if following else None


def _detail_url(facility: Facility) -> str:
    return reverse("training:facility_detail", args=[facility.pk])


def _render_detail(
    request: HttpRequest,
    facility: Facility,
    *,
    advance_form: AdvanceForm | None = None,
    evidence_form: EvidenceForm | None = None,
    status: int = 200,
) -> HttpResponse:
    next_status = _next_status(facility)
    steps = [
        {
            "label": Facility.Status(value).label,
            "date": getattr(facility, Facility.DATE_FIELDS[value]),
        }
        for value in Facility.Status.values
    ]
    return render(
        request,
        "training/facilities/facility_detail.html",
        {
            "f": facility,
            "badge": STATUS_BADGES[facility.status],
            "steps": steps,
            "evidence": selectors.facility_evidence(facility=facility),
            "can_manage": perms.can_manage_facility(request.user, facility.target),
            "next_status": next_status,
            "next_label": Facility.Status(next_status).label if next_status else "",
            "advance_form": advance_form or AdvanceForm(initial={"on": clock.today()}),
            "evidence_form": evidence_form or EvidenceForm(),
        },
        status=status,
    )


@role_required(*READERS)
@require_GET
def facility_list(request: HttpRequest) -> HttpResponse:
    """Progress per target (office and auditor: all four; a clerk: their department's) and the
    facilities, filterable by type and status."""
    if not perms.can_view_facilities(request.user):
        raise PermissionDenied
    campaign = _campaign()
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    qs = selectors.facility_list_for_user(
        user=request.user, campaign=campaign, kind=kind, status=status
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    # The programme's progress is city-wide and not sensitive: every reader sees all four
    # targets; the facility rows below are scoped.
    progress = selectors.facility_progress(campaign=campaign)
    return render(
        request,
        "training/facilities/facility_list.html",
        {
            "page": page,
            "rows": [{"f": f, "badge": STATUS_BADGES[f.status]} for f in page.object_list],
            "progress": progress,
            "kind": kind,
            "status": status,
            "kinds": FacilityTarget.Kind.choices,
            "statuses": Facility.Status.choices,
            "can_create": selectors.targets_for_user(user=request.user, campaign=campaign).exists(),
        },
    )


@role_required(*MANAGERS)
def facility_create(request: HttpRequest) -> HttpResponse:
    campaign = _campaign()
    targets = selectors.targets_for_user(user=request.user, campaign=campaign)
    if not targets.exists():
        raise PermissionDenied
    if request.method == "POST":
        form = FacilityForm(request.POST, targets=targets)
        if form.is_valid():
            facility = submit(
                form,
                lambda: services.facility_create(
                    target=form.cleaned_data["target"],
                    data=form.facility_input(),
                    actor=request.user,
                ),
            )
            if facility is not None:
                messages.success(request, f"已登记“{facility.name}”。")
                return redirect(_detail_url(facility))
        form.mark_invalid()
        status = 400
    else:
        form = FacilityForm(targets=targets, initial={"planned_on": clock.today()})
        status = 200
    return render(request, "training/facilities/facility_form.html", {"form": form}, status=status)


@role_required(*READERS)
@require_GET
def facility_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, selectors.facility_get_for_user(user=request.user, pk=pk))


@role_required(*MANAGERS)
@require_POST
def facility_advance(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the facility to its next step (在建 → 已建成 → 已验收) with the date and evidence."""
    facility = selectors.facility_get_for_user(user=request.user, pk=pk)
    if not perms.can_manage_facility(request.user, facility.target):
        raise PermissionDenied
    form = AdvanceForm(request.POST, request.FILES)
    expected = request.POST.get("to", "")
    next_status = _next_status(facility)
    if next_status is None or expected != next_status:
        messages.error(request, "项目状态已变化，请刷新后重试。")
        return redirect(_detail_url(facility))
    if not form.is_valid():
        form.mark_invalid()
        return _render_detail(request, facility, advance_form=form, status=400)
    service = services.TRANSITION_SERVICES[next_status]
    saved = submit(
        form,
        lambda: service(
            facility=facility,
            on=form.cleaned_data["on"],
            evidence=form.cleaned_data["evidence"],
            description=form.cleaned_data["description"],
            actor=request.user,
        ),
        request=request,
    )
    if form.errors:
        return _render_detail(request, facility, advance_form=form, status=400)
    if saved is not None:
        messages.success(request, f"已登记为“{Facility.Status(next_status).label}”。")
    return redirect(_detail_url(facility))


@role_required(*MANAGERS)
@require_POST
def facility_evidence_add(request: HttpRequest, pk: int) -> HttpResponse:
    facility = selectors.facility_get_for_user(user=request.user, pk=pk)
    if not perms.can_manage_facility(request.user, facility.target):
        raise PermissionDenied
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        form.mark_invalid()
        return _render_detail(request, facility, evidence_form=form, status=400)
    saved = submit(
        form,
        lambda: services.facility_evidence_add(
            facility=facility,
            upload=form.cleaned_data["file"],
            description=form.cleaned_data["description"],
            actor=request.user,
        ),
    )
    if saved is None:
        return _render_detail(request, facility, evidence_form=form, status=400)
    messages.success(request, "证明材料已上传。")
    return redirect(_detail_url(facility))


@role_required(*READERS)
@require_GET
def facility_evidence_download(request: HttpRequest, pk: int, evidence_pk: int) -> FileResponse:
    item = selectors.evidence_get_for_user(user=request.user, facility_pk=pk, pk=evidence_pk)
    extension = PurePath(item.file.name).suffix
    filename = f"{item.facility.name}-{item.get_status_display()}{extension}"
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=filename)
