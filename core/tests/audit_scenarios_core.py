"""Audit-contract scenarios for core's own actions (see ``core/tests/audit_contract.py``).

The notice (``notice.*``) and payment (``payment.*``) actions are exercised through the awards'
registered kinds, in ``awards/tests/audit_scenarios.py``, next to the awards set-up they need.
"""

import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from core.models import ExportJob, LoginThrottle
from core.roles import Role
from core.tests.audit_contract import CLIENT_IP, Expect, scenario, scratch_media
from core.tests.factories import UserFactory, user_with_role

AUDIT_WORKBOOK = "audit_workbook"  # dashboard.exports.AUDIT_WORKBOOK, the one real export kind


# --------------------------------------------------------------------------------------------
# Users
# --------------------------------------------------------------------------------------------


@scenario("user.create")
def _user_create() -> Expect:
    from core.services import user_create

    office = user_with_role(Role.OFFICE)
    user = user_create(
        username="audit_new", password=None, full_name="新用户", roles=[Role.WORKER], actor=office
    )
    return Expect(actor=office, obj=user)


@scenario("user.deactivate")
def _user_deactivate() -> Expect:
    from core.auth import user_deactivate

    office = user_with_role(Role.OFFICE)
    person = user_with_role(Role.CLERK)
    user_deactivate(user=person, reason="调离本单位", actor=office)
    return Expect(actor=office, obj=person)


# --------------------------------------------------------------------------------------------
# Signing in
# --------------------------------------------------------------------------------------------


@scenario("auth.login")
def _auth_login() -> Expect:
    from core.auth import login_audit

    user = user_with_role(Role.OFFICE)
    login_audit(user=user)  # what the login view calls after a successful sign-in
    return Expect(actor=user, obj=user)


@scenario("auth.logout")
def _auth_logout() -> Expect:
    from core.auth import logout_audit

    user = user_with_role(Role.OFFICE)
    logout_audit(user=user)
    return Expect(actor=user, obj=user)


@scenario("auth.login_failed")
def _auth_login_failed() -> Expect:
    # By design about no object: the typed name may be no account at all, and the trail must not
    # tell which (the name is kept in ``changes`` only when it is an account). A system row: the
    # person is, by definition, not signed in.
    from core.auth import login_failure_record

    user = user_with_role(Role.CLERK)
    login_failure_record(username=user.username, ip=CLIENT_IP)
    return Expect(actor=None, obj=None)


@scenario("auth.lock")
def _auth_lock() -> Expect:
    """The failure that reaches the name's limit locks it (the address stays under its own)."""
    from core.auth import login_failure_record

    user = user_with_role(Role.CLERK)
    limit = settings.LOGIN_FAILURE_LIMIT
    throttle = LoginThrottle.objects.create(
        scope=LoginThrottle.Scope.USER,
        key=user.username,
        failures=limit - 1,
        window_started_at=timezone.now(),
        last_failure_at=timezone.now(),
    )
    assert login_failure_record(username=user.username, ip=CLIENT_IP) is not None
    return Expect(actor=None, obj=throttle, also=("auth.login_failed",))


@scenario("auth.unlock")
def _auth_unlock() -> Expect:
    from core.auth import login_unlock

    office = user_with_role(Role.OFFICE)
    user = user_with_role(Role.CLERK)
    throttle = LoginThrottle.objects.create(
        scope=LoginThrottle.Scope.USER,
        key=user.username,
        failures=settings.LOGIN_FAILURE_LIMIT,
        locked_until=timezone.now() + datetime.timedelta(minutes=10),
    )
    login_unlock(throttle=throttle, reason="本人来电核实身份", actor=office)
    return Expect(actor=office, obj=throttle)


@scenario("auth.totp_enable")
def _auth_totp_enable() -> Expect:
    from core import crypto
    from core.auth import hotp, totp_counter, totp_enrol_confirm, totp_enrol_start

    user = user_with_role(Role.FINANCE)
    device = totp_enrol_start(user=user)
    code = hotp(crypto.decrypt(device.secret_encrypted), totp_counter(timezone.now()))
    assert totp_enrol_confirm(user=user, code=code)
    return Expect(actor=user, obj=user)


@scenario("auth.totp_reset")
def _auth_totp_reset() -> Expect:
    from core import crypto
    from core.auth import totp_new_secret, totp_reset
    from core.models import TotpDevice

    office = user_with_role(Role.OFFICE)
    user = user_with_role(Role.FINANCE)
    TotpDevice.objects.create(
        user=user, secret_encrypted=crypto.encrypt(totp_new_secret()), confirmed_at=timezone.now()
    )
    totp_reset(user=user, reason="手机遗失", actor=office)
    return Expect(actor=office, obj=user)


# --------------------------------------------------------------------------------------------
# Keys, reveals, the worker heartbeat
# --------------------------------------------------------------------------------------------


@scenario("crypto.rotate")
def _crypto_rotate() -> Expect:
    # By design about no object: one row per *model* re-encrypted (the model is in
    # ``changes``), written by a command. Only TOTP devices hold encrypted values here, so the
    # rotation writes exactly one row.
    from core import crypto
    from core.auth import totp_new_secret
    from core.models import TotpDevice
    from core.services import encrypted_fields, field_keys_rotate

    TotpDevice.objects.create(
        user=UserFactory(), secret_encrypted=crypto.encrypt(totp_new_secret())
    )
    holding = [
        model._meta.label
        for model, names in encrypted_fields()
        if model.objects.exclude(**dict.fromkeys(names, "")).exists()
    ]
    assert holding == ["core.TotpDevice"], holding
    field_keys_rotate(actor=None)
    return Expect(actor=None, obj=None)


@scenario("pii.reveal")
def _pii_reveal() -> Expect:
    from awards.tests.support import make_worker
    from core.reveal import pii_reveal, reveal_token

    office = user_with_role(Role.OFFICE)
    worker = make_worker()
    token = reveal_token("training.worker.id_number", worker.pk)
    _entry, _obj, plaintext = pii_reveal(token=token, reason="电话核实本人身份", actor=office)
    assert plaintext
    return Expect(actor=office, obj=worker)


@scenario("system.worker_heartbeat")
def _system_worker_heartbeat() -> Expect:
    # By design about no object: the row proves a worker reached the database.
    from core.tasks import record_worker_heartbeat

    record_worker_heartbeat("audit-contract-token")
    return Expect(actor=None, obj=None)


# --------------------------------------------------------------------------------------------
# Export jobs (the audit workbook, the one registered kind)
# --------------------------------------------------------------------------------------------


@scenario("export.start")
def _export_start() -> Expect:
    from core.exports import export_job_start

    office = user_with_role(Role.OFFICE)
    job = export_job_start(kind=AUDIT_WORKBOOK, actor=office)  # the task runs after commit
    return Expect(actor=office, obj=job)


@scenario("export.done")
def _export_done() -> Expect:
    # Written by core (a job) and by dashboard's ``manage.py export_audit`` (no job, no object);
    # the job's run is the path every click takes.
    from core.exports import export_job_run

    office = user_with_role(Role.OFFICE)
    # As export_job_start leaves it: the worker writes its rows with the requester's address.
    job = ExportJob.objects.create(
        kind=AUDIT_WORKBOOK, requested_by=office, requested_from=CLIENT_IP
    )
    with scratch_media():
        done = export_job_run(job_id=job.pk)
    assert done.status == ExportJob.Status.DONE, done.error
    return Expect(actor=office, obj=job)


@scenario("export.failed")
def _export_failed() -> Expect:
    """A job lost by its worker long ago is failed when its requester starts the kind again."""
    from core.exports import export_job_start

    office = user_with_role(Role.OFFICE)
    long_ago = timezone.now() - datetime.timedelta(days=1)
    lost = ExportJob.objects.create(
        kind=AUDIT_WORKBOOK, requested_by=office, status=ExportJob.Status.RUNNING
    )
    ExportJob.objects.filter(pk=lost.pk).update(started_at=long_ago, created_at=long_ago)
    export_job_start(kind=AUDIT_WORKBOOK, actor=office)
    return Expect(actor=None, obj=lost, also=("export.start",))


@scenario("export.download")
def _export_download() -> Expect:
    from core.exports import export_job_download

    office = user_with_role(Role.OFFICE)
    with scratch_media():
        job = ExportJob.objects.create(kind=AUDIT_WORKBOOK, requested_by=office)
        job.file.save("workbook.xlsx", ContentFile(b"PK"), save=False)
        job.status = ExportJob.Status.DONE
        job.finished_at = timezone.now()
        job.download_name = "审计工作簿.xlsx"
        job.save()
        export_job_download(job=job, actor=office).close()
    return Expect(actor=office, obj=job)
