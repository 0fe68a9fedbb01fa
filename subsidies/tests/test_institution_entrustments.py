"""Institution pages for a trainee's paper entrustment (登记纸质委托书) and for withdrawing a
claim the institution submitted: happy paths, refusals that write nothing, scoping (another
institution's trainee or claim is not found) and roles."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditEvent
from core.roles import Role
from core.tests.factories import user_with_role
from subsidies.models import Entrustment, SubsidyClaim
from subsidies.services import institution_claims as inst_svc
from subsidies.tests.factories import (  # noqa: F401 (fixtures)
    HOME,
    OTHER,
    PDF,
    entrust,
    frozen,
    give_account,
    institution,
    media,
    set_status,
    staff_of,
    submit_own,
    trainee,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def home():
    return give_account(institution(HOME))


def _record_url(enrollment) -> str:
    return reverse("subsidies:institution_entrustment_record", args=[enrollment.pk])


def _post(client, enrollment, *, name="委托书.pdf", content=PDF, signed_on="2014-03-01"):
    return client.post(
        _record_url(enrollment),
        {"signed_on": signed_on, "document": SimpleUploadedFile(name, content)},
    )


def _entrust_audits() -> int:
    return AuditEvent.objects.filter(action="subsidies.entrustment.create").count()


# ------------------------------------------------------------------- recording an entrustment


def test_trainee_list_links_unentrusted_trainee_but_not_one_with_own_claim(client, plan, home):
    free = trainee(plan, inst=home, name="王一")
    claimed = trainee(plan, inst=home, name="王二")
    submit_own(claimed)
    client.force_login(staff_of(home))
    page = client.get(reverse("subsidies:institution_trainees")).content.decode()
    assert _record_url(free) in page
    assert _record_url(claimed) not in page
    assert "本人已申请" in page


def test_staff_record_a_paper_entrustment(client, plan, home):
    enrollment = trainee(plan, inst=home)
    client.force_login(staff_of(home))
    assert client.get(_record_url(enrollment)).status_code == 200
    response = _post(client, enrollment)
    assert response.status_code == 302
    entrustment = Entrustment.objects.get()
    assert entrustment.enrollment == enrollment
    assert entrustment.worker == enrollment.worker
    assert entrustment.institution == home
    assert entrustment.status == Entrustment.Status.ACTIVE
    assert str(entrustment.signed_on) == "2014-03-01"
    with entrustment.document.open("rb") as stored:
        assert stored.read() == PDF
    assert _entrust_audits() == 1
    # The trainee now appears among the entrusted ones, ready to be ticked and claimed.
    page = client.get(reverse("subsidies:institution_trainees")).content.decode()
    assert f'id="tick-{enrollment.pk}"' in page
    assert _record_url(enrollment) not in page


def test_a_file_of_another_type_is_refused_in_chinese(client, plan, home):
    enrollment = trainee(plan, inst=home)
    client.force_login(staff_of(home))
    response = _post(client, enrollment, name="委托书.docx", content=b"PK\x03\x04 docx")
    assert response.status_code == 400
    assert "委托书只接受 PDF、JPG 或 PNG 格式" in response.content.decode()
    assert not Entrustment.objects.exists()
    assert _entrust_audits() == 0


def test_a_pdf_name_on_other_content_is_refused(client, plan, home):
    enrollment = trainee(plan, inst=home)
    client.force_login(staff_of(home))
    response = _post(client, enrollment, content=b"<html>not a pdf</html>")
    assert response.status_code == 400
    assert "文件内容与扩展名不符" in response.content.decode()
    assert not Entrustment.objects.exists()


def test_a_signing_date_in_the_future_is_refused(client, plan, home):
    enrollment = trainee(plan, inst=home)
    client.force_login(staff_of(home))
    response = _post(client, enrollment, signed_on="2014-03-04")
    assert response.status_code == 400
    assert "签署日期不能晚于今天" in response.content.decode()
    assert not Entrustment.objects.exists()
    assert _entrust_audits() == 0


def test_a_missing_file_is_a_field_error(client, plan, home):
    enrollment = trainee(plan, inst=home)
    client.force_login(staff_of(home))
    response = client.post(_record_url(enrollment), {"signed_on": "2014-03-01"})
    assert response.status_code == 400
    assert "is-invalid" in response.content.decode()
    assert not Entrustment.objects.exists()


def test_a_trainee_with_own_live_claim_is_refused_with_the_reason(client, plan, home):
    enrollment = trainee(plan, inst=home)
    claim = submit_own(enrollment)
    client.force_login(staff_of(home))
    response = _post(client, enrollment)
    assert response.status_code == 400
    page = response.content.decode()
    assert "该培训已由本人申请补贴" in page
    assert claim.number in page
    assert not Entrustment.objects.exists()
    assert _entrust_audits() == 0


def test_an_already_entrusted_trainee_is_refused(client, plan, home):
    enrollment = trainee(plan, inst=home)
    entrust(enrollment)
    client.force_login(staff_of(home))
    response = _post(client, enrollment)
    assert response.status_code == 400
    assert "无需重复委托" in response.content.decode()
    assert Entrustment.objects.count() == 1
    assert _entrust_audits() == 1


def test_another_institutions_trainee_is_not_found(client, plan, home):
    other = give_account(institution(OTHER))
    enrollment = trainee(plan, inst=other)
    client.force_login(staff_of(home))
    assert client.get(_record_url(enrollment)).status_code == 404
    assert _post(client, enrollment).status_code == 404
    assert not Entrustment.objects.exists()


@pytest.mark.parametrize("role", [Role.OFFICE, Role.REVIEWER, Role.FINANCE, Role.WORKER])
def test_other_roles_are_forbidden(client, plan, home, role):
    enrollment = trainee(plan, inst=home)
    client.force_login(user_with_role(role))
    assert client.get(_record_url(enrollment)).status_code == 403
    assert _post(client, enrollment).status_code == 403
    assert not Entrustment.objects.exists()


def test_anonymous_is_sent_to_login(client, plan, home):
    enrollment = trainee(plan, inst=home)
    response = _post(client, enrollment)
    assert response.status_code in (302, 403)
    assert not Entrustment.objects.exists()


# ------------------------------------------------------------------- withdrawing a claim


def _institution_claim(plan, home) -> SubsidyClaim:
    enrollment = trainee(plan, inst=home)
    entrust(enrollment)
    [result] = inst_svc.institution_claims_submit(
        institution=home, enrollment_ids=[enrollment.pk], actor=staff_of(home)
    )
    assert result.ok, result.error
    return result.claim


def _withdraw_url(claim) -> str:
    return reverse("subsidies:institution_claim_withdraw", args=[claim.pk])


def test_staff_withdraw_a_submitted_claim_with_a_reason(client, plan, home):
    claim = _institution_claim(plan, home)
    client.force_login(staff_of(home))
    page = client.get(reverse("subsidies:institution_claim", args=[claim.pk])).content.decode()
    assert _withdraw_url(claim) in page
    response = client.post(_withdraw_url(claim), {"reason": "学员要求本人申领"}, follow=True)
    claim.refresh_from_db()
    assert claim.status == SubsidyClaim.Status.WITHDRAWN
    assert f"申请 {claim.number} 已撤回。" in response.content.decode()
    event = AuditEvent.objects.get(action="subsidies.claim.withdraw")
    assert event.reason == "学员要求本人申领"


def test_an_approved_claim_in_notice_cannot_be_withdrawn(client, plan, home):
    claim = set_status(_institution_claim(plan, home), SubsidyClaim.Status.IN_NOTICE)
    client.force_login(staff_of(home))
    page = client.get(reverse("subsidies:institution_claim", args=[claim.pk])).content.decode()
    assert _withdraw_url(claim) not in page
    response = client.post(_withdraw_url(claim), {"reason": "x"}, follow=True)
    assert "已审核通过或已办结的申请不能撤回" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == SubsidyClaim.Status.IN_NOTICE
    assert not AuditEvent.objects.filter(action="subsidies.claim.withdraw").exists()


def test_another_institutions_claim_cannot_be_withdrawn(client, plan, home):
    claim = _institution_claim(plan, home)
    other = give_account(institution(OTHER))
    client.force_login(staff_of(other))
    assert client.post(_withdraw_url(claim), {"reason": "x"}).status_code == 404
    claim.refresh_from_db()
    assert claim.status == SubsidyClaim.Status.SUBMITTED


@pytest.mark.parametrize("role", [Role.OFFICE, Role.REVIEWER, Role.WORKER])
def test_other_roles_cannot_withdraw(client, plan, home, role):
    claim = _institution_claim(plan, home)
    client.force_login(user_with_role(role))
    assert client.post(_withdraw_url(claim), {"reason": "x"}).status_code == 403
    claim.refresh_from_db()
    assert claim.status == SubsidyClaim.Status.SUBMITTED
