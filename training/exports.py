"""Exporters of the training app: classes with ``headers`` and ``iter_rows()``, written through
``core.xlsx`` (text stays text, never a formula)."""

import datetime
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any, ClassVar

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from core import clock
from core.exports import PERCENT_FORMAT, Exporter, percent, register_audit_exporter
from core.models import Department
from core.xlsx import XlsxWriter
from training import deadlines
from training.models import (
    FIGURE_FIELDS,
    Enrollment,
    Inspection,
    Institution,
    MonthlyReturn,
    ReturnLine,
    TrainingCategory,
    TrainingClass,
)
from training.progress import target_achieved
from training.selectors import category_list, target_list

# The monthly-return template. The importer (training.services.return_files) reads the same
# sheet with the same headers, so both sides take them from here.
RETURN_SHEET = "月度报送"
RETURN_HELP_SHEET = "填表说明"
COL_DEPARTMENT_CODE = "单位代码"
COL_DEPARTMENT_NAME = "单位名称"
COL_MONTH = "报送月份"
COL_NUMBER = "序号"
COL_CATEGORY = "培训类别"
COL_NOTE = "备注"
# Figure columns in FIGURE_FIELDS order; the labels are the ReturnLine verbose names.
FIGURE_HEADERS: dict[str, str] = {
    name: str(ReturnLine._meta.get_field(name).verbose_name) for name in FIGURE_FIELDS
}
RETURN_HEADERS: tuple[str, ...] = (
    COL_DEPARTMENT_CODE,
    COL_DEPARTMENT_NAME,
    COL_MONTH,
    COL_NUMBER,
    COL_CATEGORY,
    *FIGURE_HEADERS.values(),
    COL_NOTE,
)
RETURN_WIDTHS: tuple[float, ...] = (10, 28, 10, 6, 30, 10, 10, 10, 10, 10, 40)
NOTE_MAX_LENGTH = ReturnLine._meta.get_field("note").max_length


def month_text(month: datetime.date) -> str:
    """How a reporting month is written in the template: ``2014-06``."""
    return f"{month:%Y-%m}"


class ReturnTemplateExporter:
    """One department's return for one month as a fillable template.

    Sheet "月度报送": one row per category the department owns, prefilled with the saved figures
    (zeros where nothing is saved); sheet "填表说明": the rules the upload checks. ``lines`` maps
    category id → the saved line (missing ids are written as zeros). No queries of its own: the
    caller passes the categories and lines it has loaded.
    """

    headers = RETURN_HEADERS

    def __init__(
        self,
        *,
        department: Department,
        month: datetime.date,
        categories: Sequence[TrainingCategory],
        lines: Mapping[int, ReturnLine],
    ) -> None:
        self.department = department
        self.month = month
        self.categories = categories
        self.lines = lines

    @property
    def filename(self) -> str:
        return f"{self.department.short_name}_{self.month:%Y年%m月}_月度报送.xlsx"

    def iter_rows(self) -> Iterator[list[Any]]:
        for category in self.categories:
            line = self.lines.get(category.pk)
            figures = line.figures() if line is not None else dict.fromkeys(FIGURE_FIELDS, 0)
            yield [
                self.department.code,
                self.department.name,
                month_text(self.month),
                category.number,
                category.name,
                *(figures[name] for name in FIGURE_FIELDS),
                line.note if line is not None else "",
            ]

    def instructions(self) -> Iterator[str]:
        figures = "、".join(FIGURE_HEADERS.values())
        outcomes = "、".join(list(FIGURE_HEADERS.values())[1:])
        yield (
            f"本表为{self.department.name}{self.month:%Y年%m月}目标任务完成情况月度报送模板，"
            "填好后在系统的月报页面上传。"
        )
        yield (
            f"1. 只填写“{figures}”和“{COL_NOTE}”几列；"
            f"“{COL_DEPARTMENT_CODE}”“{COL_MONTH}”“{COL_NUMBER}”“{COL_CATEGORY}”列不要修改，"
            "不要增加、删除或调换行。"
        )
        yield "2. 各项人数均为大于或等于0的整数，不能填写小数、负数或文字。"
        yield f"3. {outcomes}均不能大于同一行的培训人次。"
        yield f"4. 备注不超过{NOTE_MAX_LENGTH}个字。"
        yield (
            "5. 上传时整份文件一起检查：只要有一处错误，系统列出全部错误（工作表、行、列和原因），"
            "整份文件都不保存；改正后重新上传即可。"
        )
        yield (
            "6. 上传成功与在页面上填写并保存相同，之后仍须在页面上提交；"
            "已提交、已审核或已过锁定日期的月报不能通过上传修改。"
        )
        yield "7. 请保存为 .xlsx 格式（Excel 或 WPS），不要另存为 .xls 或含宏的 .xlsm 文件。"

    def write(self, target: str | IO[bytes]) -> None:
        with XlsxWriter() as writer:
            sheet = writer.add_sheet(RETURN_SHEET, self.headers, widths=RETURN_WIDTHS)
            for row in self.iter_rows():
                writer.append(sheet, row)
            help_sheet = writer.add_sheet(RETURN_HELP_SHEET, [RETURN_HELP_SHEET], widths=[110])
            for text in self.instructions():
                writer.append(help_sheet, [text])
            writer.save(target)


# --------------------------------------------------------------------------------------------
# The audit workbook (审计工作簿): the training app's four sheets, registered at import.
# Later apps add theirs the same way (培训机构 50, 培训班 60, 技能鉴定 70, 补贴发放 80,
# 表彰奖励 90).
# --------------------------------------------------------------------------------------------

_STATUS_LABELS: dict[str, str] = {
    value: str(label) for value, label in MonthlyReturn.Status.choices
}


def _months_owed(campaign) -> list[datetime.date]:
    return deadlines.months_due(campaign, clock.now())


class TargetsExporter(Exporter):
    """目标任务: the campaign's headline targets, the figure achieved so far and its percentage.

    "Achieved" is ``training.progress.target_achieved`` up to the last month owed, counting accepted
    returns only — the audit's basis, so that the training row equals the total of 分类任务
    (the dashboard's gauges also count returns awaiting review). A target whose app does not
    provide a figure yet (appraisals, high-skilled talents) leaves 已完成 and 完成率% empty.
    Queries: the targets, one per provider, one count.
    """

    sheet_name = "目标任务"
    headers = ("指标", "目标数", "计量单位", "已完成", "完成率%")
    widths = (24, 12, 10, 12, 10)
    number_formats: ClassVar[Mapping[int, str]] = {4: PERCENT_FORMAT}

    def _targets(self):
        return target_list(campaign=self.campaign)

    def iter_rows(self) -> Iterator[Sequence[Any]]:
        months = _months_owed(self.campaign)
        # The last day of the last month owed: providers that count by date (appraisals) need
        # the whole month, not its first day.
        until = (
            deadlines.next_month(months[-1]) - datetime.timedelta(days=1)
            if months
            else self.campaign.reporting_start - datetime.timedelta(days=1)
        )
        # Four rows: read them at once rather than keep a cursor open across provider queries.
        for code, name, figure, unit in list(
            self._targets().values_list("code", "name", "figure", "unit")
        ):
            achieved = target_achieved(
                campaign=self.campaign, code=code, until=until, accepted_only=True
            )
            yield (name, figure, unit, achieved, percent(achieved, figure))

    def row_count(self) -> int:
        return self._targets().count()


class CategoryTasksExporter(Exporter):
    """分类任务: the training categories with their departments and quotas, and what is completed.

    完成 counts only returns the office has ACCEPTED (sum of 培训人次), so the audit sees checked
    figures; submitted, returned and draft returns are left out. One query, one count.
    """

    sheet_name = "分类任务"
    headers = ("序号", "责任单位", "培训类别", "任务数", "已完成", "完成率%")
    widths = (6, 30, 30, 12, 12, 10)
    number_formats: ClassVar[Mapping[int, str]] = {5: PERCENT_FORMAT}

    def _categories(self):
        return category_list(campaign=self.campaign)

    def iter_rows(self) -> Iterator[Sequence[Any]]:
        accepted = Q(returnline__monthly_return__status=MonthlyReturn.Status.ACCEPTED)
        rows = (
            self._categories()
            .annotate(completed=Coalesce(Sum("returnline__trained", filter=accepted), 0))
            .values_list("number", "department__name", "name", "quota", "completed")
        )
        for number, department, name, quota, completed in rows.iterator(chunk_size=self.chunk_size):
            yield (number, department, name, quota, completed, percent(completed, quota))

    def row_count(self) -> int:
        return self._categories().count()


class MonthlyProgressExporter(Exporter):
    """月度进度: every return line the office has received — department × category × month.

    One row per ReturnLine of a non-draft return (submitted, returned or accepted; 状态 says
    which), ordered by department, category and month, with the clerk's note. Streams with
    ``.iterator()``: one query whatever the number of months, plus one count.
    """

    sheet_name = "月度进度"
    headers = ("责任单位", "培训类别", "月份", *FIGURE_HEADERS.values(), "状态", "备注")
    widths = (30, 30, 10, 10, 10, 10, 10, 10, 12, 40)

    def _lines(self):
        return ReturnLine.objects.filter(monthly_return__campaign=self.campaign).exclude(
            monthly_return__status=MonthlyReturn.Status.DRAFT
        )

    def iter_rows(self) -> Iterator[Sequence[Any]]:
        rows = self._lines().order_by(
            "monthly_return__department__sort_order",
            "monthly_return__department__code",
            "category__number",
            "monthly_return__month",
        )
        fields = (
            "monthly_return__department__name",
            "category__name",
            "monthly_return__month",
            *FIGURE_FIELDS,
            "monthly_return__status",
            "note",
        )
        for department, category, month, *figures, status, note in rows.values_list(
            *fields
        ).iterator(chunk_size=self.chunk_size):
            yield (department, category, month_text(month), *figures, _STATUS_LABELS[status], note)

    def row_count(self) -> int:
        return self._lines().count()


class SubmissionsExporter(Exporter):
    """报送情况: every responsible department × every month owed so far, whether it reported.

    提交时间 is the first submission (punctuality is fixed by it): 按时 or 逾期 as recorded on the
    return; a month with no submitted return is 未报送 once its due day has passed (未到截止日
    before). 审核状态 is the return's status (empty when there is none); 锁定后更正 says whether an
    approved correction changed it after the deadline. Two queries and one count whatever the
    number of months; the returns read at once are at most departments × months.
    """

    sheet_name = "报送情况"
    headers = ("责任单位", "月份", "提交时间", "是否按时", "审核状态", "锁定后更正")
    widths = (30, 10, 20, 12, 14, 12)

    ON_TIME = "按时"
    LATE = "逾期"
    MISSING = "未报送"
    NOT_DUE = "未到截止日"

    def _departments(self):
        owners = TrainingCategory.objects.filter(campaign=self.campaign).values("department_id")
        return Department.objects.filter(pk__in=owners).order_by("sort_order", "code")

    def iter_rows(self) -> Iterator[Sequence[Any]]:
        moment = clock.now()
        months = _months_owed(self.campaign)
        due = {month: deadlines.window_for(self.campaign, month).due_at for month in months}
        returns = {
            (department_id, month): rest
            for department_id, month, *rest in MonthlyReturn.objects.filter(
                campaign=self.campaign
            ).values_list(
                "department_id",
                "month",
                "status",
                "first_submitted_at",
                "is_late",
                "amended_after_deadline",
            )
        }
        for department_id, name in self._departments().values_list("pk", "name"):
            for month in months:
                found = returns.get((department_id, month))
                status, submitted_at, is_late, amended = found or (None, None, False, False)
                if submitted_at is not None:
                    punctuality = self.LATE if is_late else self.ON_TIME
                else:
                    punctuality = self.MISSING if moment >= due[month] else self.NOT_DUE
                yield (
                    name,
                    month_text(month),
                    submitted_at,
                    punctuality,
                    _STATUS_LABELS.get(status, ""),
                    amended,
                )

    def row_count(self) -> int:
        return self._departments().count() * len(_months_owed(self.campaign))


register_audit_exporter(TargetsExporter, order=10)
register_audit_exporter(CategoryTasksExporter, order=20)
register_audit_exporter(MonthlyProgressExporter, order=30)
register_audit_exporter(SubmissionsExporter, order=40)


# --------------------------------------------------------------------------------------------
# Training delivery in the audit workbook: 培训机构 (50) and 培训班 (60).
# --------------------------------------------------------------------------------------------

_INSTITUTION_KINDS: dict[str, str] = {
    value: str(label) for value, label in Institution.Kind.choices
}
_DESIGNATIONS: dict[str, str] = {
    value: str(label) for value, label in Institution.Designation.choices
}
_CLASS_KINDS: dict[str, str] = {value: str(label) for value, label in TrainingClass.Kind.choices}
_CLASS_STATUSES: dict[str, str] = {
    value: str(label) for value, label in TrainingClass.Status.choices
}
# Classes that opened (ran or are running); draft, submitted and refused classes trained nobody.
_OPENED = (TrainingClass.Status.APPROVED, TrainingClass.Status.CLOSED)


class InstitutionsExporter(Exporter):
    """培训机构: every training institution in the registry, revoked ones included, with what it
    ran in this campaign.

    开班数 counts the campaign's classes that opened (approved or closed); 培训人数 their
    enrollments; 合格人数 those passed. 合格率% is passed ÷ enrollments of *closed* classes (only
    a closed class has results), empty when none has closed. 基本账户 is the stored mask
    (``bank_account_masked``): the audit never receives a decrypted account number.
    One grouped query and one count, whatever the number of classes.
    """

    sheet_name = "培训机构"
    headers = (
        "机构名称",
        "类型",
        "县（市、区）",
        "定点资格",
        "授牌日期",
        "开班数",
        "培训人数",
        "合格人数",
        "合格率%",
        "基本账户",
    )
    widths = (34, 16, 14, 16, 12, 8, 10, 10, 10, 24)
    number_formats: ClassVar[Mapping[int, str]] = {8: PERCENT_FORMAT}

    def _institutions(self):
        return Institution.objects.all()

    def iter_rows(self) -> Iterator[Sequence[Any]]:
        opened = Q(
            classes__campaign=self.campaign,
            classes__status__in=_OPENED,
        )
        closed = Q(classes__campaign=self.campaign, classes__status=TrainingClass.Status.CLOSED)
        passed = closed & Q(classes__enrollments__result=Enrollment.Result.PASSED)
        rows = (
            self._institutions()
            .annotate(
                classes_run=Count("classes", filter=opened, distinct=True),
                trainees=Count("classes__enrollments", filter=opened),
                closed_trainees=Count("classes__enrollments", filter=closed),
                passed=Count("classes__enrollments", filter=passed),
            )
            .order_by("county__sort_order", "county__code", "name")
            .values_list(
                "name",
                "kind",
                "county__name",
                "designation",
                "plaque_granted_on",
                "classes_run",
                "trainees",
                "passed",
                "closed_trainees",
                "bank_account_masked",
            )
        )
        for (
            name,
            kind,
            county,
            designation,
            plaque,
            classes_run,
            trainees,
            passed_count,
            closed_trainees,
            account,
        ) in rows.iterator(chunk_size=self.chunk_size):
            yield (
                name,
                _INSTITUTION_KINDS.get(kind, kind),
                county or "",
                _DESIGNATIONS.get(designation, designation),
                plaque,
                classes_run,
                trainees,
                passed_count,
                percent(passed_count, closed_trainees),
                account,
            )

    def row_count(self) -> int:
        return self._institutions().count()


def _count_of(model, *, filters: Q | None = None) -> Coalesce:
    """A correlated COUNT of ``model`` rows of the outer class (0 when there are none)."""
    rows = model.objects.filter(training_class=OuterRef("pk"))
    if filters is not None:
        rows = rows.filter(filters)
    counted = rows.order_by().values("training_class").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


class ClassesExporter(Exporter):
    """培训班: every class of the campaign that was submitted for opening approval (drafts are the
    institution's unfinished work and are left out), ordered by start date and code.

    学员数 counts the enrollments, 合格数 those passed, 完成抽查次数 the inspections done (planned
    ones not yet carried out are not counted). One query (three correlated counts) and one count.
    """

    sheet_name = "培训班"
    headers = (
        "班级编号",
        "班级名称",
        "培训机构",
        "培训类别",
        "责任单位",
        "职业",
        "培训类型",
        "开班日期",
        "结业日期",
        "计划课次",
        "状态",
        "学员数",
        "合格数",
        "完成抽查次数",
    )
    widths = (16, 34, 30, 28, 28, 20, 16, 12, 12, 10, 12, 8, 8, 12)

    def _classes(self):
        return TrainingClass.objects.filter(campaign=self.campaign).exclude(
            status=TrainingClass.Status.DRAFT
        )

    def iter_rows(self) -> Iterator[Sequence[Any]]:
        rows = (
            self._classes()
            .annotate(
                enrolled=_count_of(Enrollment),
                passed=_count_of(Enrollment, filters=Q(result=Enrollment.Result.PASSED)),
                inspected=_count_of(Inspection, filters=Q(done_at__isnull=False)),
            )
            .order_by("start_date", "code")
            .values_list(
                "code",
                "name",
                "institution__name",
                "category__name",
                "category__department__name",
                "occupation__name",
                "kind",
                "start_date",
                "end_date",
                "planned_sessions",
                "status",
                "enrolled",
                "passed",
                "inspected",
            )
        )
        for (
            code,
            name,
            institution,
            category,
            department,
            occupation,
            kind,
            start,
            end,
            planned,
            status,
            enrolled,
            passed_count,
            inspected,
        ) in rows.iterator(chunk_size=self.chunk_size):
            yield (
                code,
                name,
                institution,
                category,
                department,
                occupation,
                _CLASS_KINDS.get(kind, kind),
                start,
                end,
                planned,
                _CLASS_STATUSES.get(status, status),
                enrolled,
                passed_count,
                inspected,
            )

    def row_count(self) -> int:
        return self._classes().count()


register_audit_exporter(InstitutionsExporter, order=50)
register_audit_exporter(ClassesExporter, order=60)

# Teachers, enterprise education funds, labour market (师资队伍, 职工教育经费, 供需分析).
import training.exports_labour  # noqa: E402, F401

# The work ledger and the 1688 programme (sheets 责任分解, 1688工程).
from training import exports_ledger  # noqa: E402, F401
