"""Worker pages: online self-registration, the worker's own record, and the staff pages (the
worker base list with search, registration at a desk, one worker's record) plus the roster
template download.

A worker never sees another worker: their pages carry no id (``workers/me/``). Staff see the
workers their role may see (see ``training.selectors.workers``); anyone else's id is a 404. A
full ID number is searched by POST and looked up by its keyed hash: it never appears in a URL
and is not echoed back.
"""

import io
import re
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from core import actions
from core.actions import submit
from core.decorators import public, role_required
from core.models import County
from core.roles import Role
from training.models import PopulationGroup, RegistrationPoint, Worker
from training.permissions import workers as perms
from training.selectors import workers as selectors
from training.services import workers as services

PAGE_SIZE = 50
# Names never contain digits; anything with one is taken for an ID number.
_HAS_DIGIT = re.compile(r"[0-9]")

_CHOOSE = [("", "（请选择）")]


# ------------------------------------------------------------------------------
# Forms: they parse; the rules (ID check digit, name, phone, groups) are the service's
# ------------------------------------------------------------------------------


class _ProfileForm(forms.Form):
    id_number = forms.CharField(label="身份证号码", max_length=32, required=False, strip=True)
    name = forms.CharField(label="姓名", max_length=64, required=False)
    phone = forms.CharField(label="手机号码", max_length=20, required=False)
    county = forms.ModelChoiceField(
        County.objects.all(), label="县（市、区）", required=False, empty_label="（请选择）"
    )
    household = forms.ChoiceField(
        label="户籍类型", choices=_CHOOSE + list(Worker.Household.choices), required=False
    )
    education = forms.ChoiceField(
        label="文化程度", choices=_CHOOSE + list(Worker.Education.choices), required=False
    )
    groups = forms.ModelMultipleChoiceField(
        PopulationGroup.objects.all(),
        label="人员类别",
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "id_number": data["id_number"],
            "name": data["name"],
            "phone": data["phone"],
            "county": data["county"],
            "household": data["household"],
            "education": data["education"],
            "group_codes": [group.code for group in data["groups"]],
        }

    def add_service_errors(self, exc: ValidationError) -> None:
        actions.add_service_errors(self, exc)


class WorkerSignupForm(_ProfileForm):
    password = forms.CharField(label="登录密码", strip=False, widget=forms.PasswordInput)
    password_confirm = forms.CharField(label="确认密码", strip=False, widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        first, second = data.get("password"), data.get("password_confirm")
        if first and second and first != second:
            self.add_error("password_confirm", "两次输入的密码不一致")
        return data


class WorkerRegisterForm(_ProfileForm):
    point = forms.ModelChoiceField(
        RegistrationPoint.objects.none(),
        label="登记报名点",
        required=False,
        empty_label="（不在报名点登记）",
    )

    def __init__(self, *args, points, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = points


class ContactForm(forms.Form):
    phone = forms.CharField(label="手机号码", max_length=20, required=False)
    county = forms.ModelChoiceField(
        County.objects.all(), label="县（市、区）", required=False, empty_label="（请选择）"
    )


class WorkerSearchForm(forms.Form):
    q = forms.CharField(label="姓名或身份证号码", max_length=64)


# ------------------------------------------------------------------------------
# Worker's own pages
# ------------------------------------------------------------------------------


@public
@require_http_methods(["GET", "POST"])
def worker_signup(request: HttpRequest) -> HttpResponse:
    """Online self-registration: creates the login and the record, signs the person in."""
    if request.user.is_authenticated:
        if request.user.has_role(Role.WORKER):
            return redirect("training:worker_me")
        return redirect("dashboard:home")
    form = WorkerSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        worker = submit(
            form,
            lambda: services.worker_self_register(
                password=form.cleaned_data["password"], **form.service_kwargs()
            ),
        )
        if worker is not None:
            login(request, worker.user, backend=settings.AUTHENTICATION_BACKENDS[0])
            messages.success(request, "注册成功，以后可用手机号码和密码登录。")
            return redirect("training:worker_me")
    return render(
        request,
        "training/workers/worker_signup.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@role_required(Role.WORKER)
@require_GET
def worker_me(request: HttpRequest) -> HttpResponse:
    """The signed-in worker's own record and training history."""
    worker = selectors.worker_of_user(request.user)
    return render(
        request,
        "training/workers/worker_me.html",
        {"worker": worker, "history": selectors.worker_history(worker=worker)},
    )


@role_required(Role.WORKER)
@require_http_methods(["GET", "POST"])
def worker_update_contact(request: HttpRequest) -> HttpResponse:
    """The worker changes their own mobile number (also their login) and county."""
    worker = selectors.worker_of_user(request.user)
    form = ContactForm(
        request.POST or None, initial={"phone": worker.phone, "county": worker.county}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.worker_update_contact(
                worker=worker,
                phone=form.cleaned_data["phone"],
                county=form.cleaned_data["county"],
                actor=request.user,
            )
        except ValidationError as exc:
            for key, errors in exc.message_dict.items():
                form.add_error(key if key in form.fields else None, errors)
        else:
            messages.success(request, "联系方式已更新。")
            return redirect("training:worker_me")
    return render(
        request,
        "training/workers/worker_update_contact.html",
        {"form": form, "worker": worker},
        status=400 if request.method == "POST" else 200,
    )


# ------------------------------------------------------------------------------
# Staff pages
# ------------------------------------------------------------------------------


def _require_reader(request: HttpRequest) -> None:
    # Institution staff without an institution hold the role but may see nobody.
    if not perms.can_list_workers(request.user):
        raise PermissionDenied


@role_required(Role.OFFICE, Role.AUDITOR, Role.REVIEWER, Role.INSTITUTION)
@require_http_methods(["GET", "POST"])
def worker_list(request: HttpRequest) -> HttpResponse:
    """The worker base, paginated; search by name (GET ``name``) or by a full ID number (POST:
    looked up by hash, never put in a URL or echoed back)."""
    _require_reader(request)
    id_result = None
    search_error = ""
    if request.method == "POST":
        search = WorkerSearchForm(request.POST)
        if not search.is_valid():
            search_error = "请输入姓名或完整的身份证号码"
        else:
            query = search.cleaned_data["q"].strip()
            if not _HAS_DIGIT.search(query):
                return redirect(f"{reverse('training:worker_list')}?{urlencode({'name': query})}")
            try:
                found = selectors.worker_find_by_id_number(user=request.user, id_number=query)
            except ValidationError as exc:
                search_error = "身份证号码有误：" + "；".join(exc.messages)
            else:
                id_result = [found] if found is not None else []
    name = request.GET.get("name", "").strip()[:64]
    page = None
    if id_result is None:
        page = Paginator(selectors.worker_list(user=request.user, name=name), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
    return render(
        request,
        "training/workers/worker_list.html",
        {
            "page": page,
            "workers": id_result if id_result is not None else page.object_list,
            "id_search": id_result is not None,
            "name": name,
            "search_error": search_error,
            "may_register": perms.can_register_worker(request.user),
        },
        status=400 if search_error else 200,
    )


@role_required(Role.OFFICE, Role.REVIEWER, Role.CLERK, Role.INSTITUTION)
@require_http_methods(["GET", "POST"])
def worker_create(request: HttpRequest) -> HttpResponse:
    """Registration at a desk. A number already registered finds that person (never a second
    row); a different name is refused."""
    user = request.user
    points = RegistrationPoint.objects.filter(is_active=True).select_related("county")
    if not user.is_superuser and user.has_role(Role.INSTITUTION):
        if not perms.is_institution_staff(user):
            raise PermissionDenied
        if not user.has_role(Role.OFFICE, Role.REVIEWER, Role.CLERK):
            points = points.filter(institution_id=user.institution_id)
    form = WorkerRegisterForm(request.POST or None, points=points)
    if request.method == "POST" and form.is_valid():
        registered = submit(
            form,
            lambda: services.worker_register(
                point=form.cleaned_data["point"], actor=user, **form.service_kwargs()
            ),
        )
        if registered is not None:
            worker, created = registered
            if created:
                messages.success(request, f"已登记劳动者：{worker}")
            else:
                messages.info(request, f"该身份证号码已登记（{worker}），未重复登记。")
            if selectors.worker_in_scope(user=user, worker=worker):
                return redirect("training:worker_detail", pk=worker.pk)
            return redirect("training:worker_create")
    return render(
        request,
        "training/workers/worker_create.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@role_required(Role.OFFICE, Role.AUDITOR, Role.REVIEWER, Role.INSTITUTION)
@require_GET
def worker_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One worker's record (ID masked) and history; institution staff see only their own
    institution's classes in it."""
    _require_reader(request)
    worker = selectors.worker_get_for_user(user=request.user, pk=pk)
    institution_id = (
        None if perms.can_read_all_workers(request.user) else request.user.institution_id
    )
    return render(
        request,
        "training/workers/worker_detail.html",
        {
            "worker": worker,
            "history": selectors.worker_history(worker=worker, institution_id=institution_id),
        },
    )


@role_required(Role.INSTITUTION, Role.OFFICE, Role.REVIEWER, Role.CLERK, Role.AUDITOR)
@require_GET
def roster_template(request: HttpRequest) -> FileResponse:
    """The empty roster (学员花名册) template with its filling instructions."""
    buffer = io.BytesIO()
    services.roster_template_write(buffer)
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename="学员花名册模板.xlsx")
