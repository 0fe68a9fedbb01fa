"""Forms of the awards pages. They parse input only; the rules are the services'."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from awards.models import AwardKind, NominatingUnit
from core import actions
from core.crypto import keyed_hash
from core.models import User
from core.roles import Role
from core.validators import parse_resident_id
from training.models import Occupation, Worker

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _date_field(label, **kwargs) -> forms.DateField:
    return forms.DateField(label=label, widget=DATE_WIDGET, input_formats=["%Y-%m-%d"], **kwargs)


class BootstrapForm(forms.Form):
    """Bootstrap classes on every widget; service errors attached to their fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)

    def full_clean(self) -> None:
        super().full_clean()
        self.mark_invalid()

    def mark_invalid(self) -> None:
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                css = widget.attrs.get("class", "")
                if "is-invalid" not in css:
                    widget.attrs["class"] = f"{css} is-invalid".strip()

    def add_service_errors(self, exc: ValidationError) -> None:
        actions.add_service_errors(self, exc)
        self.mark_invalid()


class CycleForm(BootstrapForm):
    first_year = forms.IntegerField(label=_("起始年度"), min_value=2000, max_value=2100)
    nomination_opens = _date_field(_("推荐开始日期"))
    nomination_closes = _date_field(_("推荐截止日期"))
    members = forms.ModelMultipleChoiceField(
        label=_("评审委员"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = User.objects.filter(
            groups__name=Role.COMMITTEE.value, is_active=True
        ).order_by("full_name", "username")


class CeilingForm(BootstrapForm):
    value = forms.IntegerField(label=_("推荐名额"), min_value=0, max_value=999)


def worker_from_id(id_number: str, name: str) -> Worker:
    """The worker with this resident ID number and name, or a ValidationError saying why not."""
    try:
        parsed = parse_resident_id(id_number)
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.messages}) from exc
    worker = Worker.objects.filter(id_number_hash=keyed_hash(parsed.number)).first()
    if worker is None:
        raise ValidationError({"id_number": [_("人力资源信息库中没有该身份证号码的劳动者。")]})
    if worker.name != (name or "").strip():
        raise ValidationError({"name": [_("姓名与身份证号码登记的姓名不符。")]})
    return worker


class NominationForm(BootstrapForm):
    award_kind = forms.ModelChoiceField(label=_("奖项"), queryset=AwardKind.objects.none())
    unit = forms.ModelChoiceField(label=_("推荐单位"), queryset=NominatingUnit.objects.none())
    id_number = forms.CharField(label=_("身份证号码"), max_length=18)
    name = forms.CharField(label=_("姓名"), max_length=64)
    occupation = forms.ModelChoiceField(label=_("职业（工种）"), queryset=Occupation.objects.all())
    employer = forms.CharField(label=_("工作单位"), max_length=128)
    achievements = forms.CharField(
        label=_("主要事迹"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000
    )
    document = forms.FileField(
        label=_("推荐材料"), required=False, help_text=_("PDF、Word、Excel或图片，不超过10 MB")
    )

    def __init__(self, *args, campaign, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["award_kind"].queryset = AwardKind.objects.filter(campaign=campaign)
        self.fields["unit"].queryset = units
        if units.count() == 1:
            self.fields["unit"].initial = units.first()

    def clean(self):
        data = super().clean()
        if data.get("id_number") and data.get("name"):
            try:
                data["worker"] = worker_from_id(data["id_number"], data["name"])
            except ValidationError as exc:
                self.add_service_errors(exc)
        return data


class ReasonForm(BootstrapForm):
    reason = forms.CharField(label=_("理由"), max_length=255)


class ScoreForm(BootstrapForm):
    """One integer field per published criterion of the award kind."""

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for criterion in self.criteria:
            self.fields[criterion.code] = forms.IntegerField(
                label=f"{criterion.name}（0–{criterion.max_score}，权重{criterion.weight}）",
                min_value=0,
                max_value=criterion.max_score,
            )
            self.fields[criterion.code].widget.attrs["class"] = "form-control"

    def values(self) -> dict[str, int]:
        return {c.code: self.cleaned_data[c.code] for c in self.criteria}


class BankForm(BootstrapForm):
    bank_name = forms.CharField(label=_("开户银行"), max_length=128)
    account = forms.CharField(label=_("银行账号"), max_length=40)


class CompetitionForm(BootstrapForm):
    name = forms.CharField(label=_("竞赛名称"), max_length=128)
    occupation = forms.ModelChoiceField(label=_("职业（工种）"), queryset=Occupation.objects.all())
    held_on = _date_field(_("举办日期"))
    organiser = forms.CharField(label=_("主办单位"), max_length=128, required=False)


class ResultForm(BootstrapForm):
    id_number = forms.CharField(label=_("身份证号码"), max_length=18)
    name = forms.CharField(label=_("姓名"), max_length=64)
    rank = forms.IntegerField(label=_("名次"), min_value=1, max_value=9999)

    def clean(self):
        data = super().clean()
        if data.get("id_number") and data.get("name"):
            try:
                data["worker"] = worker_from_id(data["id_number"], data["name"])
            except ValidationError as exc:
                self.add_service_errors(exc)
        return data
