"""Teacher pages: the teacher list with the bachelor's-degree share per institution and city-wide,
a teacher's page with their further training, the institution's forms, and naming the teachers
of a class.

Each view: a decorator saying who may enter → an access-checked selector (another institution's
teacher or class is a 404) → a form that only parses → a service → redirect, or a re-render
with 400.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from core.actions import submit
from core.decorators import role_required
from core.roles import Role
from training import selectors as training_selectors
from training.models import Teacher
from training.permissions import teachers as perms
from training.selectors import teachers as selectors
from training.services import teachers as services

READERS = (Role.OFFICE, Role.AUDITOR, Role.REVIEWER, Role.INSTITUTION)
PAGE_SIZE = 50


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TeacherForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=64)
    education = forms.ChoiceField(label=_("学历"), choices=Teacher.Education.choices)
    title = forms.ChoiceField(label=_("专业技术职称"), choices=Teacher.Title.choices)
    specialty = forms.CharField(label=_("任教专业"), max_length=64, required=False)
    honours = forms.MultipleChoiceField(
        label=_("荣誉称号"),
        choices=Teacher.Honour.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    employment = forms.ChoiceField(label=_("专兼职"), choices=Teacher.Employment.choices)
    is_active = forms.BooleanField(label=_("在岗"), required=False, initial=True)


class TrainingForm(forms.Form):
    course = forms.CharField(label=_("进修课程"), max_length=128)
    provider = forms.CharField(label=_("进修单位"), max_length=128)
    start_date = forms.DateField(label=_("开始日期"), widget=DateInput())
    end_date = forms.DateField(label=_("结束日期"), widget=DateInput())
    hours = forms.IntegerField(label=_("学时"), min_value=1, max_value=10000)
    certificate = forms.CharField(label=_("结业证书"), max_length=128, required=False)


class ClassTeachersForm(forms.Form):
    teachers = forms.ModelMultipleChoiceField(
        label=_("任课教师"),
        queryset=Teacher.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, training_class, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teachers"].queryset = selectors.class_teacher_choices(
            training_class=training_class
        )


@role_required(*READERS)
@require_GET
def teacher_list(request):
    """The teachers the user may see, with the share of 本科及以上 per institution and, for the
    city-wide readers, city-wide."""
    user = request.user
    campaign = training_selectors.campaign_current()
    goal = selectors.teacher_goal(campaign=campaign)
    page = Paginator(selectors.teacher_list(user=user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "training/teachers/teacher_list.html",
        {
            "page": page,
            "shares": selectors.shares_by_institution(user=user, campaign=campaign, goal=goal),
            "city": selectors.city_share(campaign=campaign, goal=goal)
            if perms.can_read_all_teachers(user)
            else None,
            "goal": goal,
            "open_classes": selectors.classes_for_assignment(user=user),
            "goal_percent": selectors.goal_percent(goal),
            "can_create": user.institution is not None
            and perms.can_manage_teachers(user, user.institution),
        },
    )


def _own_institution(request):
    institution = request.user.institution
    if institution is None or not perms.can_manage_teachers(request.user, institution):
        raise PermissionDenied
    return institution


@role_required(Role.INSTITUTION)
def teacher_create(request):
    institution = _own_institution(request)
    form = TeacherForm(request.POST or None)
    template = "training/teachers/teacher_form.html"
    if request.method == "POST":
        if form.is_valid():
            teacher = submit(
                form,
                lambda: services.teacher_create(
                    institution=institution, data=form.cleaned_data, actor=request.user
                ),
            )
            if teacher is not None:
                messages.success(request, f"已新增教师“{teacher.name}”。")
                return redirect("training:teacher_detail", pk=teacher.pk)
        return render(request, template, {"form": form, "teacher": None}, status=400)
    return render(request, template, {"form": form, "teacher": None})


def _render_detail(request, teacher, *, training_form=None, status=200):
    return render(
        request,
        "training/teachers/teacher_detail.html",
        {
            "teacher": teacher,
            "can_manage": perms.can_manage_teachers(request.user, teacher.institution),
            "training_form": training_form or TrainingForm(),
        },
        status=status,
    )


@role_required(*READERS)
@require_GET
def teacher_detail(request, pk: int):
    teacher = selectors.teacher_get_for_user(user=request.user, pk=pk)
    return _render_detail(request, teacher)


@role_required(Role.INSTITUTION)
def teacher_update(request, pk: int):
    teacher = selectors.teacher_get_for_user(user=request.user, pk=pk)
    if not perms.can_manage_teachers(request.user, teacher.institution):
        raise PermissionDenied
    template = "training/teachers/teacher_form.html"
    if request.method != "POST":
        form = TeacherForm(
            initial={name: getattr(teacher, name) for name in services.TEACHER_FIELDS}
        )
        return render(request, template, {"form": form, "teacher": teacher})
    form = TeacherForm(request.POST)
    if form.is_valid():
        saved = submit(
            form,
            lambda: services.teacher_update(
                teacher=teacher, data=form.cleaned_data, actor=request.user
            ),
        )
        if saved is not None:
            messages.success(request, "已保存教师信息。")
            return redirect("training:teacher_detail", pk=teacher.pk)
    return render(request, template, {"form": form, "teacher": teacher}, status=400)


@role_required(Role.INSTITUTION)
@require_POST
def teacher_training_create(request, pk: int):
    teacher = selectors.teacher_get_for_user(user=request.user, pk=pk)
    if not perms.can_manage_teachers(request.user, teacher.institution):
        raise PermissionDenied
    form = TrainingForm(request.POST)
    if form.is_valid():
        saved = submit(
            form,
            lambda: services.teacher_training_add(
                teacher=teacher, data=form.cleaned_data, actor=request.user
            ),
        )
        if saved is not None:
            messages.success(request, "已记录进修情况。")
            return redirect("training:teacher_detail", pk=teacher.pk)
    return _render_detail(request, teacher, training_form=form, status=400)


@role_required(Role.INSTITUTION)
def class_teachers(request, pk: int):
    """Name the teachers of one of the institution's own classes (its own active teachers)."""
    training_class = selectors.class_get_for_teachers(user=request.user, pk=pk)
    template = "training/teachers/class_teachers.html"
    current = list(training_class.teacher_set.order_by("name"))
    if request.method != "POST":
        form = ClassTeachersForm(
            training_class=training_class, initial={"teachers": [t.pk for t in current]}
        )
        return render(
            request, template, {"form": form, "training_class": training_class, "current": current}
        )
    form = ClassTeachersForm(request.POST, training_class=training_class)
    if form.is_valid():
        chosen = submit(
            form,
            lambda: services.class_teachers_set(
                training_class=training_class,
                teachers=form.cleaned_data["teachers"],
                actor=request.user,
            ),
        )
        if chosen is not None:
            names = "、".join(t.name for t in chosen) or "（无）"
            messages.success(request, f"已保存任课教师：{names}。")
            return redirect("training:class_teachers", pk=training_class.pk)
    return render(
        request,
        template,
        {"form": form, "training_class": training_class, "current": current},
        status=400,
    )
