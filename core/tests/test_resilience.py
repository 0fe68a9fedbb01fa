"""Unit tests of the failure plumbing (the real outages are in test_failure_*.py)."""

import pytest
from django.db import InterfaceError, OperationalError
from django.test import RequestFactory

from core.faults import fault_injected, fault_point
from core.resilience import DatabaseUnavailableMiddleware


def _middleware():
    return DatabaseUnavailableMiddleware(lambda request: None)


@pytest.mark.parametrize("error", [OperationalError("server closed"), InterfaceError("closed")])
def test_lost_database_connection_becomes_a_chinese_503_with_retry_after(error):
    response = _middleware().process_exception(RequestFactory().post("/x/"), error)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "数据库连接中断" in page
    assert "没有保存一半的数据" in page


def test_other_exceptions_are_left_to_django():
    assert _middleware().process_exception(RequestFactory().get("/"), ValueError("x")) is None


def test_middleware_is_installed_last():
    from django.conf import settings

    assert settings.MIDDLEWARE[-1] == "core.resilience.DatabaseUnavailableMiddleware"


def test_fault_points_are_inert_unless_injected(monkeypatch, tmp_path):
    monkeypatch.delenv("XUCHANG_FAULT_POINT", raising=False)
    fault_point("audit_record", action="x")  # nothing happens
    seen = []
    with fault_injected("audit_record", lambda **info: seen.append(info)):
        fault_point("audit_record", action="monthly_return.save")
        fault_point("report_compute.rows_written")
    fault_point("audit_record", action="after")
    assert seen == [{"action": "monthly_return.save"}]


def test_fault_point_from_the_environment_marks_and_sleeps(monkeypatch, tmp_path):
    marker = tmp_path / "reached"
    monkeypatch.setenv("XUCHANG_FAULT_POINT", "report_compute.rows_written")
    monkeypatch.setenv("XUCHANG_FAULT_MARKER", str(marker))
    monkeypatch.setenv("XUCHANG_FAULT_SLEEP", "0")
    fault_point("audit_record", action="x")
    assert not marker.exists()
    fault_point("report_compute.rows_written")
    assert marker.read_text(encoding="utf-8") == "report_compute.rows_written"
