"""Forms of the training app: they parse what the browser sent and nothing more. The rules (passed
never above trained, the month still open, the version still current) live in the services."""

import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from training.models import FIGURE_FIELDS, CorrectionRequest, ReturnLine, TrainingCategory
from training.services.returns import LineInput

NOT_A_COUNT = _("应为不小于0的整数")
# A month's figure for one category; far above any real one (the largest two-year quota is
# 200,000) and well inside the database's integer range.
MAX_FIGURE = 9_999_999

FIGURE_LABELS = {name: ReturnLine._meta.get_field(name).verbose_name for name in FIGURE_FIELDS}


def cell_name(category: TrainingCategory, name: str) -> str:
    """The form field for one cell of the grid (``c3_passed``): safe in HTML ids and CSS."""
    return f"c{category.number}_{name}"


class FigureField(forms.IntegerField):
    """A whole number ≥ 0; an emptied cell counts as 0."""

    widget = forms.TextInput(
        attrs={"inputmode": "numeric", "class": "form-control form-control-sm text-end"}
    )

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(
            min_value=0,
            max_value=MAX_FIGURE,
            error_messages={
                "invalid": NOT_A_COUNT,
                "min_value": NOT_A_COUNT,
                "max_value": _("数值过大（不能超过%(limit_value)s）"),
            },
            **kwargs,
        )

    def clean(self, value):
        value = super().clean(value)
        return 0 if value is None else value


class _FiguresForm(forms.Form):
    """The figures of every category a department owns, one field per cell."""

    def __init__(self, *args, categories: list[TrainingCategory], **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = categories
        for category in categories:
            for name in FIGURE_FIELDS:
                label = f"{category.name} {FIGURE_LABELS[name]}"
                self.fields[cell_name(category, name)] = FigureField(label=label)
                self.fields[cell_name(category, name)].widget.attrs["aria-label"] = label

    def mark_invalid(self) -> None:
        """Bootstrap's red outline on every input that has an error."""
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()

    def figures_of(self, category: TrainingCategory) -> dict[str, int]:
        return {name: self.cleaned_data[cell_name(category, name)] for name in FIGURE_FIELDS}

    def add_service_errors(self, exc: ValidationError) -> None:
        """Put a service's errors next to the cell they name ("<category number>.<field>");
        an error about a whole category or the form goes to the form's top."""
        by_number = {str(c.number): c for c in self.categories}
        for key, messages in exc.message_dict.items():
            number, _dot, name = key.partition(".")
            category = by_number.get(number)
            field = cell_name(category, name) if category is not None and name else key
            for message in messages:
                self.add_error(field if field in self.fields else None, message)

    @staticmethod
    def initial_from(rows) -> dict[str, int | str]:
        """Initial values from ``selectors.return_grid`` rows (this month's figures and notes)."""
        initial: dict[str, int | str] = {}
        for row in rows:
            for name in FIGURE_FIELDS:
                initial[cell_name(row.category, name)] = row.this_month[name]
            initial[f"c{row.category.number}_note"] = row.line.note if row.line else ""
        return initial


class ReturnGridForm(_FiguresForm):
    """A month's return as the clerk types it, with the version the page was loaded at."""

    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, categories: list[TrainingCategory], **kwargs):
        super().__init__(*args, categories=categories, **kwargs)
        for category in categories:
            self.fields[f"c{category.number}_note"] = forms.CharField(
                label=f"{category.name} 备注",
                required=False,
                max_length=500,
                error_messages={"max_length": _("备注不能超过500字")},
                widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            )

    def line_inputs(self) -> list[LineInput]:
        return [
            LineInput(
                category_id=category.pk,
                figures=self.figures_of(category),
                note=self.cleaned_data[f"c{category.number}_note"].strip(),
            )
            for category in self.categories
        ]


class CorrectionForm(_FiguresForm):
    """The corrected figures of an accepted (or locked) return and why they change."""

    reason = forms.CharField(
        label=_("更正理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        error_messages={"required": _("请填写更正理由")},
    )

    def proposed(self, lines: dict[int, ReturnLine]) -> dict[int, dict[str, int]]:
        """Only the figures that differ from the return's current ones, by category id."""
        changes: dict[int, dict[str, int]] = {}
        for category in self.categories:
            line = lines.get(category.pk)
            current = line.figures() if line else dict.fromkeys(FIGURE_FIELDS, 0)
            for name, value in self.figures_of(category).items():
                if value != current[name]:
                    changes.setdefault(category.pk, {})[name] = value
        return changes


class SendBackForm(forms.Form):
    reason = forms.CharField(
        label=_("退回理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        error_messages={"required": _("请填写退回理由")},
    )


class LocalDateTimeField(forms.DateTimeField):
    """``<input type="datetime-local">``, read in the campaign's time zone (Asia/Shanghai)
    whatever time zone the request happens to have activated."""

    input_formats = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")
    widget = forms.DateTimeInput(
        attrs={"type": "datetime-local", "class": "form-control"}, format="%Y-%m-%dT%H:%M"
    )

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        for fmt in self.input_formats:
            try:
                naive = datetime.datetime.strptime(text, fmt)  # noqa: DTZ007 — made aware below
            except ValueError:
                continue
            return timezone.make_aware(naive, ZoneInfo(settings.TIME_ZONE))
        raise ValidationError(self.error_messages["invalid"], code="invalid")


class UnlockForm(forms.Form):
    reason = forms.CharField(
        label=_("解锁理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        error_messages={"required": _("请填写解锁理由")},
    )
    expires_at = LocalDateTimeField(
        label=_("解锁截止时间"),
        error_messages={
            "required": _("请填写解锁截止时间"),
            "invalid": _("请输入有效的日期时间"),
        },
    )


class CorrectionDecideForm(forms.Form):
    action = forms.ChoiceField(
        choices=(("approve", _("批准")), ("refuse", _("不予批准"))),
        error_messages={"required": _("请选择批准或不予批准"), "invalid_choice": _("无效的操作")},
    )
    reason = forms.CharField(
        label=_("审批意见"),
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )


class CorrectionFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=(("", _("全部")), *CorrectionRequest.Status.choices),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )


class SubmitForm(forms.Form):
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
