"""core.actions.perform and submit: the POST button's one shape (a refusal is a message) and
the form's (a refusal is written on the form); either way nothing changed."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory

from core.actions import perform, submit
from core.errors import RuleViolation


@pytest.fixture
def request_():
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_success_returns_the_result_and_says_so(request_):
    assert perform(request_, lambda: 42, success=lambda n: f"完成 {n}") == 42
    assert [str(m) for m in get_messages(request_)] == ["完成 42"]


def test_a_refusal_is_an_error_message_and_no_result(request_):
    def refuse():
        raise RuleViolation("推荐已截止")

    assert perform(request_, refuse, success="不应出现") is None
    stored = list(get_messages(request_))
    assert [(m.level_tag, str(m)) for m in stored] == [("error", "推荐已截止")]


def test_other_errors_pass_through(request_):
    def deny():
        raise PermissionError("no")

    with pytest.raises(PermissionError):
        perform(request_, deny, success="x")


# --------------------------------------------------------------------------------------------
# submit: the form variant — a refusal is written on the form, never a change
# --------------------------------------------------------------------------------------------


class _NameForm(forms.Form):
    name = forms.CharField()


class _OwnErrorsForm(_NameForm):
    """A form with its own placement of service errors (as the apps' Bootstrap forms have)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.placed = []

    def add_service_errors(self, exc):
        self.placed.append(exc)
        self.add_error(None, "自己的放置")


def _valid_form(form_class=_NameForm):
    form = form_class({"name": "张三"})
    assert form.is_valid()
    return form


def _raise(exc):
    def action():
        raise exc

    return action


def test_submit_returns_the_result_and_leaves_the_form_clean():
    form = _valid_form()
    assert submit(form, lambda: "已保存") == "已保存"
    assert form.errors == {}


def test_submit_puts_a_field_error_next_to_its_field():
    form = _valid_form()
    result = submit(form, _raise(ValidationError({"name": "姓名已登记"})))
    assert result is None
    assert form.errors == {"name": ["姓名已登记"]}


def test_submit_puts_an_unknown_key_and_a_plain_error_at_the_top():
    form = _valid_form()
    submit(form, _raise(ValidationError({"no_such_field": "第一条"})))
    submit(form, _raise(ValidationError(["第二条", "第三条"])))
    assert form.non_field_errors() == ["第一条", "第二条", "第三条"]
    assert "name" not in form.errors


def test_submit_uses_the_forms_own_placement_when_it_has_one():
    form = _valid_form(_OwnErrorsForm)
    exc = ValidationError({"name": "姓名已登记"})
    assert submit(form, _raise(exc)) is None
    assert form.placed == [exc]
    assert form.errors == {"__all__": ["自己的放置"]}


def test_submit_makes_a_rule_violation_a_form_error(request_):
    form = _valid_form()
    assert submit(form, _raise(RuleViolation("本月已锁定"))) is None
    assert form.non_field_errors() == ["本月已锁定"]
    assert list(get_messages(request_)) == []


def test_submit_given_the_request_makes_a_rule_violation_a_message(request_):
    form = _valid_form()
    assert submit(form, _raise(RuleViolation("本月已锁定")), request=request_) is None
    assert form.errors == {}
    stored = list(get_messages(request_))
    assert [(m.level_tag, str(m)) for m in stored] == [("error", "本月已锁定")]


def test_submit_given_the_request_still_puts_validation_errors_on_the_form(request_):
    form = _valid_form()
    submit(form, _raise(ValidationError({"name": "姓名已登记"})), request=request_)
    assert form.errors == {"name": ["姓名已登记"]}
    assert list(get_messages(request_)) == []


def test_submit_lets_permission_denied_through():
    form = _valid_form()
    with pytest.raises(PermissionDenied):
        submit(form, _raise(PermissionDenied()))
    assert form.errors == {}
