"""Exporters of the subsidies app (autodiscovered by ``core.exports``): the audit workbook's
补贴发放 sheet."""

from collections.abc import Iterator, Sequence
from typing import Any

from django.utils import timezone

from core.crypto import decrypt
from core.exports import Exporter, may_see_id_numbers, register_audit_exporter
from subsidies.models import Kind, SubsidyClaim
from subsidies.selectors.reports import claims_with_batch
from subsidies.services.notices import mask_name

_KINDS = {value: str(label) for value, label in Kind.choices}
_CHANNELS = {value: str(label) for value, label in SubsidyClaim.Channel.choices}
_PAYEES = {value: str(label) for value, label in SubsidyClaim.PayeeKind.choices}
_STATUSES = {value: str(label) for value, label in SubsidyClaim.Status.choices}


class SubsidyPaymentsExporter(Exporter):
    """补贴发放: one row per subsidy claim of the campaign, by claim number.

    Name and 身份证号码 in full for the roles that may see ID numbers (人社, 财政), masked
    otherwise (张*国, 4110**********123X); the account is always masked (the full number is only
    in a batch's bank file). 拨付批次 is the claim's latest payment line that was not cancelled.

    Queries: one streamed read (``values_list().iterator()``, the batch number a subquery) and one
    count for the progress bar, whatever the number of rows.
    """

    sheet_name = "补贴发放"
    headers = (
        "申请编号",
        "补贴类型",
        "姓名",
        "身份证号码",
        "申请方式",
        "收款类型",
        "收款人",
        "收款账号",
        "金额（元）",
        "状态",
        "拨付批次",
        "发放日期",
    )
    widths = (18, 24, 10, 22, 14, 18, 28, 16, 12, 10, 16, 12)

    def __init__(self, *, campaign, user) -> None:
        super().__init__(campaign=campaign, user=user)
        self.full_ids = may_see_id_numbers(user)

    def iter_rows(self) -> Iterator[Sequence[Any]]:
        rows = claims_with_batch(self.campaign).values_list(
            "number",
            "kind",
            "worker__name",
            "worker__id_number_encrypted",
            "worker__id_number_masked",
            "channel",
            "payee_kind",
            "payee_name",
            "account_masked",
            "amount",
            "status",
            "batch_number",
            "paid_at",
        )
        for (
            number,
            kind,
            name,
            id_encrypted,
            id_masked,
            channel,
            payee_kind,
            payee_name,
            account_masked,
            amount,
            status,
            batch_number,
            paid_at,
        ) in rows.iterator(chunk_size=self.chunk_size):
            yield (
                number,
                _KINDS.get(kind, kind),
                name if self.full_ids else mask_name(name),
                decrypt(id_encrypted) if self.full_ids else id_masked,
                _CHANNELS.get(channel, channel),
                _PAYEES.get(payee_kind, payee_kind),
                payee_name if self.full_ids or payee_kind != "person" else mask_name(payee_name),
                account_masked,
                amount,
                _STATUSES.get(status, status),
                batch_number or "",
                timezone.localdate(paid_at) if paid_at else None,
            )

    def row_count(self) -> int:
        return SubsidyClaim.objects.filter(campaign=self.campaign).count()


register_audit_exporter(SubsidyPaymentsExporter, order=80)
