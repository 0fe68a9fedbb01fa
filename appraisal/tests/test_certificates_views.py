"""The public certificate check, the worker's certificates, and the authorization sweep over
every appraisal URL."""

import datetime

import pytest
from django.urls import URLPattern, get_resolver, reverse

from appraisal import selectors
from appraisal.models import Certificate, Level
from appraisal.tests.appraisal_builders import (  # noqa: F401  (fixtures)
    EXAM_DAY,
    frozen,
    full_id,
    make_body,
    occupation,
    trained_worker,
)

pytestmark = pytest.mark.django_db

CHECK = "appraisal:certificate_check"


@pytest.fixture
def certificate(plan):
    worker = trained_worker(plan, name="李春花")
    return Certificate.objects.create(
        number="XC2014000100001",
        kind="qualification",
        worker=worker,
        occupation=occupation(),
        level=Level.SENIOR,
        issued_on=EXAM_DAY,
        body=make_body(),
        issuer_name="许昌市职业技能鉴定中心",
    )


def test_public_check_confirms_a_valid_certificate_without_login(client, certificate):
    response = client.post(reverse(CHECK), {"number": certificate.number, "name": "李春花"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "证书有效" in page
    assert occupation().name in page
    assert "高级工" in page
    assert "2014年3月20日" in page
    assert "许昌市职业技能鉴定中心" in page
    # Nothing about the person beyond what was typed.
    assert certificate.worker.id_number_masked not in page
    assert full_id(certificate.worker) not in page


def test_public_check_number_is_case_and_space_tolerant(client, certificate):
    response = client.post(reverse(CHECK), {"number": " xc2014000100001 ", "name": " 李春花 "})
    assert "证书有效" in response.content.decode()


@pytest.mark.parametrize(
    ("number", "name"),
    [("XC2014000100001", "李春"), ("XC2014000100002", "李春花"), ("XC2014000100001", "王五")],
)
def test_unknown_number_and_wrong_name_get_the_same_answer(client, certificate, number, name):
    response = client.post(reverse(CHECK), {"number": number, "name": name})
    page = response.content.decode()
    assert response.status_code == 200
    assert "未查到与该姓名匹配的证书" in page
    assert "证书有效" not in page
    assert occupation().name not in page
    assert "李春花" not in page or name == "李春花"


def test_the_check_page_opens_for_anyone_and_refuses_an_empty_form(client, plan):
    assert client.get(reverse(CHECK)).status_code == 200
    assert client.post(reverse(CHECK), {"number": "", "name": ""}).status_code == 400


def test_verify_selector_returns_only_the_certificate_facts(certificate):
    found = selectors.certificate_verify(number=certificate.number, name="李春花")
    assert found is not None
    assert set(found.__dataclass_fields__) == {
        "number",
        "kind",
        "occupation",
        "level",
        "issued_on",
        "issuer",
    }
    assert selectors.certificate_verify(number=certificate.number, name="") is None
    assert selectors.certificate_verify(number="", name="李春花") is None


def test_certificates_for_worker_newest_first(certificate):
    older = Certificate.objects.create(
        number="XC2013000100001",
        kind="special",
        worker=certificate.worker,
        occupation=occupation("ZY002"),
        level=Level.JUNIOR,
        issued_on=datetime.date(2013, 10, 1),
        issuer_name="某站",
    )
    assert list(selectors.certificates_for_worker(certificate.worker)) == [certificate, older]


def test_worker_page_lists_their_certificates(client, certificate):
    client.force_login(certificate.worker.user)
    page = client.get(reverse("appraisal:my_appraisals")).content.decode()
    assert certificate.number in page
    assert "职业资格证书" in page


def _appraisal_patterns():
    resolver = get_resolver()
    for pattern in resolver.url_patterns:
        if getattr(pattern, "namespace", None) == "appraisal":
            for inner in pattern.url_patterns:
                if isinstance(inner, URLPattern):
                    yield inner


def test_every_appraisal_view_declares_who_may_enter():
    patterns = list(_appraisal_patterns())
    assert patterns
    undeclared = [
        p.name
        for p in patterns
        if not (
            getattr(p.callback, "allowed_roles", None) or getattr(p.callback, "is_public", False)
        )
    ]
    assert undeclared == []
    public = sorted(p.name for p in patterns if getattr(p.callback, "is_public", False))
    assert "certificate_check" in public
