"""Core's own upload as seen by the hostile-file corpus: the bank's payment results
(``core.payments.batch_record_results_upload``); registered at the bottom of
core/tests/hostile/uploads.py."""

from decimal import Decimal

from django.urls import reverse

from core import payments
from core.models import AuditEvent, PaymentBatch, PaymentLine
from core.roles import Role
from core.tests.factories import DepartmentFactory, user_with_role
from core.tests.hostile.uploads import UploadContext, UploadView

KIND = "hostile.pay"


def _approved_batch(maker, checker, references):
    lines = [
        payments.PaymentLineInput(
            obj=DepartmentFactory(),
            reference=reference,
            payee_kind="person",
            payee_name="张三",
            bank_name="中国工商银行许昌分行",
            account="6222020200112233445",
            amount=Decimal("800.00"),
        )
        for reference in references
    ]
    batch = payments.batch_create(kind=KIND, lines=lines, actor=maker)
    return payments.batch_approve(batch=batch, actor=checker)


def payment_results_context(*, campaign, stack) -> UploadContext:
    """An approved batch of two lines (one paid, one failed with a reason); a line of another
    batch is the foreign row."""
    payments.register_payment_kind(
        KIND,
        on_paid=lambda obj, line, _actor: None,
        on_failed=lambda obj, line, _actor: None,
        on_cancelled=lambda obj, line, _actor: None,
        label="恶意文件测试",
    )
    stack.callback(payments._KINDS.pop, KIND, None)
    maker, checker = user_with_role(Role.FINANCE), user_with_role(Role.FINANCE)
    batch = _approved_batch(maker, checker, ["HX-000001", "HX-000002"])
    _approved_batch(maker, checker, ["HX-000099"])
    return UploadContext(
        sheet=payments.RESULT_SHEET,
        headers=payments.RESULT_HEADERS,
        rows=[
            ["HX-000001", payments.RESULT_PAID, ""],
            ["HX-000002", payments.RESULT_FAILED, "户名不符"],
        ],
        kinds={"业务编号": "code", "结果": "match", "失败原因": "text?"},
        tables=[PaymentBatch, PaymentLine, AuditEvent],
        foreign_rows=[["HX-000099", payments.RESULT_PAID, ""]],
        view=UploadView(
            url=reverse("core:batch_results_upload", kwargs={"pk": batch.pk}), user=maker
        ),
        extra={"actor": maker, "batch": batch},
    )


def payment_results_handler(*, context: UploadContext, fileobj, filename: str):
    return payments.batch_record_results_upload(
        batch=context.extra["batch"], file=fileobj, filename=filename, actor=context.extra["actor"]
    )


def institution_claims_context(*, campaign, stack) -> UploadContext:
    """Two entrusted, eligible trainees of 许昌技师学院; an entrusted trainee of another
    institution is the foreign row."""
    import shutil
    import tempfile

    import time_machine
    from django.test import override_settings

    from appraisal.tests.appraisal_builders import at, full_id
    from subsidies.models import SubsidyClaim
    from subsidies.services import institution_claims as svc
    from subsidies.tests import factories

    media = tempfile.mkdtemp(prefix="hostile-media-")
    stack.callback(shutil.rmtree, media, ignore_errors=True)
    stack.enter_context(override_settings(MEDIA_ROOT=media))
    stack.enter_context(time_machine.travel(at(2014, 3, 3, 10), tick=False))
    home = factories.give_account(factories.institution(factories.HOME))
    other = factories.give_account(factories.institution(factories.OTHER))
    ours = [factories.trainee(campaign, inst=home) for _ in range(2)]
    theirs = factories.trainee(campaign, inst=other)
    for enrollment in [*ours, theirs]:
        factories.entrust(enrollment)

    def row(enrollment):
        worker = enrollment.worker
        return [full_id(worker), worker.name, enrollment.training_class.code]

    staff = factories.staff_of(home)
    return UploadContext(
        sheet=svc.UPLOAD_SHEET,
        headers=svc.UPLOAD_HEADERS,
        rows=[row(e) for e in ours],
        kinds={"身份证号码": "id", "姓名": "match", "班级编号": "code"},
        tables=[SubsidyClaim, AuditEvent],
        foreign_rows=[row(theirs)],
        max_rows=svc.MAX_UPLOAD_ROWS,
        view=UploadView(url=reverse("subsidies:institution_trainees_upload"), user=staff),
        extra={"actor": staff, "institution": home},
    )


def institution_claims_handler(*, context: UploadContext, fileobj, filename: str):
    from subsidies.services import institution_claims as svc

    return svc.institution_claims_upload(
        institution=context.extra["institution"],
        file=fileobj,
        filename=filename,
        actor=context.extra["actor"],
    )
