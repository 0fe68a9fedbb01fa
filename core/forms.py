from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """The same answer for an unknown user, a wrong password and a disabled account, so the
    form never tells whether a user name exists. A locked name or address gets the lock message
    instead, and that too is the same whether the name exists or not (names that are not
    accounts are counted and locked like real ones)."""

    error_messages = {
        "invalid_login": _("用户名或密码不正确，请重新输入。"),
        "inactive": _("用户名或密码不正确，请重新输入。"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lock = None

    def clean(self):
        from core.auth import login_lock_for
        from core.middleware import request_address

        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username and password:
            ip = request_address(self.request) if self.request is not None else None
            self.lock = login_lock_for(username, ip)
            if self.lock is not None:
                raise forms.ValidationError(self.lock.message, code="locked")
        return super().clean()


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("查看理由"),
        min_length=4,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("请填写查看完整号码的理由（将记入审计记录）。"),
            "min_length": _("理由至少 %(limit_value)d 个字，请写明业务原因。"),
            "max_length": _("理由不超过 %(limit_value)d 个字。"),
        },
    )


class UnlockForm(forms.Form):
    reason = forms.CharField(
        label=_("解除理由"),
        min_length=2,
        max_length=500,
        error_messages={"required": _("请填写解除锁定的理由。")},
    )


class TotpCodeForm(forms.Form):
    code = forms.CharField(
        label=_("动态验证码"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        error_messages={"required": _("请输入手机验证器上显示的 6 位动态验证码。")},
    )

    def clean_code(self):
        code = self.cleaned_data["code"].strip().replace(" ", "")
        if len(code) != 6 or not code.isdigit():
            raise forms.ValidationError(_("动态验证码是 6 位数字。"))
        return code
