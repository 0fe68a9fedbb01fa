"""Pages for "直通车" registrations.

A worker registers online for themself (``register/``) and follows their registrations and
certificates (``me/``): these pages carry no id. Registration-point staff register a worker by
the full ID number (looked up by keyed hash, shown masked, never put in a URL) and list the
registrations they took; any other registration's id is a 404.

Both registration forms have two buttons: 检查报名条件 shows what the level rule says about
this person (met and unmet requirements, in plain Chinese) without saving; 提交报名 saves.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from appraisal import permissions as perms
from appraisal import selectors
from appraisal.models import Level, LevelRule, Registration
from appraisal.services import registrations as services
from core.actions import submit
from core.decorators import role_required
from core.errors import RuleViolation
from core.roles import Role
from training.models import Occupation, RegistrationPoint, TrainingClass
from training.selectors.workers import worker_of_user

PAGE_SIZE = 50
LEVEL_CHOICES = [("", "（请选择）"), *sorted(Level.choices, reverse=True)]
POINT_STAFF_ROLES = (Role.INSTITUTION, Role.REVIEWER, Role.CLERK)
LIST_ROLES = (Role.INSTITUTION, Role.REVIEWER, Role.CLERK, Role.OFFICE, Role.AUDITOR)
CHECK, SUBMIT = "check", "submit"


class ApplyForm(forms.Form):
    occupation = forms.ModelChoiceField(
        Occupation.objects.order_by("code"), label="职业（工种）", empty_label="（请选择）"
    )
    level = forms.TypedChoiceField(label="申报等级", choices=LEVEL_CHOICES, coerce=int)
    years_in_trade = forms.IntegerField(
        label="本职业工作年限（年）", min_value=0, max_value=60, initial=0
    )
    entrusted_to_claim = forms.BooleanField(
        label="委托鉴定机构或培训机构代为申领一次性职业技能鉴定补贴", required=False
    )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "occupation": data["occupation"],
            "level": data["level"],
            "years_in_trade": data["years_in_trade"],
            "entrusted_to_claim": data["entrusted_to_claim"],
        }


class StaffRegisterForm(ApplyForm):
    id_number = forms.CharField(label="身份证号码", max_length=32)
    name = forms.CharField(label="姓名", max_length=64)
    point = forms.ModelChoiceField(
        RegistrationPoint.objects.none(),
        label="报名点",
        required=False,
        empty_label="（不经报名点，培训班结业报名）",
    )
    training_class = forms.ModelChoiceField(
        TrainingClass.objects.none(),
        label="培训班（结业报名时选择）",
        required=False,
        empty_label="（无）",
    )
    field_order = ["id_number", "name", "point", "training_class"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = points_for(user)
        classes = classes_for(user)
        self.fields["training_class"].queryset = classes
        if not classes.exists():
            del self.fields["training_class"]
        # The full number is sent back only in the form body, never echoed in a URL.
        self.fields["id_number"].widget.attrs["autocomplete"] = "off"

    def clean(self):
        data = super().clean()
        if not data.get("point") and not data.get("training_class"):
            self.add_error("point", "请选择报名点（培训班结业报名时可选择培训班）")
        return data


def points_for(user):
    """The active points where ``user`` may take registrations."""
    qs = RegistrationPoint.objects.filter(is_active=True).select_related("county")
    condition = Q(pk__in=[])
    if perms.is_institution_staff(user):
        condition |= Q(institution_id=user.institution_id)
    if perms.is_desk_staff(user):
        condition |= Q(institution__isnull=True)
    return qs.filter(condition).order_by("county__sort_order", "level", "name")


def classes_for(user):
    """Classes of the user's institution that trainees may register from."""
    if not perms.is_institution_staff(user):
        return TrainingClass.objects.none()
    return (
        TrainingClass.objects.filter(
            institution_id=user.institution_id,
            status__in=[TrainingClass.Status.APPROVED, TrainingClass.Status.CLOSED],
        )
        .select_related("occupation")
        .order_by("-end_date", "code")
    )


# --------------------------------------------------------------------------------------------
# The worker's own pages
# --------------------------------------------------------------------------------------------


@role_required(Role.WORKER)
@require_http_methods(["GET", "POST"])
def registration_apply(request: HttpRequest) -> HttpResponse:
    """Online registration by the worker for themself, with the rule check before submitting."""
    worker = worker_of_user(request.user)
    form = ApplyForm(request.POST or None)
    check = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            kwargs = form.service_kwargs()
            if request.POST.get("action") == SUBMIT:
                registration = submit(
                    form,
                    lambda: services.registration_create(
                        worker=worker, actor=request.user, **kwargs
                    ),
                )
                if registration is not None:
                    messages.success(
                        request,
                        f"报名成功，报名编号{registration.code}。鉴定机构安排考试后将在此显示。",
                    )
                    return redirect("appraisal:my_appraisals")
            check = services.registration_check(
                worker=worker,
                occupation=kwargs["occupation"],
                level=kwargs["level"],
                years_in_trade=kwargs["years_in_trade"],
            )
            if request.POST.get("action") != SUBMIT:
                status = 200
    return render(
        request,
        "appraisal/registrations/registration_apply.html",
        {"form": form, "check": check, "worker": worker, "rules": LevelRule.objects.all()},
        status=status,
    )


@role_required(Role.WORKER)
@require_GET
def my_appraisals(request: HttpRequest) -> HttpResponse:
    """The worker's registrations (with scores once recorded) and certificates."""
    worker = worker_of_user(request.user)
    return render(
        request,
        "appraisal/registrations/my_appraisals.html",
        {
            "worker": worker,
            "registrations": selectors.registrations_of_worker(worker),
            "certificates": selectors.certificates_for_worker(worker),
        },
    )


@role_required(Role.WORKER, *POINT_STAFF_ROLES)
@require_POST
def registration_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw: the worker their own registration, point staff one they took."""
    user = request.user
    if user.has_role(Role.WORKER) and not perms.can_take_registrations(user):
        worker = worker_of_user(user)
        registration = selectors.registrations_of_worker(worker).filter(pk=pk).first()
        if registration is None:
            raise Http404
        back = redirect("appraisal:my_appraisals")
    else:
        registration = selectors.registration_get_for_user(user=user, pk=pk)
        back = redirect("appraisal:registration_detail", pk=registration.pk)
    try:
        services.registration_withdraw(
            registration=registration, actor=user, reason=request.POST.get("reason", "")
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已撤销报名 {registration.code}。")
    return back


# --------------------------------------------------------------------------------------------
# Registration-point staff
# --------------------------------------------------------------------------------------------


@role_required(*POINT_STAFF_ROLES)
@require_http_methods(["GET", "POST"])
def registration_create(request: HttpRequest) -> HttpResponse:
    """A point's staff register a worker already in the worker base, by full ID number and name."""
    user = request.user
    if not perms.can_take_registrations(user):
        raise PermissionDenied
    form = StaffRegisterForm(request.POST or None, user=user)
    check = None
    worker = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            worker = _find_worker(form)
        if worker is not None:
            kwargs = form.service_kwargs()
            if request.POST.get("action") == SUBMIT:
                registration = submit(
                    form,
                    lambda: services.registration_create(
                        worker=worker,
                        point=form.cleaned_data["point"],
                        training_class=form.cleaned_data.get("training_class"),
                        actor=user,
                        **kwargs,
                    ),
                )
                if registration is not None:
                    messages.success(
                        request,
                        f"已为{worker}报名{registration.occupation.name}"
                        f"（{registration.get_level_display()}），报名编号{registration.code}。",
                    )
                    return redirect("appraisal:registration_detail", pk=registration.pk)
            check = services.registration_check(
                worker=worker,
                occupation=kwargs["occupation"],
                level=kwargs["level"],
                years_in_trade=kwargs["years_in_trade"],
            )
            if request.POST.get("action") != SUBMIT:
                status = 200
    return render(
        request,
        "appraisal/registrations/registration_create.html",
        {"form": form, "check": check, "worker": worker},
        status=status,
    )


def _find_worker(form: StaffRegisterForm):
    try:
        worker = selectors.worker_find_by_id_number(id_number=form.cleaned_data["id_number"])
    except ValidationError as exc:
        form.add_error("id_number", exc.messages)
        return None
    if worker is None:
        form.add_error("id_number", "该身份证号码尚未登记，请先在劳动者登记中登记其信息")
        return None
    if worker.name != form.cleaned_data["name"].strip():
        form.add_error("name", "姓名与该身份证号码登记的姓名不一致")
        return None
    return worker


@role_required(*LIST_ROLES)
@require_GET
def registration_list(request: HttpRequest) -> HttpResponse:
    """The registrations the user's points took (reviewers, office, auditor: all), 50 a page."""
    status = request.GET.get("status", "")
    name = request.GET.get("name", "").strip()[:64]
    qs = selectors.registration_list(user=request.user, status=status, name=name)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "appraisal/registrations/registration_list.html",
        {
            "page": page,
            "registrations": page.object_list,
            "statuses": Registration.Status.choices,
            "status": status,
            "name": name,
            "may_register": perms.can_take_registrations(request.user),
        },
    )


@role_required(*LIST_ROLES)
@require_GET
def registration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    registration = selectors.registration_get_for_user(user=request.user, pk=pk)
    certificate = getattr(registration, "certificate", None)
    return render(
        request,
        "appraisal/registrations/registration_detail.html",
        {
            "r": registration,
            "certificate": certificate,
            "can_withdraw": registration.is_open
            and perms.can_withdraw_registration(request.user, registration),
        },
    )
