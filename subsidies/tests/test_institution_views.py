"""Institution pages: the entrusted trainees list (tick and claim), the xlsx upload (errors page
with 400, nothing created), the shortage list, the claims list; constant query counts."""

import pytest
from django.urls import reverse

from appraisal.models import Level
from subsidies.models import SubsidyClaim
from subsidies.tests.factories import (  # noqa: F401 (fixtures)
    HOME,
    frozen,
    give_account,
    institution,
    make_certificate,
    media,
    staff_of,
    trainee,
)
from subsidies.tests.test_institution_claims import entrusted, row_of, xlsx
from training.models import Enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture
def home():
    return give_account(institution(HOME))


def test_tick_and_claim_reports_each_row(client, plan, home):
    good = entrusted(plan, home)
    failed = entrusted(plan, home, result=Enrollment.Result.FAILED)
    client.force_login(staff_of(home))
    response = client.post(
        reverse("subsidies:institution_trainees"), {"ids": [good.pk, failed.pk]}, follow=True
    )
    page = response.content.decode()
    claim = SubsidyClaim.objects.get()
    assert claim.enrollment == good
    assert f"已提交1份补贴申请：{claim.number}" in page
    assert failed.worker.name in page
    assert "结业考核未合格" in page
    assert "已申请" in page  # the good row now shows as claimed


def test_tick_nothing_is_a_400(client, plan, home):
    entrusted(plan, home)
    client.force_login(staff_of(home))
    response = client.post(reverse("subsidies:institution_trainees"), {})
    assert response.status_code == 400
    assert "请至少勾选一名学员" in response.content.decode()


def test_forged_amount_and_payee_in_a_tick_post_change_nothing(client, plan, home):
    good = entrusted(plan, home)
    client.force_login(staff_of(home))
    client.post(
        reverse("subsidies:institution_trainees"),
        {"ids": [good.pk], "amount": "99999", "account": "6222021234567890128", "status": "paid"},
    )
    claim = SubsidyClaim.objects.get()
    assert claim.amount < 99999
    assert claim.status == "submitted"
    assert claim.payee_kind == "institution"


def test_upload_with_errors_shows_every_row_and_creates_nothing(client, plan, home):
    good = entrusted(plan, home)
    client.force_login(staff_of(home))
    upload = xlsx([row_of(good), row_of(good, name="李四")])
    upload.name = "委托代领.xlsx"
    response = client.post(reverse("subsidies:institution_trainees_upload"), {"file": upload})
    assert response.status_code == 400
    page = response.content.decode()
    assert "第3行" in page
    assert "没有提交任何补贴申请" in page
    assert not SubsidyClaim.objects.exists()


def test_upload_that_passes_creates_the_claims(client, plan, home):
    a, b = entrusted(plan, home), entrusted(plan, home)
    client.force_login(staff_of(home))
    upload = xlsx([row_of(a), row_of(b)])
    upload.name = "委托代领.xlsx"
    response = client.post(reverse("subsidies:institution_trainees_upload"), {"file": upload})
    assert response.status_code == 302
    assert SubsidyClaim.objects.filter(channel="institution").count() == 2


def test_upload_of_a_non_xlsx_is_refused(client, plan, home):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(staff_of(home))
    response = client.post(
        reverse("subsidies:institution_trainees_upload"),
        {"file": SimpleUploadedFile("a.csv", b"1,2,3")},
    )
    assert response.status_code == 400
    assert ".xlsx" in response.content.decode()


def test_shortage_page_lists_and_claims(client, plan, home):
    enrollment = trainee(plan, inst=home, certificate=False)
    occ = enrollment.training_class.occupation
    occ.is_shortage = True
    occ.save()
    cert = make_certificate(enrollment.worker, occ, level=Level.SENIOR_TECHNICIAN)
    client.force_login(staff_of(home))
    page = client.get(reverse("subsidies:institution_shortage")).content.decode()
    assert cert.number in page
    client.post(reverse("subsidies:institution_shortage"), {"ids": [cert.pk]})
    claim = SubsidyClaim.objects.get()
    assert (claim.kind, claim.level) == ("shortage", Level.SENIOR_TECHNICIAN)


def test_lists_have_constant_query_counts(client, plan, home, django_assert_max_num_queries):
    rows = [entrusted(plan, home) for _ in range(3)]
    client.force_login(staff_of(home))
    client.post(reverse("subsidies:institution_trainees"), {"ids": [rows[0].pk]})
    with django_assert_max_num_queries(10) as one:
        client.get(reverse("subsidies:institution_trainees"))
    baseline = len(one.captured_queries)  # read now: the next request clears the query log
    client.post(reverse("subsidies:institution_trainees"), {"ids": [r.pk for r in rows[1:]]})
    for _ in range(3):
        entrusted(plan, home)
    with django_assert_max_num_queries(baseline):
        client.get(reverse("subsidies:institution_trainees"))
    with django_assert_max_num_queries(baseline):
        client.get(reverse("subsidies:institution_claims"))


def test_template_download_round_trips_through_the_upload(client, plan, home):
    import io

    import openpyxl

    enrollment = entrusted(plan, home)
    client.force_login(staff_of(home))
    response = client.get(reverse("subsidies:institution_trainees_template"))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book["委托代领"]
    assert [c.value for c in sheet[1]] == ["身份证号码", "姓名", "班级编号"]
    for column, value in zip("ABC", row_of(enrollment), strict=True):
        sheet[f"{column}2"].value = value
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "模板.xlsx"
    assert (
        client.post(reverse("subsidies:institution_trainees_upload"), {"file": out}).status_code
        == 302
    )
    assert SubsidyClaim.objects.get().enrollment == enrollment
