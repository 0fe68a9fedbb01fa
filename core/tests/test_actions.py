"""core.actions.perform: the POST button's one shape — a refusal is a message, never a change."""

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory

from core.actions import perform
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
