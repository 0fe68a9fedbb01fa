"""Audit-contract scenarios of the dashboard (see ``core/tests/audit_contract.py``): the monthly
bulletin and the city-scale demo seed.

A bulletin is drafted from a month's progress snapshot; the scenarios compute it with the real
``report_compute`` (its ``progress_report.compute`` row is the set-up's, declared in ``also``:
the snapshot's rows cannot be written faithfully by hand).
"""

from __future__ import annotations

import datetime
import io

from core.roles import Role
from core.tests.audit_contract import Expect, scenario
from core.tests.factories import user_with_role

MONTH = datetime.date(2013, 3, 1)
SNAPSHOT = "progress_report.compute"  # written by the set-up, not by the action under test


def _campaign():
    from training.models import Campaign

    return Campaign.objects.current()


def _snapshot():
    from training.services.reports import report_compute

    return report_compute(campaign=_campaign(), month=MONTH, actor=None)


def _draft(actor):
    """The month's draft as ``bulletin_draft`` leaves it, written without its audit row."""
    from dashboard.models import Bulletin
    from dashboard.services import _content_fields

    run = _snapshot()
    return Bulletin.objects.create(
        campaign=run.campaign, month=MONTH, created_by=actor, **_content_fields(run)
    )


@scenario("bulletin.draft")
def _bulletin_draft() -> Expect:
    from dashboard.services import bulletin_draft

    office = user_with_role(Role.OFFICE)
    _snapshot()
    bulletin = bulletin_draft(campaign=_campaign(), month=MONTH, actor=office)
    return Expect(actor=office, obj=bulletin, also=(SNAPSHOT,))


def _publish():
    from dashboard.services import bulletin_publish

    office = user_with_role(Role.OFFICE)
    bulletin = bulletin_publish(bulletin=_draft(office), actor=office)
    return office, bulletin


@scenario("bulletin.publish")
def _bulletin_publish() -> Expect:
    office, bulletin = _publish()
    return Expect(actor=office, obj=bulletin, also=(SNAPSHOT, "progress_report.publish"))


@scenario("progress_report.publish")
def _progress_report_publish() -> Expect:
    office, bulletin = _publish()
    return Expect(actor=office, obj=bulletin.report_run, also=(SNAPSHOT, "bulletin.publish"))


@scenario("bulletin.download")
def _bulletin_download() -> Expect:
    from dashboard.services import bulletin_export

    office = user_with_role(Role.OFFICE)
    bulletin = _draft(office)
    target = io.BytesIO()
    bulletin_export(bulletin=bulletin, actor=office, target=target)
    assert target.getvalue()
    return Expect(actor=office, obj=bulletin, also=(SNAPSHOT,))


@scenario("demo.seed_city")
def _demo_seed_city() -> Expect:
    """``seed_demo --scale 0.001``: the demo accounts (``user.create``) and the city-scale bulk
    part, which writes ``demo.seed_city``. The per-app seeders that ``seed_city`` runs first, and
    the monthly snapshots it runs last, are stubbed: each writes its own ``demo.seed_*`` code,
    covered by its own scenario, and with them this call took 17 s instead of 1.3 s."""
    from unittest import mock

    from dashboard import demo
    from dashboard.demo_city import seed_city

    with (
        mock.patch.object(demo, "_load_seeders", return_value=[]),
        mock.patch.object(demo, "seed_reports"),
    ):
        seed_city(fraction=0.001, log=lambda _line: None)
    return Expect(actor=None, obj=_campaign(), also=("user.create",))
