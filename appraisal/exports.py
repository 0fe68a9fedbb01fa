"""Exporters of the appraisal app. ``core.exports`` imports this module itself (autodiscovery), so
the audit workbook gains its 技能鉴定 sheet without anyone else's file changing."""

from collections.abc import Iterator, Sequence
from typing import Any

from appraisal.models import EnterpriseEvaluation, Level, Registration
from appraisal.selectors import results_in_period
from core.crypto import decrypt
from core.exports import Exporter, may_see_id_numbers, register_audit_exporter

_LEVELS: dict[int, str] = {value: str(label) for value, label in Level.choices}
_RESULTS: dict[str, str] = {
    Registration.Status.PASSED: "合格",
    Registration.Status.FAILED: "不合格",
}
PILOT_SUFFIX = "（企业评价）"


class AppraisalResultsExporter(Exporter):
    """技能鉴定: one row per appraisal result of the campaign, then one per enterprise evaluation.

    Appraisal rows are ``appraisal.selectors.results_in_period`` up to the campaign's end (the
    same rows the "appraisal" headline target counts: passed or failed at a sitting whose exam
    day lies in the campaign), ordered by exam day and registration; the certificate number and
    issue date are empty for a failure. Enterprise-evaluation rows follow (evaluated within the
    campaign), the pilot enterprise named as the body with "（企业评价）". 身份证号码 goes through
    ``self.mask``: in full for the roles that may see ID numbers (core.exports), masked
    otherwise — without decrypting anything for a masked export.

    Queries: two streamed reads (``values_list().iterator()``) and, for the progress bar, two
    counts — whatever the number of rows.
    """

    sheet_name = "技能鉴定"
    headers = (
        "证书编号",
        "姓名",
        "身份证号码",
        "职业",
        "等级",
        "鉴定机构",
        "考试日期",
        "结果",
        "发证日期",
    )
    widths = (20, 10, 22, 20, 10, 34, 12, 8, 12)

    def __init__(self, *, campaign, user) -> None:
        super().__init__(campaign=campaign, user=user)
        self.full_ids = may_see_id_numbers(user)

    def _results(self):
        return results_in_period(campaign=self.campaign, until=self.campaign.end_date)

    def _evaluations(self):
        return EnterpriseEvaluation.objects.filter(
            evaluated_on__gte=self.campaign.start_date,
            evaluated_on__lte=self.campaign.end_date,
        )

    def _id_text(self, encrypted: str, masked: str) -> str:
        # The stored mask equals mask_resident_id(number): no need to decrypt for a masked sheet.
        return self.mask(decrypt(encrypted)) if self.full_ids else masked

    def iter_rows(self) -> Iterator[Sequence[Any]]:
        results = (
            self._results()
            .order_by("sitting__exam_date", "pk")
            .values_list(
                "certificate__number",
                "worker__name",
                "worker__id_number_encrypted",
                "worker__id_number_masked",
                "occupation__name",
                "level",
                "sitting__body__name",
                "sitting__exam_date",
                "status",
                "certificate__issued_on",
            )
        )
        for (
            number,
            name,
            encrypted,
            masked,
            occupation,
            level,
            body,
            exam_date,
            status,
            issued_on,
        ) in results.iterator(chunk_size=self.chunk_size):
            yield (
                number or "",
                name,
                self._id_text(encrypted, masked),
                occupation,
                _LEVELS.get(level, str(level)),
                body,
                exam_date,
                _RESULTS.get(status, status),
                issued_on,
            )
        evaluations = (
            self._evaluations()
            .order_by("evaluated_on", "pk")
            .values_list(
                "certificate__number",
                "worker__name",
                "worker__id_number_encrypted",
                "worker__id_number_masked",
                "occupation__name",
                "level",
                "pilot__name",
                "evaluated_on",
                "result",
                "certificate__issued_on",
            )
        )
        for (
            number,
            name,
            encrypted,
            masked,
            occupation,
            level,
            pilot,
            evaluated_on,
            result,
            issued_on,
        ) in evaluations.iterator(chunk_size=self.chunk_size):
            yield (
                number or "",
                name,
                self._id_text(encrypted, masked),
                occupation,
                _LEVELS.get(level, str(level)),
                f"{pilot}{PILOT_SUFFIX}",
                evaluated_on,
                _RESULTS.get(result, result),
                issued_on,
            )

    def row_count(self) -> int:
        return self._results().count() + self._evaluations().count()


register_audit_exporter(AppraisalResultsExporter, order=70)
