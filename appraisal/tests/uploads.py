"""The results upload (成绩) as seen by the hostile-file corpus
(``core/tests/test_hostile_uploads.py``); registered in ``core/tests/hostile/uploads.py``."""

import time_machine
from django.urls import reverse

from appraisal.models import Certificate, Registration
from appraisal.services import results as res_svc
from appraisal.tests import appraisal_builders as builders
from core.models import AuditEvent
from core.tests.hostile.uploads import UploadContext, UploadView


def results_context(*, campaign, stack) -> UploadContext:
    """A junior sitting of the city appraisal centre with two scheduled candidates, on the exam
    day; a candidate scheduled into another sitting of the same body is the foreign row."""
    from appraisal.tests.test_pilots_support import ensure_level_rules

    traveller = stack.enter_context(time_machine.travel(builders.at(2014, 3, 3, 10), tick=False))
    ensure_level_rules()
    body, staff = builders.body_with_staff()
    sitting = builders.make_sitting(body, staff)
    other_sitting = builders.make_sitting(body, staff, exam_date=builders.EXAM_DAY)
    registrations = builders.scheduled(campaign, sitting, staff, count=2)
    (stranger,) = builders.scheduled(campaign, other_sitting, staff)
    traveller.move_to(builders.at(2014, 3, 20, 15), tick=False)
    return UploadContext(
        sheet=res_svc.RESULTS_SHEET,
        headers=res_svc.RESULTS_HEADERS,
        rows=[builders.result_row(r, "80", "75") for r in registrations],
        kinds={
            "报名编号": "code",
            "身份证号码": "id",
            "姓名": "match",
            "理论成绩": "score",
            "实操成绩": "score",
        },
        tables=[Registration, Certificate, AuditEvent],
        foreign_rows=[builders.result_row(stranger, "80", "75")],
        view=UploadView(
            url=reverse("appraisal:results_upload", kwargs={"pk": sitting.pk}), user=staff
        ),
        extra={"actor": staff, "sitting": sitting},
    )


def results_handler(*, context: UploadContext, fileobj, filename: str):
    return res_svc.results_upload(
        sitting=context.extra["sitting"],
        fileobj=fileobj,
        filename=filename,
        actor=context.extra["actor"],
    )
