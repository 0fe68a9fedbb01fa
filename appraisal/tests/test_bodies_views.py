"""Body, authorisation, staff and level-rule pages: permission matrix, forms, query bound."""

import pytest
from django.urls import reverse

from appraisal.models import AppraisalBody, BodyAuthorisation, LevelRule
from appraisal.tests.appraisal_builders import (  # noqa: F401  (fixtures)
    auditor,
    clerk,
    frozen,
    institution_staff,
    make_body,
    make_worker,
    occupation,
    office,
    reviewer,
)

pytestmark = pytest.mark.django_db


def _users():
    return {
        "anonymous": None,
        "worker": make_worker(with_login=True).user,
        "clerk": clerk(),
        "institution": institution_staff(),
        "reviewer": reviewer(),
        "office": office(),
        "auditor": auditor(),
    }


def _status(client, user, method, url, data=None):
    client.logout()
    if user is not None:
        client.force_login(user)
    response = getattr(client, method)(url, data or {})
    return response.status_code


READ = {
    "anonymous": 302,
    "worker": 403,
    "clerk": 403,
    "institution": 403,
    "reviewer": 200,
    "office": 200,
    "auditor": 200,
}
MANAGE = {**READ, "office": 403, "auditor": 403}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("body_list", READ),
        ("body_create", MANAGE),
        ("body_detail", READ),
        ("body_edit", MANAGE),
        ("body_staff", MANAGE),
        ("level_rule_list", READ),
        ("level_rule_edit", {**READ, "auditor": 403}),
    ],
)
def test_permission_matrix_get(client, plan, name, expected):
    body = make_body()
    args = {
        "body_detail": [body.pk],
        "body_edit": [body.pk],
        "body_staff": [body.pk],
        "level_rule_edit": [5],
    }.get(name, [])
    url = reverse(f"appraisal:{name}", args=args)
    users = _users()
    got = {role: _status(client, user, "get", url) for role, user in users.items()}
    assert got == expected


@pytest.mark.parametrize("name", ["authorisation_set", "authorisation_remove", "body_delete"])
def test_permission_matrix_post(client, plan, name):
    body = make_body()
    authorisation = body.authorisations.get()
    url = reverse(
        f"appraisal:{name}",
        args=[authorisation.pk if name == "authorisation_remove" else body.pk],
    )
    got = {
        role: _status(client, user, "post", url, {"occupation": "", "max_level": ""})
        for role, user in _users().items()
        if role != "reviewer"
    }
    assert got == {
        "anonymous": 302,
        "worker": 403,
        "clerk": 403,
        "institution": 403,
        "office": 403,
        "auditor": 403,
    }
    assert BodyAuthorisation.objects.filter(pk=authorisation.pk).exists()
    client.force_login(reviewer())
    assert client.post(url, {"occupation": "", "max_level": ""}).status_code in (302, 400)


def test_unknown_body_is_404(client, plan):
    client.force_login(reviewer())
    assert client.get(reverse("appraisal:body_detail", args=[999])).status_code == 404
    assert client.get(reverse("appraisal:level_rule_edit", args=[9])).status_code == 404


def test_create_a_body_then_authorise_it(client, plan):
    client.force_login(reviewer())
    response = client.post(
        reverse("appraisal:body_create"),
        {"name": "禹州市职业技能鉴定站", "address": "禹州市", "is_active": "on"},
    )
    body = AppraisalBody.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("appraisal:body_detail", args=[body.pk])
    response = client.post(
        reverse("appraisal:authorisation_set", args=[body.pk]),
        {"occupation": occupation().pk, "max_level": 2},
    )
    assert response.status_code == 302
    assert body.authorisations.get().max_level == 2
    page = client.get(reverse("appraisal:body_detail", args=[body.pk])).content.decode()
    assert "技师" in page
    assert occupation().name in page


def test_invalid_body_form_rerenders_with_400(client, plan):
    make_body("某站")
    client.force_login(reviewer())
    response = client.post(reverse("appraisal:body_create"), {"name": "某站"})
    assert response.status_code == 400
    assert "已有同名的鉴定机构" in response.content.decode()


def test_invalid_authorisation_rerenders_detail_with_400(client, plan):
    body = make_body()
    client.force_login(reviewer())
    response = client.post(
        reverse("appraisal:authorisation_set", args=[body.pk]), {"occupation": "", "max_level": 3}
    )
    assert response.status_code == 400


def test_remove_authorisation(client, plan):
    body = make_body()
    client.force_login(reviewer())
    response = client.post(
        reverse("appraisal:authorisation_remove", args=[body.authorisations.get().pk])
    )
    assert response.status_code == 302
    assert not body.authorisations.exists()


def test_set_staff_through_the_page(client, plan):
    body = make_body()
    colleague = reviewer()
    client.force_login(reviewer())
    response = client.post(
        reverse("appraisal:body_staff", args=[body.pk]), {"staff": [colleague.pk]}
    )
    assert response.status_code == 302
    assert list(body.staff.all()) == [colleague]
    # Only reviewers are offered: a clerk's id is not a valid choice.
    response = client.post(reverse("appraisal:body_staff", args=[body.pk]), {"staff": [clerk().pk]})
    assert response.status_code == 400


def test_office_edits_a_level_rule(client, plan):
    client.force_login(office())
    response = client.post(
        reverse("appraisal:level_rule_edit", args=[4]),
        {"requires_completed_class": "on", "min_years_in_trade": "1"},
    )
    assert response.status_code == 302
    rule = LevelRule.objects.get(level=4)
    assert rule.requires_completed_class
    assert not rule.requires_lower_certificate
    assert rule.min_years_in_trade == 1
    response = client.post(
        reverse("appraisal:level_rule_edit", args=[5]),
        {"requires_lower_certificate": "on", "min_years_in_trade": "0"},
    )
    assert response.status_code == 400


def test_body_list_query_count_does_not_grow(client, plan, django_assert_max_num_queries):
    user = reviewer()
    client.force_login(user)
    make_body("站1")
    with django_assert_max_num_queries(8):
        small = client.get(reverse("appraisal:body_list"))
    for n in range(2, 12):
        body = make_body(f"站{n}")
        body.staff.add(reviewer())
    with django_assert_max_num_queries(8):
        large = client.get(reverse("appraisal:body_list"))
    assert small.status_code == large.status_code == 200
    assert "站11" in large.content.decode()
