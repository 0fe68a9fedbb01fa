"""Exporters of teachers, enterprise education funds and the labour-market analysis.

Three sheets join the audit workbook (师资队伍 120, 职工教育经费 130, 供需分析 140); two more
exporters are downloads of their own: the list for the tax office (one year's amounts due) and one
supply–demand report. Each streams one query with ``.iterator()`` (plus a count).
"""

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

from django.db.models import Count, Sum
from django.db.models.functions import Coalesce

from core.exports import Exporter, register_audit_exporter
from core.xlsx import TextCell
from training.models import (
    EducationFundReturn,
    SupplyDemandReport,
    SupplyDemandRow,
    Teacher,
)
from training.selectors.labour_market import ratio

HUNDRED = 100
_EDUCATION = {value: str(label) for value, label in Teacher.Education.choices}
_TITLE = {value: str(label) for value, label in Teacher.Title.choices}
_EMPLOYMENT = {value: str(label) for value, label in Teacher.Employment.choices}
_HONOUR = {value: str(label) for value, label in Teacher.Honour.choices}


def _rate_percent(rate):
    return None if rate is None else rate * HUNDRED


class TeachersExporter(Exporter):
    """师资队伍: every teacher with qualification, honours, employment, classes taught and further
    training (count and hours). 本科及以上 is 是 for 研究生 and 本科. One query, one count."""

    sheet_name = "师资队伍"
    headers = (
        "培训机构",
        "姓名",
        "学历",
        "本科及以上",
        "专业技术职称",
        "荣誉称号",
        "专兼职",
        "在岗",
        "任教班级数",
        "进修次数",
        "进修学时",
    )
    widths = (28, 12, 18, 10, 12, 24, 8, 8, 10, 10, 10)

    def _teachers(self):
        return Teacher.objects.all()

    def iter_rows(self) -> Iterator[Sequence[Any]]:
        rows = (
            self._teachers()
            .annotate(
                class_count=Count("class_links", distinct=True),
                training_count=Count("trainings", distinct=True),
                training_hours=Coalesce(Sum("trainings__hours"), 0),
            )
            .order_by("institution__name", "name", "id")
            .values_list(
                "institution__name",
                "name",
                "education",
                "title",
                "honours",
                "employment",
                "is_active",
                "class_count",
                "training_count",
                "training_hours",
            )
        )
        for (
            institution,
            name,
            education,
            title,
            honours,
            employment,
            active,
            classes,
            trainings,
            hours,
        ) in rows.iterator(chunk_size=self.chunk_size):
            yield (
                institution,
                name,
                _EDUCATION.get(education, education),
                education in Teacher.BACHELOR_OR_ABOVE,
                _TITLE.get(title, title),
                "、".join(_HONOUR.get(code, code) for code in honours or []),
                _EMPLOYMENT.get(employment, employment),
                active,
                classes,
                trainings,
                hours,
            )

    def row_count(self) -> int:
        return self._teachers().count()


register_audit_exporter(TeachersExporter, order=120)


FUND_HEADERS = (
    "年度",
    "企业名称",
    "统一社会信用代码",
    "所在县（市、区）",
    "规模以上",
    "职工工资总额（元）",
    "提取比例%",
    "已提取经费（元）",
    "培训支出（元）",
    "开展职工培训",
    "应提取经费（元）",
    "应征收金额（元）",
)


class FundReturnsExporter(Exporter):
    """职工教育经费: every enterprise's yearly return. 应提取经费 is payroll × the plan's minimum
    rate; 应征收金额 is 60% of it (the plan's share) for enterprises above scale that did no
    training, else 0. One query, one count."""

    sheet_name = "职工教育经费"
    headers = FUND_HEADERS
    widths = (8, 30, 22, 14, 8, 16, 10, 14, 14, 12, 14, 14)
    number_formats: ClassVar[Mapping[int, str]] = {6: "0.00"}

    def _returns(self):
        return EducationFundReturn.objects.all()

    def iter_rows(self) -> Iterator[Sequence[Any]]:
        rows = (
            self._returns()
            .order_by("-year", "enterprise__name", "id")
            .values_list(
                "year",
                "enterprise__name",
                "enterprise__credit_code",
                "enterprise__county__name",
                "above_scale",
                "payroll",
                "rate",
                "set_aside",
                "spent_on_training",
                "did_training",
                "should_set_aside",
                "due",
            )
        )
        for row in rows.iterator(chunk_size=self.chunk_size):
            year, name, code, county, above, payroll, rate, *rest = row
            yield (
                year,
                name,
                TextCell(code),
                county or "",
                above,
                payroll,
                _rate_percent(rate),
                *rest,
            )

    def row_count(self) -> int:
        return self._returns().count()


register_audit_exporter(FundReturnsExporter, order=130)


class FundTaxListExporter(Exporter):
    """The list for the tax office (地税部门) for one year: the enterprises above scale that did no
    training and the amount due from each. One query."""

    sheet_name = "应征收职工教育经费"
    headers = (
        "序号",
        "企业名称",
        "统一社会信用代码",
        "所在县（市、区）",
        "年度",
        "职工工资总额（元）",
        "申报提取比例%",
        "应提取经费（元）",
        "征收比例%",
        "应征收金额（元）",
    )
    widths = (6, 30, 22, 14, 8, 16, 12, 14, 10, 14)
    number_formats: ClassVar[Mapping[int, str]] = {6: "0.00", 8: "0"}

    def __init__(self, *, campaign: Any, user, year: int) -> None:
        super().__init__(campaign=campaign, user=user)
        self.year = year

    def _returns(self):
        return EducationFundReturn.objects.filter(year=self.year, due__gt=0)

    def iter_rows(self) -> Iterator[Sequence[Any]]:
        rows = (
            self._returns()
            .order_by("enterprise__county__sort_order", "enterprise__name", "id")
            .values_list(
                "enterprise__name",
                "enterprise__credit_code",
                "enterprise__county__name",
                "year",
                "payroll",
                "rate",
                "should_set_aside",
                "collection_share",
                "due",
            )
        )
        for number, row in enumerate(rows.iterator(chunk_size=self.chunk_size), start=1):
            name, code, county, year, payroll, rate, should, share, due = row
            yield (
                number,
                name,
                TextCell(code),
                county or "",
                year,
                payroll,
                _rate_percent(rate),
                should,
                share * HUNDRED,
                due,
            )

    def row_count(self) -> int:
        return self._returns().count()


REPORT_ROW_HEADERS = (
    "职业编码",
    "职业（工种）",
    "培训合格人数",
    "取得证书人数",
    "需求人数",
    "缺口（需求−持证）",
    "求人倍率",
)


class SupplyDemandExporter(Exporter):
    """供需分析: the rows of every PUBLISHED supply–demand report (drafts are work in progress),
    the newest period first. 求人倍率 = demand ÷ certified supply (empty without supply). One
    query, one count."""

    sheet_name = "供需分析"
    headers = ("报告", "起始月份", "截止日期", "发布时间", *REPORT_ROW_HEADERS)
    widths = (36, 10, 12, 18, 10, 20, 12, 12, 10, 16, 10)
    number_formats: ClassVar[Mapping[int, str]] = {10: "0.00"}

    def _rows(self):
        return SupplyDemandRow.objects.filter(
            report__campaign=self.campaign, report__status=SupplyDemandReport.Status.PUBLISHED
        )

    def iter_rows(self) -> Iterator[Sequence[Any]]:
        rows = (
            self._rows()
            .order_by("-report__period_end", "report_id", "-gap", "occupation_code")
            .values_list(
                "report__title",
                "report__period_start",
                "report__period_end",
                "report__published_at",
                "occupation_code",
                "occupation_name",
                "trained",
                "certified",
                "demand",
                "gap",
            )
        )
        for (
            title,
            start,
            end,
            published,
            code,
            name,
            trained,
            certified,
            demand,
            gap,
        ) in rows.iterator(chunk_size=self.chunk_size):
            yield (
                title,
                f"{start:%Y-%m}",
                end,
                published,
                TextCell(code),
                name,
                trained,
                certified,
                demand,
                gap,
                ratio(demand, certified),
            )

    def row_count(self) -> int:
        return self._rows().count()


register_audit_exporter(SupplyDemandExporter, order=140)


class ReportExporter(Exporter):
    """One supply–demand report's rows (the report page's download). One query."""

    sheet_name = "供需分析"
    headers = REPORT_ROW_HEADERS
    widths = (10, 20, 12, 12, 10, 16, 10)
    number_formats: ClassVar[Mapping[int, str]] = {6: "0.00"}

    def __init__(self, *, campaign: Any, user, report: SupplyDemandReport) -> None:
        super().__init__(campaign=campaign, user=user)
        self.report = report

    def _rows(self):
        return SupplyDemandRow.objects.filter(report=self.report)

    def iter_rows(self) -> Iterator[Sequence[Any]]:
        rows = self._rows().order_by("-gap", "occupation_code")
        for code, name, trained, certified, demand, gap in rows.values_list(
            "occupation_code", "occupation_name", "trained", "certified", "demand", "gap"
        ).iterator(chunk_size=self.chunk_size):
            yield (TextCell(code), name, trained, certified, demand, gap, ratio(demand, certified))

    def row_count(self) -> int:
        return self._rows().count()
