"""The education-fund returns upload as seen by the hostile-file corpus
(``core/tests/test_hostile_uploads.py``), plus a check that the corpus's good file imports.
Registered in ``core/tests/hostile/uploads.py``."""

from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import AuditEvent, County
from core.tests.hostile.uploads import UploadContext, UploadView
from training.models import EducationFundReturn, Enterprise
from training.models.enterprise_funds import credit_code_check_char
from training.services.enterprise_funds import (
    UPLOAD_HEADERS,
    UPLOAD_MAX_ROWS,
    UPLOAD_SHEET,
    fund_returns_import,
)
from training.tests.test_institutions_support import office_user


def _code(n: int) -> str:
    first17 = f"91411000MA{n:07d}"
    return first17 + credit_code_check_char(first17)


def fund_context(*, campaign, stack) -> UploadContext:
    """Two registered enterprises' 2013 returns, uploaded by the office; the foreign row is an
    enterprise that is not in the register."""
    county = County.objects.order_by("sort_order").first()
    firms = [
        Enterprise.objects.create(
            name=f"许昌上传测试企业{n}有限公司",
            credit_code=_code(900 + n),
            county=county,
            above_scale=True,
        )
        for n in (1, 2)
    ]
    office = office_user()
    return UploadContext(
        sheet=UPLOAD_SHEET,
        headers=UPLOAD_HEADERS,
        rows=[
            [firms[0].credit_code, firms[0].name, 2013, "1000000", "1.5", "0", "否"],
            [firms[1].credit_code, firms[1].name, 2013, "250000.50", None, None, "是"],
        ],
        kinds={
            "统一社会信用代码": "code",
            "企业名称": "match",
            "年度": "int",
            "职工工资总额（元）": "score",
            "提取比例（%）": "score?",
            "培训支出（元）": "score?",
            "是否开展职工培训": "match",
        },
        tables=[EducationFundReturn, AuditEvent],
        foreign_rows=[[_code(999), "未登记的企业有限公司", 2013, "1000", "2", "0", "是"]],
        max_rows=UPLOAD_MAX_ROWS,
        view=UploadView(url=reverse("training:fund_upload"), user=office),
        extra={"actor": office, "campaign": campaign},
    )


def fund_handler(*, context: UploadContext, fileobj, filename: str):
    return fund_returns_import(
        campaign=context.extra["campaign"],
        fileobj=fileobj,
        filename=filename,
        actor=context.extra["actor"],
    )


@pytest.mark.django_db
def test_the_corpus_good_file_imports(plan):
    import contextlib
    import io

    from core.xlsx import XlsxWriter

    with contextlib.ExitStack() as stack:
        context = fund_context(campaign=plan, stack=stack)
        handle = io.BytesIO()
        with XlsxWriter() as writer:
            sheet = writer.add_sheet(context.sheet, context.headers)
            for row in context.rows:
                writer.append(sheet, row)
            writer.save(handle)
        handle.seek(0)
        summary = fund_handler(context=context, fileobj=handle, filename="good.xlsx")
    assert summary.created == 2
    assert EducationFundReturn.objects.get(year=2013, payroll=Decimal("1000000")).due == Decimal(
        "9000.00"
    )
