"""Audit-contract scenarios for core's scheduled housekeeping (see ``audit_contract.py``)."""

import datetime

from django.utils import timezone

from core.tests.audit_contract import Expect, scenario


@scenario("auth.throttle_purge")
def _throttle_purge() -> Expect:
    from core.auth import login_throttles_purge
    from core.models import LoginThrottle

    long_ago = timezone.now() - datetime.timedelta(days=30)
    LoginThrottle.objects.create(scope="user", key="nobody", failures=2, last_failure_at=long_ago)
    assert login_throttles_purge() == 1
    return Expect(actor=None, obj=None)
