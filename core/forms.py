from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """The same answer for an unknown user, a wrong password and a disabled account, so the
    form never tells whether a user name exists."""

    error_messages = {
        "invalid_login": _("用户名或密码不正确，请重新输入。"),
        "inactive": _("用户名或密码不正确，请重新输入。"),
    }
