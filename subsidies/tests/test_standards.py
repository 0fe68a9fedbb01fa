"""Standards and windows: the plan's values loaded idempotently, the most specific standard on the
reference date, a new standard ending the old one, overlaps refused, office only."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import RuleViolation
from subsidies.models import ClaimWindow, SubsidyStandard
from subsidies.services import standards as svc
from subsidies.tests.factories import (  # noqa: F401 (fixtures)
    frozen,
    media,
    occupation,
    office,
    reviewer,
)
from training.services.plan import plan_load

pytestmark = pytest.mark.django_db
D = datetime.date


def test_plan_loads_standards_and_windows_idempotently(plan):
    shortage = SubsidyStandard.objects.filter(kind="shortage")
    assert sorted(shortage.values_list("level", flat=True)) == [1, 2]
    assert {s.amount for s in shortage} == {Decimal("2000.00")}
    assert SubsidyStandard.objects.filter(kind="training").count() == 2
    assert ClaimWindow.objects.count() == 3
    again = plan_load()
    assert not again.created.get("subsidy_standards")
    assert not again.updated.get("subsidy_standards")
    assert not again.created.get("subsidy_windows")


def test_most_specific_standard_wins(plan):
    occ = occupation()
    general = svc.standard_for(
        campaign=plan,
        kind="training",
        on=D(2014, 3, 1),
        occupation_id=occ.pk,
        training_kind="employment",
    )
    specific = svc.standard_set(
        campaign=plan,
        kind="training",
        occupation=occ,
        training_kind="employment",
        amount="900",
        effective_from=D(2014, 1, 1),
        actor=office(),
    )
    found = svc.standard_for(
        campaign=plan,
        kind="training",
        on=D(2014, 3, 1),
        occupation_id=occ.pk,
        training_kind="employment",
    )
    assert found == specific != general
    # Before the specific one starts, the general one applies.
    assert (
        svc.standard_for(
            campaign=plan,
            kind="training",
            on=D(2013, 12, 31),
            occupation_id=occ.pk,
            training_kind="employment",
        )
        == general
    )


def test_new_standard_ends_the_old_one_the_day_before(plan):
    old = SubsidyStandard.objects.get(kind="training", training_kind="employment")
    new = svc.standard_set(
        campaign=plan,
        kind="training",
        training_kind="employment",
        amount="700.005",
        effective_from=D(2014, 6, 1),
        actor=office(),
    )
    old.refresh_from_db()
    assert old.effective_to == D(2014, 5, 31)
    assert new.amount == Decimal("700.01")  # ROUND_HALF_UP
    on_31 = svc.standard_for(
        campaign=plan, kind="training", on=D(2014, 5, 31), training_kind="employment"
    )
    on_1 = svc.standard_for(
        campaign=plan, kind="training", on=D(2014, 6, 1), training_kind="employment"
    )
    assert (on_31, on_1) == (old, new)


def test_overlapping_standard_is_refused(plan):
    svc.standard_set(
        campaign=plan,
        kind="appraisal",
        level=5,
        amount="160",
        effective_from=D(2014, 6, 1),
        effective_to=D(2014, 8, 31),
        actor=office(),
    )
    with pytest.raises(RuleViolation, match="重叠"):
        svc.standard_set(
            campaign=plan,
            kind="appraisal",
            level=5,
            amount="170",
            effective_from=D(2014, 5, 1),
            effective_to=D(2014, 6, 1),
            actor=office(),
        )


def test_zero_amount_is_refused(plan):
    with pytest.raises(RuleViolation):
        svc.standard_set(
            campaign=plan,
            kind="appraisal",
            amount="0",
            effective_from=D(2014, 6, 1),
            actor=office(),
        )


def test_only_the_office_sets_standards_and_windows(plan):
    with pytest.raises(PermissionDenied):
        svc.standard_set(
            campaign=plan,
            kind="appraisal",
            amount="1",
            effective_from=D(2014, 6, 1),
            actor=reviewer(),
        )
    with pytest.raises(PermissionDenied):
        svc.window_set(
            campaign=plan,
            kind="training",
            opens_on=D(2015, 1, 1),
            closes_on=D(2015, 1, 31),
            actor=reviewer(),
        )


def test_windows_may_not_overlap_and_the_closing_day_counts(plan):
    with pytest.raises(RuleViolation, match="重叠"):
        svc.window_set(
            campaign=plan,
            kind="training",
            opens_on=D(2014, 12, 31),
            closes_on=D(2015, 1, 31),
            actor=office(),
        )
    window = svc.window_set(
        campaign=plan,
        kind="training",
        opens_on=D(2015, 1, 1),
        closes_on=D(2015, 1, 31),
        actor=office(),
    )
    assert svc.window_open(campaign=plan, kind="training", on=D(2015, 1, 31)) == window
    assert svc.window_open(campaign=plan, kind="training", on=D(2015, 2, 1)) is None
    svc.window_close(window=window, closes_on=D(2015, 1, 15), actor=office())
    assert svc.window_open(campaign=plan, kind="training", on=D(2015, 1, 16)) is None


def test_pages_set_end_and_refuse_with_400(client, plan):
    from django.urls import reverse

    client.force_login(office())
    url = reverse("subsidies:window_create")
    clash = client.post(
        url, {"kind": "training", "opens_on": "2014-12-01", "closes_on": "2015-01-31"}
    )
    assert clash.status_code == 400
    assert "重叠" in clash.content.decode()
    bad = client.post(url, {"kind": "training", "opens_on": "2015-01-01", "closes_on": ""})
    assert bad.status_code == 400
    ok = client.post(url, {"kind": "training", "opens_on": "2015-01-01", "closes_on": "2015-01-31"})
    assert ok.status_code == 302
    standard = SubsidyStandard.objects.get(kind="appraisal", level=5)
    end_url = reverse("subsidies:standard_end", args=[standard.pk])
    client.post(end_url, {"effective_to": "2014-06-30"})
    standard.refresh_from_db()
    assert standard.effective_to == D(2014, 6, 30)
    negative = client.post(
        reverse("subsidies:standard_create"),
        {"kind": "appraisal", "amount": "-5", "effective_from": "2014-07-01"},
    )
    assert negative.status_code == 400
    assert SubsidyStandard.objects.filter(kind="appraisal", level=None).count() == 0
