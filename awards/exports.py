"""Exporters of the awards. ``core.exports`` imports this module itself (autodiscovery), so the
audit workbook gains its 表彰奖励 sheet without anyone else's file changing."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from awards.selectors import winners_for_export
from core.crypto import decrypt
from core.exports import Exporter, may_see_id_numbers, register_audit_exporter

_STATUS = {"confirmed": "已确定", "revoked": "已撤销"}


class AwardWinnersExporter(Exporter):
    """表彰奖励: one row per winner of the campaign's cycles (revoked ones too, with the reason),
    ordered by cycle, award kind and slot: who, which unit nominated them, the review score, the
    prize the plan data sets and what was paid. 身份证号码 in full only for the roles that may see
    ID numbers (core.exports); bank accounts are never in this workbook (only masked).

    Queries: one streamed read and one count, whatever the number of rows.
    """

    sheet_name = "表彰奖励"
    headers = (
        "届次",
        "奖项",
        "序号",
        "姓名",
        "身份证号码",
        "推荐单位",
        "工作单位",
        "职业（工种）",
        "评审得分",
        "状态",
        "撤销原因",
        "奖金标准（元）",
        "已拨付（元）",
        "拨付时间",
        "收款账号",
    )
    widths = (24, 16, 6, 10, 22, 20, 28, 16, 10, 8, 20, 14, 12, 18, 16)

    def __init__(self, *, campaign, user) -> None:
        super().__init__(campaign=campaign, user=user)
        self.full_ids = may_see_id_numbers(user)

    def _rows(self):
        return winners_for_export(campaign=self.campaign)

    def iter_rows(self) -> Iterator[Sequence[Any]]:
        rows = self._rows().values_list(
            "cycle__title",
            "award_kind__name",
            "slot",
            "nomination__worker__name",
            "nomination__worker__id_number_encrypted",
            "nomination__worker__id_number_masked",
            "nomination__unit__name",
            "nomination__employer",
            "nomination__occupation__name",
            "mean_score",
            "status",
            "revoked_reason",
            "award_kind__prize",
            "paid_amount",
            "paid_at",
            "account_masked",
        )
        for (
            cycle,
            kind,
            slot,
            name,
            encrypted,
            masked,
            unit,
            employer,
            occupation,
            score,
            status,
            reason,
            prize,
            paid,
            paid_at,
            account,
        ) in rows.iterator(chunk_size=self.chunk_size):
            yield (
                cycle,
                kind,
                slot,
                name,
                self.mask(decrypt(encrypted)) if self.full_ids else masked,
                unit,
                employer,
                occupation,
                score,
                _STATUS.get(status, status),
                reason,
                prize,
                paid,
                paid_at,
                account,
            )

    def row_count(self) -> int:
        return self._rows().count()


register_audit_exporter(AwardWinnersExporter, order=90)
