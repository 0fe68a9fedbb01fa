"""The audit workbook's 补贴发放 sheet and the home-page money panel: rows, masking, constant
queries."""

import datetime
from decimal import Decimal

import pytest

from core.exports import audit_exporter_classes
from core.roles import Role
from core.tests.factories import user_with_role
from subsidies.exports import SubsidyPaymentsExporter
from subsidies.selectors.reports import home_panel
from subsidies.services.notices import mask_name
from subsidies.tests.factories import frozen, media, reviewer  # noqa: F401 (fixtures)
from subsidies.tests.money import batch_of, pay_all, ready, submitted

pytestmark = pytest.mark.django_db


def test_sheet_is_registered_in_order():
    names = [cls.sheet_name for cls in audit_exporter_classes()]
    assert "补贴发放" in names
    assert SubsidyPaymentsExporter in audit_exporter_classes()


def _rows(plan, user):
    exporter = SubsidyPaymentsExporter(campaign=plan, user=user)
    return list(exporter.iter_rows()), exporter


def test_rows_carry_batch_status_and_paid_date_masked_for_the_office(plan, time_machine):
    paid, waiting = ready(plan, time_machine, count=2)
    batch = batch_of([paid])
    pay_all(batch)
    lodged = submitted(plan)
    rows, exporter = _rows(plan, user_with_role(Role.OFFICE))
    assert exporter.row_count() == 3
    by_number = {row[0]: row for row in rows}
    row = by_number[paid.number]
    assert len(row) == len(SubsidyPaymentsExporter.headers)
    assert row[1] == "培训补贴"
    assert row[2] == mask_name(paid.worker.name)
    assert row[3] == paid.worker.id_number_masked
    assert row[5] == "本人账户"
    assert row[7] == paid.account_masked
    assert row[8] == paid.amount
    assert row[9] == "已发放"
    assert row[10] == batch.number
    assert isinstance(row[11], datetime.date)
    assert by_number[waiting.number][9] == "待拨付"
    assert by_number[waiting.number][10] == ""
    assert by_number[lodged.number][11] is None


def test_reviewer_sees_full_names_and_ids(plan):
    claim = submitted(plan)
    rows, _exporter = _rows(plan, reviewer())
    assert rows[0][2] == claim.worker.name
    assert rows[0][3] != claim.worker.id_number_masked
    assert len(rows[0][3]) == 18


def test_export_queries_are_constant(plan, time_machine, django_assert_max_num_queries):
    claims = ready(plan, time_machine, count=3)
    pay_all(batch_of(claims[:2]))
    submitted(plan)
    exporter = SubsidyPaymentsExporter(campaign=plan, user=user_with_role(Role.OFFICE))
    with django_assert_max_num_queries(2):
        rows = list(exporter.iter_rows())
    assert len(rows) == 4


def test_home_panel_money_by_kind_and_department(plan, time_machine, django_assert_max_num_queries):
    paid, committed = ready(plan, time_machine, count=2)
    pay_all(batch_of([paid]))
    submitted(plan)  # not yet approved: not committed
    office = user_with_role(Role.OFFICE)
    with django_assert_max_num_queries(2):
        panel = home_panel(user=office, campaign=plan)
    assert panel["committed"] == paid.amount + committed.amount
    assert panel["paid"] == paid.amount
    training = next(row for row in panel["by_kind"] if row["label"] == "培训补贴")
    assert training["committed_count"] == 2
    assert training["paid_count"] == 1
    department = paid.enrollment.training_class.category.department.name
    (row,) = [r for r in panel["by_department"] if r["label"] == department]
    assert row["paid"] == paid.amount
    assert sum((r["committed"] for r in panel["by_department"]), Decimal(0)) == panel["committed"]


def test_home_page_shows_the_panel(client, plan, time_machine):
    (claim,) = ready(plan, time_machine)
    client.force_login(user_with_role(Role.OFFICE))
    body = client.get("/").content.decode()
    assert 'id="panel-subsidies"' in body
    assert str(claim.amount) in body
