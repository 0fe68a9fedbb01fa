"""Registration pages: the worker's online registration with the rule check, their own page,
point staff registering by ID number, the point's list and detail (other points' → 404)."""

import pytest
from django.urls import reverse

from appraisal.models import Level, Registration
from appraisal.services import registrations as svc
from appraisal.tests.appraisal_builders import (  # noqa: F401  (fixtures)
    auditor,
    body_with_staff,
    clerk,
    frozen,
    full_id,
    institution,
    institution_staff,
    make_worker,
    occupation,
    office,
    point,
    register_online,
    reviewer,
    trained_worker,
)

pytestmark = pytest.mark.django_db

APPLY = "appraisal:registration_apply"


def _apply(client, action, **data):
    values = {
        "occupation": occupation().pk,
        "level": 5,
        "years_in_trade": 0,
        "action": action,
        **data,
    }
    return client.post(reverse(APPLY), values)


def _staff_register(client, worker, action="submit", **data):
    values = {
        "id_number": full_id(worker),
        "name": worker.name,
        "occupation": occupation().pk,
        "level": 5,
        "years_in_trade": 0,
        "action": action,
        **data,
    }
    return client.post(reverse("appraisal:registration_create"), values)


# --------------------------------------------------------------------------------------------
# The worker
# --------------------------------------------------------------------------------------------


def test_worker_checks_the_rule_before_submitting(client, plan):
    worker = make_worker(with_login=True)
    client.force_login(worker.user)
    response = _apply(client, "check")
    page = response.content.decode()
    assert response.status_code == 200
    assert "暂不符合报名条件" in page
    assert "培训班结业考核合格" in page
    assert not Registration.objects.exists()


def test_worker_who_passed_a_class_sees_a_green_check_then_registers(client, plan):
    worker = trained_worker(plan)
    client.force_login(worker.user)
    page = _apply(client, "check").content.decode()
    assert "符合报名条件，可以提交报名" in page
    response = _apply(client, "submit", entrusted_to_claim="on")
    assert response.status_code == 302
    assert response["Location"] == reverse("appraisal:my_appraisals")
    registration = Registration.objects.get()
    assert registration.worker == worker
    assert registration.entrusted_to_claim
    mine = client.get(reverse("appraisal:my_appraisals")).content.decode()
    assert registration.code in mine
    assert "已报名" in mine


def test_a_refused_submit_rerenders_with_400_and_the_reason(client, plan):
    worker = trained_worker(plan)
    register_online(worker)
    client.force_login(worker.user)
    response = _apply(client, "submit")
    assert response.status_code == 400
    assert "不能重复报名" in response.content.decode()
    assert Registration.objects.count() == 1


def test_apply_form_errors_are_400(client, plan):
    worker = trained_worker(plan)
    client.force_login(worker.user)
    assert _apply(client, "submit", level="").status_code == 400


def test_worker_withdraws_their_own_registration_not_another_s(client, plan):
    worker = trained_worker(plan)
    mine = register_online(worker)
    theirs = register_online(trained_worker(plan))
    client.force_login(worker.user)
    url = reverse("appraisal:registration_withdraw", args=[theirs.pk])
    assert client.post(url).status_code == 404
    response = client.post(reverse("appraisal:registration_withdraw", args=[mine.pk]))
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == "withdrawn"
    assert theirs.status == "registered"


@pytest.mark.parametrize("name", [APPLY, "appraisal:my_appraisals"])
def test_worker_pages_are_for_workers_only(client, plan, name):
    url = reverse(name)
    assert client.get(url).status_code == 302
    for user in (reviewer(), office(), institution_staff(), clerk()):
        client.force_login(user)
        assert client.get(url).status_code == 403
    client.force_login(make_worker(with_login=True).user)
    assert client.get(url).status_code == 200


def test_a_worker_account_without_a_worker_record_is_404(client, plan):
    from core.roles import Role
    from core.tests.factories import user_with_role

    client.force_login(user_with_role(Role.WORKER))
    assert client.get(reverse("appraisal:my_appraisals")).status_code == 404


# --------------------------------------------------------------------------------------------
# Point staff
# --------------------------------------------------------------------------------------------


def test_point_staff_register_by_id_number_and_see_it_masked(client, plan):
    worker = trained_worker(plan, with_login=False)
    home = point(inst=institution())
    client.force_login(institution_staff())
    response = _staff_register(client, worker, "check", point=home.pk)
    page = response.content.decode()
    assert response.status_code == 200
    assert worker.id_number_masked in page
    assert "符合报名条件" in page
    assert not Registration.objects.exists()
    response = _staff_register(client, worker, point=home.pk)
    registration = Registration.objects.get()
    assert response["Location"] == reverse("appraisal:registration_detail", args=[registration.pk])
    assert registration.point == home
    detail = client.get(response["Location"]).content.decode()
    assert full_id(worker) not in detail
    assert worker.id_number_masked in detail


def test_unknown_id_number_or_wrong_name_is_a_form_error(client, plan):
    worker = trained_worker(plan, with_login=False)
    home = point(inst=institution())
    client.force_login(institution_staff())
    stranger = make_worker()
    stranger.delete()
    response = _staff_register(client, stranger, point=home.pk)
    assert response.status_code == 400
    assert "尚未登记" in response.content.decode()
    response = _staff_register(client, worker, point=home.pk, name="别人")
    assert response.status_code == 400
    assert "姓名与该身份证号码登记的姓名不一致" in response.content.decode()
    response = _staff_register(client, worker, point=home.pk, id_number="41100219900101001")
    assert response.status_code == 400
    assert not Registration.objects.exists()


def test_point_is_required_and_only_own_points_are_offered(client, plan):
    worker = trained_worker(plan, with_login=False)
    other = point(inst=institution("许昌陶瓷职业学院"))
    client.force_login(institution_staff())
    assert _staff_register(client, worker).status_code == 400
    assert _staff_register(client, worker, point=other.pk).status_code == 400
    assert not Registration.objects.exists()


def test_institution_registers_its_trainee_from_the_class(client, plan):
    worker = trained_worker(plan, with_login=False)
    client.force_login(institution_staff())
    response = _staff_register(client, worker, training_class=worker.training_class.pk)
    assert response.status_code == 302
    assert Registration.objects.get().channel == Registration.Channel.CLASS


def test_registration_staff_pages_permission_matrix(client, plan):
    url = reverse("appraisal:registration_create")
    assert client.get(url).status_code == 302
    expected = {
        "worker": 403,
        "office": 403,
        "auditor": 403,
        "institution": 200,
        "clerk": 200,
        "reviewer": 200,
    }
    users = {
        "worker": make_worker(with_login=True).user,
        "office": office(),
        "auditor": auditor(),
        "institution": institution_staff(),
        "clerk": clerk(),
        "reviewer": reviewer(),
    }
    got = {}
    for role, user in users.items():
        client.force_login(user)
        got[role] = client.get(url).status_code
    assert got == expected


def _taken_at(inst_name, plan):
    staff = institution_staff(inst_name)
    home = point(inst=institution(inst_name), name=f"{inst_name}报名点")
    return svc.registration_create(
        worker=trained_worker(plan, with_login=False),
        occupation=occupation(),
        level=Level.JUNIOR,
        point=home,
        actor=staff,
    )


def test_a_point_sees_only_the_registrations_it_took(client, plan):
    mine = _taken_at("许昌技师学院", plan)
    theirs = _taken_at("许昌陶瓷职业学院", plan)
    online = register_online(trained_worker(plan))
    client.force_login(institution_staff("许昌技师学院"))
    listing = client.get(reverse("appraisal:registration_list")).content.decode()
    assert mine.code in listing
    assert theirs.code not in listing
    assert online.code not in listing
    detail = reverse("appraisal:registration_detail", args=[mine.pk])
    assert client.get(detail).status_code == 200
    for other in (theirs, online):
        url = reverse("appraisal:registration_detail", args=[other.pk])
        assert client.get(url).status_code == 404


def test_clerks_see_their_department_s_city_point_registrations(client, plan):
    city = point()
    taker = clerk("rsj")
    taken = svc.registration_create(
        worker=trained_worker(plan), occupation=occupation(), level=5, point=city, actor=taker
    )
    url = reverse("appraisal:registration_detail", args=[taken.pk])
    client.force_login(clerk("rsj"))
    assert client.get(url).status_code == 200
    client.force_login(clerk("gxj"))
    assert client.get(url).status_code == 404
    client.force_login(reviewer())
    assert client.get(url).status_code == 200


def test_point_staff_withdraw_a_registration_they_took(client, plan):
    mine = _taken_at("许昌技师学院", plan)
    client.force_login(institution_staff("许昌陶瓷职业学院"))
    url = reverse("appraisal:registration_withdraw", args=[mine.pk])
    assert client.post(url).status_code == 404
    client.force_login(institution_staff("许昌技师学院"))
    assert client.post(url).status_code == 302
    mine.refresh_from_db()
    assert mine.status == "withdrawn"


def test_registration_list_permission_matrix(client, plan):
    url = reverse("appraisal:registration_list")
    assert client.get(url).status_code == 302
    client.force_login(make_worker(with_login=True).user)
    assert client.get(url).status_code == 403
    for user in (institution_staff(), clerk(), reviewer(), office(), auditor()):
        client.force_login(user)
        assert client.get(url).status_code == 200


def test_registration_list_query_count_does_not_grow(client, plan, django_assert_max_num_queries):
    user = reviewer()
    client.force_login(user)
    register_online(trained_worker(plan))
    with django_assert_max_num_queries(8):
        assert client.get(reverse("appraisal:registration_list")).status_code == 200
    city = point()
    for _ in range(8):
        svc.registration_create(
            worker=trained_worker(plan), occupation=occupation(), level=5, point=city, actor=user
        )
    with django_assert_max_num_queries(8):
        response = client.get(reverse("appraisal:registration_list"), {"status": "registered"})
    assert response.content.decode().count("BM0") == 9


def test_my_page_query_count_does_not_grow(client, plan, django_assert_max_num_queries):
    worker = trained_worker(plan)
    register_online(worker)
    client.force_login(worker.user)
    with django_assert_max_num_queries(10):
        client.get(reverse("appraisal:my_appraisals"))
    from appraisal.tests.test_registrations_services import _give_certificate

    for level in (5, 4, 3):
        _give_certificate(worker, level, occ=occupation(f"ZY00{level - 1}"))
    with django_assert_max_num_queries(10):
        page = client.get(reverse("appraisal:my_appraisals")).content.decode()
    assert page.count("certificate-number") == 3
