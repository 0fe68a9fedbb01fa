"""Permission matrix of the subsidies pages: anonymous → login; wrong role → 403; another
worker's or institution's objects → 404 (not found, nothing revealed); the right role → 200."""

import pytest
from django.urls import reverse

from core.roles import Role
from core.tests.factories import user_with_role
from subsidies.models import SubsidyClaim
from subsidies.services import institution_claims as inst_svc
from subsidies.tests.factories import (  # noqa: F401 (fixtures)
    HOME,
    OTHER,
    entrust,
    frozen,
    give_account,
    institution,
    make_worker,
    media,
    office,
    staff_of,
    submit_own,
    trainee,
)

pytestmark = pytest.mark.django_db

WORKER_PAGES = ["subsidies:worker_home", "subsidies:worker_claims"]
INSTITUTION_PAGES = [
    "subsidies:institution_trainees",
    "subsidies:institution_shortage",
    "subsidies:institution_claims",
]


@pytest.mark.parametrize("name", WORKER_PAGES + INSTITUTION_PAGES + ["subsidies:standard_list"])
def test_anonymous_is_sent_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


@pytest.mark.parametrize("role", [Role.INSTITUTION, Role.REVIEWER, Role.FINANCE, Role.OFFICE])
@pytest.mark.parametrize("name", WORKER_PAGES)
def test_worker_pages_refuse_other_roles(client, plan, role, name):
    kwargs = {"institution": institution(HOME)} if role == Role.INSTITUTION else {}
    client.force_login(user_with_role(role, **kwargs))
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("role", [Role.WORKER, Role.REVIEWER, Role.FINANCE, Role.OFFICE])
@pytest.mark.parametrize("name", INSTITUTION_PAGES)
def test_institution_pages_refuse_other_roles(client, plan, role, name):
    client.force_login(user_with_role(role))
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("role", [Role.WORKER, Role.INSTITUTION, Role.CLERK])
def test_standards_page_refuses_others(client, plan, role):
    kwargs = {"institution": institution(HOME)} if role == Role.INSTITUTION else {}
    client.force_login(user_with_role(role, **kwargs))
    assert client.get(reverse("subsidies:standard_list")).status_code == 403


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.FINANCE, Role.AUDITOR])
def test_readers_see_standards_but_cannot_set_them(client, plan, role):
    client.force_login(user_with_role(role))
    page = client.get(reverse("subsidies:standard_list"))
    assert page.status_code == 200
    assert 'id="standard-form"' not in page.content.decode()
    response = client.post(
        reverse("subsidies:standard_create"),
        {"kind": "training", "amount": "1", "effective_from": "2014-05-01"},
    )
    assert response.status_code == 403


def test_worker_cannot_see_or_touch_another_workers_claim(client, plan):
    mine = trainee(plan)
    theirs = trainee(plan)
    claim = submit_own(theirs)
    client.force_login(mine.worker.user)
    for name in ("subsidies:worker_claim",):
        assert client.get(reverse(name, args=[claim.pk])).status_code == 404
    for name in (
        "subsidies:worker_claim_account",
        "subsidies:worker_claim_withdraw",
        "subsidies:worker_claim_resubmit",
    ):
        response = client.post(
            reverse(name, args=[claim.pk]),
            {"holder_name": mine.worker.name, "bank_name": "x", "account": "6222021234567890128"},
        )
        assert response.status_code == 404
    claim.refresh_from_db()
    assert claim.status == "submitted"
    assert claim.version == 1


def test_worker_cannot_apply_for_or_entrust_another_workers_training(client, plan):
    mine = trainee(plan)
    theirs = trainee(plan)
    client.force_login(mine.worker.user)
    for name in ("subsidies:apply_training", "subsidies:entrust"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
        assert client.post(reverse(name, args=[theirs.pk]), {}).status_code == 404
    cert = theirs.worker.certificates.get()
    assert client.get(reverse("subsidies:apply_appraisal", args=[cert.pk])).status_code == 404
    assert not SubsidyClaim.objects.exists()


def test_worker_list_shows_only_their_claims(client, plan):
    mine = trainee(plan)
    theirs = trainee(plan)
    own_claim = submit_own(mine)
    other_claim = submit_own(theirs)
    client.force_login(mine.worker.user)
    page = client.get(reverse("subsidies:worker_claims")).content.decode()
    assert own_claim.number in page
    assert other_claim.number not in page


def test_institution_sees_only_its_trainees_and_claims(client, plan):
    home = give_account(institution(HOME))
    other = give_account(institution(OTHER))
    ours = trainee(plan, inst=home)
    theirs = trainee(plan, inst=other)
    entrust(ours)
    entrust(theirs)
    (their_row,) = inst_svc.institution_claims_submit(
        institution=other, enrollment_ids=[theirs.pk], actor=staff_of(other)
    )
    client.force_login(staff_of(home))
    page = client.get(reverse("subsidies:institution_trainees")).content.decode()
    assert f'id="enrollment-{ours.pk}"' in page
    assert f'id="enrollment-{theirs.pk}"' not in page
    claims_page = client.get(reverse("subsidies:institution_claims")).content.decode()
    assert their_row.claim.number not in claims_page
    detail = reverse("subsidies:institution_claim", args=[their_row.claim.pk])
    assert client.get(detail).status_code == 404
    # Ticking another institution's trainee (a forged id) claims nothing.
    response = client.post(reverse("subsidies:institution_trainees"), {"ids": [theirs.pk]})
    assert response.status_code == 400
    assert SubsidyClaim.objects.count() == 1


def test_office_sets_a_standard_on_the_page(client, plan):
    client.force_login(office())
    response = client.post(
        reverse("subsidies:standard_create"),
        {
            "kind": "training",
            "training_kind": "employment",
            "amount": "800",
            "effective_from": "2014-05-01",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("subsidies:standard_list")).content.decode()
    assert "800.00" in page
    assert "2014-04-30" in page


def test_right_roles_open_their_pages(client, plan):
    home = give_account(institution(HOME))
    enrollment = trainee(plan, inst=home)
    entrust(enrollment)
    (row,) = inst_svc.institution_claims_submit(
        institution=home, enrollment_ids=[enrollment.pk], actor=staff_of(home)
    )
    client.force_login(enrollment.worker.user)
    for url in (
        reverse("subsidies:worker_home"),
        reverse("subsidies:worker_claims"),
        reverse("subsidies:worker_claim", args=[row.claim.pk]),
        reverse("subsidies:entrust", args=[enrollment.pk]),
        reverse("subsidies:apply_appraisal", args=[enrollment.worker.certificates.get().pk]),
    ):
        assert client.get(url).status_code == 200, url
    client.force_login(staff_of(home))
    for url in (
        reverse("subsidies:institution_trainees"),
        reverse("subsidies:institution_shortage"),
        reverse("subsidies:institution_claims"),
        reverse("subsidies:institution_claim", args=[row.claim.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    assert row.claim.number in response.content.decode()
    client.force_login(office())
    assert client.get(reverse("subsidies:standard_list")).status_code == 200
