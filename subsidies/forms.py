"""Forms of the subsidies pages. They parse input only; every rule is the services'.

None of them has a field for the amount, the status, the worker or (on entrusted claims) the
payee account: a forged POST carrying those fields is ignored because nothing reads them."""

from django import forms

from appraisal.models import Level
from core import actions
from core.validators import bank_account_luhn_ok
from subsidies.models import Kind
from training.models import TrainingCategory, TrainingClass

DATE_WIDGET = forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")


def date_field(label: str, **kwargs) -> forms.DateField:
    return forms.DateField(label=label, widget=DATE_WIDGET, input_formats=["%Y-%m-%d"], **kwargs)


class BootstrapForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select) and not isinstance(widget, forms.RadioSelect):
                css = "form-select"
            elif isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                continue
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)

    def mark_invalid(self) -> None:
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()

    def add_service_errors(self, exc) -> None:
        actions.add_service_errors(self, exc)
        self.mark_invalid()


class AccountFields(BootstrapForm):
    """The worker's own bank account."""

    holder_name = forms.CharField(label="开户人姓名", max_length=64, required=False)
    bank_name = forms.CharField(label="开户银行", max_length=128, required=False)
    account = forms.CharField(
        label="银行账号",
        max_length=40,
        required=False,
        help_text="12至30位数字，可用空格分隔",
    )

    @property
    def luhn_warning(self) -> bool:
        account = (self.cleaned_data or {}).get("account") if hasattr(self, "cleaned_data") else ""
        return bool(account) and not bank_account_luhn_ok(account)


class AccountForm(AccountFields):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("holder_name", "bank_name", "account"):
            self.fields[name].required = True


class ApplyForm(AccountFields):
    """Apply for a subsidy: own account, or (training only) entrust the class's institution."""

    PAYEE_CHOICES = [("own", "本人银行账户"), ("entrust", "委托培训机构代领（拨付至机构基本账户）")]

    payee = forms.ChoiceField(
        label="收款方式", choices=PAYEE_CHOICES, widget=forms.RadioSelect, initial="own"
    )
    document = forms.FileField(
        label="委托书（签字后扫描，PDF/JPG/PNG，不超过5 MB）",
        required=False,
        help_text="选择委托培训机构代领且尚未上传委托书时必填",
    )
    confirm = forms.BooleanField(label="本人承诺所填信息真实、准确", required=True)

    def __init__(self, *args, allow_entrust: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not allow_entrust:
            self.fields["payee"].choices = self.PAYEE_CHOICES[:1]

    def clean(self):
        data = super().clean()
        if data.get("payee") == "own":
            for name, label in (
                ("holder_name", "请填写开户人姓名"),
                ("bank_name", "请填写开户银行"),
                ("account", "请填写银行账号"),
            ):
                if not data.get(name):
                    self.add_error(name, label)
        return data


class EntrustForm(BootstrapForm):
    signed_on = date_field("签署日期")
    document = forms.FileField(label="委托书（签字后扫描，PDF/JPG/PNG，不超过5 MB）")


class WithdrawForm(BootstrapForm):
    reason = forms.CharField(
        label="撤回原因", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ResubmitForm(BootstrapForm):
    reply = forms.CharField(
        label="补正说明", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class TickForm(forms.Form):
    """The ticked rows of an institution's list (ids are re-scoped by the service)."""

    ids = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=False)

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ids"].choices = [(str(c), str(c)) for c in choices]


class UploadForm(BootstrapForm):
    file = forms.FileField(label="Excel 文件（.xlsx）")


class StandardForm(BootstrapForm):
    kind = forms.ChoiceField(label="补贴类型", choices=Kind.choices)
    training_kind = forms.ChoiceField(
        label="培训类型",
        choices=[("", "不限"), *TrainingClass.Kind.choices],
        required=False,
    )
    level = forms.TypedChoiceField(
        label="等级",
        choices=[("", "不限"), *Level.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    category = forms.ModelChoiceField(
        label="培训类别", queryset=TrainingCategory.objects.none(), required=False
    )
    occupation = forms.ModelChoiceField(
        label="职业（工种）",
        queryset=None,
        required=False,
        help_text="留空表示适用于所有职业",
    )
    amount = forms.DecimalField(
        label="补贴标准（元/人）", max_digits=10, decimal_places=2, min_value=0.01
    )
    effective_from = date_field("执行起始日")
    effective_to = date_field("执行截止日", required=False)
    note = forms.CharField(label="依据/说明", max_length=255, required=False)

    def __init__(self, *args, campaign=None, **kwargs):
        from training.models import Occupation

        super().__init__(*args, **kwargs)
        self.fields["occupation"].queryset = Occupation.objects.all()
        if campaign is not None:
            self.fields["category"].queryset = TrainingCategory.objects.filter(campaign=campaign)


class EndStandardForm(BootstrapForm):
    effective_to = date_field("执行截止日")


class WindowForm(BootstrapForm):
    kind = forms.ChoiceField(label="补贴类型", choices=Kind.choices)
    opens_on = date_field("开始日期")
    closes_on = date_field("截止日期")
    note = forms.CharField(label="说明", max_length=255, required=False)


class WindowCloseForm(BootstrapForm):
    closes_on = date_field("截止日期")
