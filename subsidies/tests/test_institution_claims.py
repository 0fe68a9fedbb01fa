"""Institution claims: ticked entrusted trainees (per row), the xlsx upload (all or nothing with
row errors), the shortage high-skill subsidy, and the registry account as the only payee."""

import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied

from appraisal.models import Level
from core.errors import RuleViolation
from core.xlsx import XlsxError
from subsidies.models import SubsidyClaim
from subsidies.services import institution_claims as svc
from subsidies.tests.factories import (  # noqa: F401 (fixtures)
    HOME,
    INSTITUTION_ACCOUNT,
    OTHER,
    entrust,
    frozen,
    give_account,
    institution,
    make_certificate,
    media,
    staff_of,
    submit_own,
    trainee,
)
from training.models import Enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture
def home():
    return give_account(institution(HOME))


def entrusted(plan, inst, **kwargs):
    enrollment = trainee(plan, inst=inst, **kwargs)
    entrust(enrollment)
    return enrollment


def test_ticked_trainees_are_claimed_per_row_with_reasons(plan, home):
    good = entrusted(plan, home)
    failed = entrusted(plan, home, result=Enrollment.Result.FAILED)
    not_entrusted = trainee(plan, inst=home)
    results = svc.institution_claims_submit(
        institution=home,
        enrollment_ids=[good.pk, failed.pk, not_entrusted.pk],
        actor=staff_of(home),
    )
    assert [r.ok for r in results] == [True, False, False]
    claim = results[0].claim
    assert (claim.channel, claim.payee_kind) == ("institution", "institution")
    assert claim.institution == home
    assert claim.payee_account()[2] == INSTITUTION_ACCOUNT
    assert "合格" in results[1].error
    assert "委托代领" in results[2].error


def test_another_institutions_trainee_is_not_claimed(plan, home):
    other = give_account(institution(OTHER))
    theirs = entrusted(plan, other)
    results = svc.institution_claims_submit(
        institution=home, enrollment_ids=[theirs.pk], actor=staff_of(home)
    )
    assert results[0].error == "不是本机构的学员"
    assert not SubsidyClaim.objects.exists()


def test_staff_of_another_institution_may_not_claim(plan, home):
    enrollment = entrusted(plan, home)
    with pytest.raises(PermissionDenied):
        svc.institution_claims_submit(
            institution=home,
            enrollment_ids=[enrollment.pk],
            actor=staff_of(institution(OTHER)),
        )


def test_no_basic_account_refuses_with_a_clear_reason(plan):
    inst = institution(HOME)
    enrollment = trainee(plan, inst=inst)
    entrust(enrollment)
    with pytest.raises(RuleViolation, match="没有登记基本账户"):
        svc.institution_claims_submit(
            institution=inst, enrollment_ids=[enrollment.pk], actor=staff_of(inst)
        )


def test_worker_claim_first_then_institution_gets_already_claimed(plan, home):
    enrollment = entrusted(plan, home)
    claim = submit_own(enrollment)
    (row,) = svc.institution_claims_submit(
        institution=home, enrollment_ids=[enrollment.pk], actor=staff_of(home)
    )
    assert row.error.startswith("已申请")
    assert claim.number in row.error


def xlsx(rows, sheet=svc.UPLOAD_SHEET, headers=svc.UPLOAD_HEADERS) -> io.BytesIO:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def row_of(enrollment, *, name=None):
    return (
        enrollment.worker.id_number,
        name or enrollment.worker.name,
        enrollment.training_class.code,
    )


def test_upload_creates_every_claim_when_all_rows_pass(plan, home):
    a, b = entrusted(plan, home), entrusted(plan, home)
    claims = svc.institution_claims_upload(
        institution=home,
        file=xlsx([row_of(a), row_of(b)]),
        filename="委托代领.xlsx",
        actor=staff_of(home),
    )
    assert {c.enrollment for c in claims} == {a, b}


def test_upload_is_all_or_nothing_with_row_errors(plan, home):
    good = entrusted(plan, home)
    failed = entrusted(plan, home, result=Enrollment.Result.FAILED)
    other = give_account(institution(OTHER))
    theirs = entrusted(plan, other)
    with pytest.raises(XlsxError) as exc:
        svc.institution_claims_upload(
            institution=home,
            file=xlsx(
                [
                    row_of(good),
                    row_of(failed),
                    row_of(good, name="李四"),
                    row_of(theirs),
                    ("110101199003070000", "某某", "X1"),
                    row_of(good),
                ]
            ),
            filename="委托代领.xlsx",
            actor=staff_of(home),
        )
    messages = "\n".join(exc.value.messages)
    assert "第3行" in messages
    assert "合格" in messages
    assert "第4行" in messages
    assert "姓名" in messages
    assert "第5行" in messages
    assert "不在本机构的班级" in messages
    assert "第6行" in messages
    assert "第7行" in messages
    assert "重复" in messages
    assert not SubsidyClaim.objects.exists()


def test_upload_refuses_a_numeric_id_cell(plan, home):
    enrollment = entrusted(plan, home)
    with pytest.raises(XlsxError) as exc:
        svc.institution_claims_upload(
            institution=home,
            file=xlsx([(float(enrollment.worker.id_number[:17]), enrollment.worker.name, "X")]),
            filename="a.xlsx",
            actor=staff_of(home),
        )
    assert "文本格式" in "\n".join(exc.value.messages)


def test_shortage_claim_by_the_training_institution(plan, home):
    enrollment = trainee(plan, inst=home, certificate=False)
    occ = enrollment.training_class.occupation
    occ.is_shortage = True
    occ.save()
    cert = make_certificate(enrollment.worker, occ, level=Level.TECHNICIAN)
    low = make_certificate(enrollment.worker, occ, level=Level.SENIOR)
    results = svc.shortage_claims_submit(
        institution=home, certificate_ids=[cert.pk, low.pk], actor=staff_of(home)
    )
    assert results[0].ok, results[0].error
    claim = results[0].claim
    assert (claim.kind, claim.amount, claim.payee_kind) == ("shortage", 2000, "institution")
    assert claim.enrollment == enrollment
    assert "技师" in results[1].error
    again = svc.shortage_claims_submit(
        institution=home, certificate_ids=[cert.pk], actor=staff_of(home)
    )
    assert again[0].error.startswith("已申请")


def test_shortage_claim_by_another_institution_is_refused(plan, home):
    enrollment = trainee(plan, inst=home, certificate=False)
    occ = enrollment.training_class.occupation
    occ.is_shortage = True
    occ.save()
    cert = make_certificate(enrollment.worker, occ, level=Level.TECHNICIAN)
    other = give_account(institution(OTHER))
    (row,) = svc.shortage_claims_submit(
        institution=other, certificate_ids=[cert.pk], actor=staff_of(other)
    )
    assert row.error == "不是本机构培训的学员"


def test_entrustment_is_revocable_only_while_no_live_claim_rests_on_it(plan, home):
    from subsidies.services import claims as claim_svc
    from subsidies.services import entrustments as ent_svc

    enrollment = trainee(plan, inst=home)
    entrustment = entrust(enrollment)
    (row,) = svc.institution_claims_submit(
        institution=home, enrollment_ids=[enrollment.pk], actor=staff_of(home)
    )
    user = enrollment.worker.user
    with pytest.raises(RuleViolation, match=row.claim.number):
        ent_svc.entrustment_revoke(entrustment=entrustment, actor=user)
    claim_svc.claim_withdraw(claim=row.claim, actor=user)
    revoked = ent_svc.entrustment_revoke(entrustment=entrustment, actor=user)
    assert revoked.status == "revoked"
    (again,) = svc.institution_claims_submit(
        institution=home, enrollment_ids=[enrollment.pk], actor=staff_of(home)
    )
    assert "未委托" in again.error


def test_no_entrustment_while_the_worker_has_their_own_live_claim(plan, home):
    enrollment = trainee(plan, inst=home)
    claim = submit_own(enrollment)
    with pytest.raises(RuleViolation, match=claim.number):
        entrust(enrollment)


def test_a_second_entrustment_for_the_same_training_is_refused(plan, home):
    enrollment = trainee(plan, inst=home)
    entrust(enrollment)
    with pytest.raises(RuleViolation, match="无需重复委托"):
        entrust(enrollment)


def test_another_worker_cannot_entrust_for_someone_else(plan, home):
    from subsidies.services import entrustments as ent_svc
    from subsidies.tests.factories import document

    enrollment = trainee(plan, inst=home)
    stranger = trainee(plan, inst=home)
    with pytest.raises(PermissionDenied):
        ent_svc.entrustment_create(
            worker=enrollment.worker,
            enrollment=enrollment,
            document=document(),
            actor=stranger.worker.user,
        )
