"""The training uploads as seen by the hostile-file corpus (``core/tests/test_hostile_uploads.py``).

Each ``*_context`` builds what one upload needs in the test database and describes the file it
expects (see ``core.tests.hostile.uploads``); each ``*_handler`` calls the service the way its
view does. Registered by dotted path at the bottom of ``core/tests/hostile/uploads.py``.
"""

import datetime
import io
from zoneinfo import ZoneInfo

import time_machine
from django.urls import reverse

from core.crypto import decrypt
from core.models import AuditEvent, Department
from core.tests.hostile.uploads import UploadContext, UploadView
from training.exports import RETURN_HEADERS, RETURN_SHEET, month_text
from training.models import (
    Enrollment,
    MonthlyReturn,
    ReturnLine,
    TrainingCategory,
    TrainingClass,
    Worker,
)
from training.services import classes as class_services
from training.services.classes import ATTENDANCE_HEADERS, ATTENDANCE_SHEET
from training.services.return_files import UPLOAD_MAX_ROWS, return_import
from training.services.workers import ROSTER_HEADERS, ROSTER_SHEET, roster_import
from training.tests import workers_samples
from training.tests.factories import clerk_of

SH = ZoneInfo("Asia/Shanghai")
MAY = datetime.date(2014, 5, 1)


# --------------------------------------------------------------------------------------------
# Monthly return (月度报送)
# --------------------------------------------------------------------------------------------


def _return_row(department: Department, category: TrainingCategory, figures=(3, 2, 1, 1, 0)):
    return [
        department.code,
        department.name,
        month_text(MAY),
        category.number,
        category.name,
        *figures,
        "",
    ]


def return_context(*, campaign, stack) -> UploadContext:
    """人社局's May 2014 return, uploaded by its clerk inside the reporting window."""
    stack.enter_context(
        time_machine.travel(datetime.datetime(2014, 6, 2, 10, 0, tzinfo=SH), tick=False)
    )
    clerk = clerk_of("rsj")
    department = clerk.department
    categories = list(
        TrainingCategory.objects.filter(campaign=campaign, department=department).order_by("number")
    )
    other = (
        Department.objects.exclude(pk=department.pk)
        .filter(training_categories__isnull=False)
        .first()
    )
    other_category = TrainingCategory.objects.filter(campaign=campaign, department=other).first()
    kinds = dict.fromkeys(RETURN_HEADERS[5:-1], "int")
    kinds.update(
        {
            "单位代码": "code",
            "单位名称": "text?",
            "报送月份": "month",
            "序号": "int",
            "培训类别": "match",
            "备注": "text?",
        }
    )
    return UploadContext(
        sheet=RETURN_SHEET,
        headers=RETURN_HEADERS,
        rows=[_return_row(department, category) for category in categories],
        kinds=kinds,
        tables=[MonthlyReturn, ReturnLine, AuditEvent],
        foreign_rows=[_return_row(other, other_category)],
        max_rows=UPLOAD_MAX_ROWS,
        view=UploadView(
            url=reverse(
                "training:return_upload", kwargs={"department": department.code, "month": MAY}
            ),
            user=clerk,
            data={"version": "0"},
        ),
        extra={"actor": clerk, "department": department, "campaign": campaign},
    )


def return_handler(*, context: UploadContext, fileobj, filename: str):
    return return_import(
        campaign=context.extra["campaign"],
        department=context.extra["department"],
        month=MAY,
        fileobj=fileobj,
        filename=filename,
        version=0,
        actor=context.extra["actor"],
    )


# --------------------------------------------------------------------------------------------
# Roster (学员花名册)
# --------------------------------------------------------------------------------------------


def roster_context(*, campaign, stack) -> UploadContext:
    """A draft class of a private school; one of the two rows names a worker who already has a
    subsidised place in another class of the campaign (that row is the "someone else's" row)."""
    institution = workers_samples.institution("许昌恶意文件测试学校")
    staff = workers_samples.staff_of(institution)
    training_class = workers_samples.training_class(campaign, institution)
    elsewhere = workers_samples.training_class(campaign, institution)
    taken = workers_samples.make_id(901)
    roster_import(
        training_class=elsewhere,
        fileobj=io.BytesIO(workers_samples.roster_bytes([workers_samples.row(taken, "赵六")])),
        filename="花名册.xlsx",
        actor=staff,
    )
    rows = [
        workers_samples.row(workers_samples.make_id(902), name="张三"),
        workers_samples.row(workers_samples.make_id(903, birth="19850310"), name="李四"),
    ]
    return UploadContext(
        sheet=ROSTER_SHEET,
        headers=ROSTER_HEADERS,
        rows=rows,
        kinds={
            "身份证号码": "id",
            "姓名": "text",
            "手机号码": "text?",
            "县（市、区）": "text?",
            "户籍类型": "match",
            "文化程度": "match",
            "人员类别": "text?",
        },
        tables=[Worker, Enrollment, AuditEvent],
        foreign_rows=[workers_samples.row(taken, "赵六")],
        max_rows=training_class.capacity,
        view=UploadView(
            url=reverse("training:class_roster_upload", kwargs={"pk": training_class.pk}),
            user=staff,
        ),
        extra={"actor": staff, "training_class": training_class},
    )


def roster_handler(*, context: UploadContext, fileobj, filename: str):
    return roster_import(
        training_class=context.extra["training_class"],
        fileobj=fileobj,
        filename=filename,
        actor=context.extra["actor"],
    )


# --------------------------------------------------------------------------------------------
# Attendance summary (考勤汇总表)
# --------------------------------------------------------------------------------------------


def attendance_context(*, campaign, stack) -> UploadContext:
    """An approved, running class of 许昌技师学院 with three trainees, five sessions held; a
    trainee of another class of the same school is the foreign row."""
    from training.tests import test_classes_support as support

    traveller = stack.enter_context(time_machine.travel(support.at(2014, 3, 3, 10), tick=False))
    staff = support.staff_of()
    training_class = support.approved_class(campaign, staff, trainees=3)
    stranger = support.enroll(support.make_class(campaign, staff), 1)[0]
    traveller.move_to(support.at(2014, 3, 15, 18), tick=False)
    rows = [
        [decrypt(e.worker.id_number_encrypted), e.worker.name, 4]
        for e in training_class.enrollments.select_related("worker").order_by("pk")
    ]
    return UploadContext(
        sheet=ATTENDANCE_SHEET,
        headers=ATTENDANCE_HEADERS,
        rows=rows,
        kinds={"身份证号码": "id", "姓名": "match", "出勤课次": "int"},
        tables=[Enrollment, TrainingClass, AuditEvent],
        foreign_rows=[
            [decrypt(stranger.worker.id_number_encrypted), stranger.worker.name, 2],
        ],
        max_rows=len(rows) + 100,
        view=UploadView(
            url=reverse("training:class_attendance_upload", kwargs={"pk": training_class.pk}),
            user=staff,
            data={"sessions_held": "5"},
        ),
        extra={"actor": staff, "training_class": training_class},
    )


def attendance_handler(*, context: UploadContext, fileobj, filename: str):
    return class_services.attendance_upload(
        training_class=context.extra["training_class"],
        fileobj=fileobj,
        filename=filename,
        sessions_held=5,
        actor=context.extra["actor"],
    )
