"""Writes of the enterprise education-fund area (职工教育经费): the enterprise register, yearly
returns entered one by one or uploaded as an xlsx file (all or nothing), and the plan's fund rule
(loaded with the plan).

Who writes: the leading-group office (see ``training.permissions.enterprise_funds``). Every
function checks permission first, runs in one transaction and writes audit rows.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.errors import RuleViolation
from core.models import User
from core.services import audit_record
from core.xlsx import (
    CellValueError,
    ErrorCollector,
    SheetReader,
    XlsxError,
    cell_decimal,
    cell_id_number,
    cell_int,
    cell_text,
    open_workbook,
)
from training.models import Campaign, EducationFundReturn, EducationFundRule, Enterprise
from training.models.enterprise_funds import (
    CENT,
    fund_due,
    normalize_credit_code,
    validate_credit_code,
)
from training.permissions import enterprise_funds as perms

ENTERPRISE_FIELDS = ("name", "credit_code", "county", "department", "above_scale")
HUNDRED = Decimal(100)

# The upload template (and the importer): one sheet, these headers, in this order.
UPLOAD_SHEET = "职工教育经费"
COL_CODE = "统一社会信用代码"
COL_NAME = "企业名称"
COL_YEAR = "年度"
COL_PAYROLL = "职工工资总额（元）"
COL_RATE = "提取比例（%）"
COL_SPENT = "培训支出（元）"
COL_TRAINED = "是否开展职工培训"
UPLOAD_HEADERS = (COL_CODE, COL_NAME, COL_YEAR, COL_PAYROLL, COL_RATE, COL_SPENT, COL_TRAINED)
YES, NO = "是", "否"
# A city's enterprises above scale number in the hundreds; a bigger file is the wrong file.
UPLOAD_MAX_ROWS = 5000


def fund_rule(*, campaign: Campaign) -> EducationFundRule:
    rule = EducationFundRule.objects.filter(campaign=campaign).first()
    if rule is None:
        raise RuleViolation(_("尚未载入职工教育经费规则，请先运行 load_plan"), code="no_rule")
    return rule


def rate_range_text(rule: EducationFundRule) -> str:
    low = (rule.min_rate * HUNDRED).normalize()
    high = (rule.max_rate * HUNDRED).normalize()
    return f"{low:f}%至{high:f}%"


# ------------------------------------------------------------------------------
# Enterprises
# ------------------------------------------------------------------------------


def _clean_enterprise(data: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(ENTERPRISE_FIELDS)
    if unknown:
        raise ValueError(f"fields that cannot be set here: {sorted(unknown)}")
    values = dict(data)
    if "credit_code" in values:
        values["credit_code"] = normalize_credit_code(values["credit_code"])
    if "name" in values:
        values["name"] = (values["name"] or "").strip()
    return values


@transaction.atomic
def enterprise_create(*, data: Mapping[str, Any], actor: User) -> Enterprise:
    """Register an enterprise. The credit code is upper-cased and checked (GB 32100 check
    character); a code already registered is a ValidationError. Writes ``enterprise.create``."""
    if not perms.can_manage_funds(actor):
        raise PermissionDenied
    enterprise = Enterprise(**_clean_enterprise(data))
    enterprise.full_clean()
    enterprise.save()
    audit_record(
        actor=actor,
        action="enterprise.create",
        obj=enterprise,
        changes={
            "name": enterprise.name,
            "credit_code": enterprise.credit_code,
            "above_scale": enterprise.above_scale,
        },
    )
    return enterprise


@transaction.atomic
def enterprise_update(
    *, enterprise: Enterprise, data: Mapping[str, Any], actor: User
) -> Enterprise:
    """Change an enterprise's record. Returns already saved keep the above-scale status they were
    computed with. Writes ``enterprise.update`` with what changed."""
    if not perms.can_manage_funds(actor):
        raise PermissionDenied
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    changes = {}
    for name, value in _clean_enterprise(data).items():
        old = getattr(enterprise, name)
        if old != value:
            changes[name] = [str(old) if old is not None else None, str(value)]
            setattr(enterprise, name, value)
    if changes:
        enterprise.full_clean()
        enterprise.save()
        audit_record(actor=actor, action="enterprise.update", obj=enterprise, changes=changes)
    return enterprise


# ------------------------------------------------------------------------------
# Returns
# ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnInput:
    """One return as entered: ``rate`` is a fraction (0.015), or None when nothing was set
    aside."""

    year: int
    payroll: Decimal
    rate: Decimal | None
    spent_on_training: Decimal
    did_training: bool


def _check_return(data: ReturnInput, rule: EducationFundRule) -> dict[str, str]:
    errors = {}
    if data.payroll is None or data.payroll <= 0:
        errors["payroll"] = _("职工工资总额应大于0")
    if data.rate is not None and not rule.min_rate <= data.rate <= rule.max_rate:
        errors["rate"] = _("提取比例应在%(range)s之间（未提取的请留空）") % {
            "range": rate_range_text(rule)
        }
    if data.spent_on_training is not None and data.spent_on_training < 0:
        errors["spent_on_training"] = _("培训支出不能为负数")
    return errors


def _derived(
    data: ReturnInput, *, enterprise: Enterprise, rule: EducationFundRule
) -> dict[str, Any]:
    set_aside = (
        (data.payroll * data.rate).quantize(CENT, rounding=ROUND_HALF_UP)
        if data.rate is not None
        else Decimal("0.00")
    )
    should = (data.payroll * rule.min_rate).quantize(CENT, rounding=ROUND_HALF_UP)
    return {
        "payroll": data.payroll,
        "rate": data.rate,
        "spent_on_training": data.spent_on_training,
        "did_training": data.did_training,
        "set_aside": set_aside,
        "should_set_aside": should,
        "due": fund_due(
            payroll=data.payroll,
            above_scale=enterprise.above_scale,
            did_training=data.did_training,
            min_rate=rule.min_rate,
            collection_share=rule.collection_share,
        ),
        "min_rate": rule.min_rate,
        "max_rate": rule.max_rate,
        "collection_share": rule.collection_share,
        "above_scale": enterprise.above_scale,
    }


def _save_return(
    *, campaign: Campaign, enterprise: Enterprise, data: ReturnInput, rule: EducationFundRule
) -> tuple[EducationFundReturn, bool, dict[str, Any]]:
    values = _derived(data, enterprise=enterprise, rule=rule)
    existing = (
        EducationFundReturn.objects.select_for_update()
        .filter(enterprise=enterprise, year=data.year)
        .first()
    )
    if existing is None:
        try:
            with transaction.atomic():
                obj = EducationFundReturn.objects.create(
                    enterprise=enterprise, campaign=campaign, year=data.year, **values
                )
        except IntegrityError:
            # Another save of the same enterprise-year won the race: update that one instead.
            existing = EducationFundReturn.objects.select_for_update().get(
                enterprise=enterprise, year=data.year
            )
        else:
            return obj, True, {k: str(v) for k, v in values.items()}
    changes = {}
    for name, value in values.items():
        old = getattr(existing, name)
        if old != value:
            changes[name] = [str(old), str(value)]
            setattr(existing, name, value)
    if changes:
        existing.save()
    return existing, False, changes


@transaction.atomic
def fund_return_save(
    *, campaign: Campaign, enterprise: Enterprise, data: ReturnInput, actor: User
) -> EducationFundReturn:
    """Create or replace ``enterprise``'s return for ``data.year``, with the amount set aside,
    what it should have set aside (payroll × the plan's minimum rate) and the amount due for
    collection (see ``fund_due``), all rounded half up to 0.01 yuan. A rate outside the plan's
    range is a ValidationError (the DB refuses it too). Writes ``fund_return.create`` or
    ``fund_return.update`` (nothing when no figure changed)."""
    if not perms.can_manage_funds(actor):
        raise PermissionDenied
    rule = fund_rule(campaign=campaign)
    errors = _check_return(data, rule)
    if errors:
        raise ValidationError(errors)
    obj, created, changes = _save_return(
        campaign=campaign, enterprise=enterprise, data=data, rule=rule
    )
    if created or changes:
        audit_record(
            actor=actor,
            action="fund_return.create" if created else "fund_return.update",
            obj=obj,
            changes=changes,
        )
    return obj


# ------------------------------------------------------------------------------
# Upload
# ------------------------------------------------------------------------------


def _cell_yes_no(value: Any) -> bool:
    text = cell_text(value)
    if text in (YES, NO):
        return text == YES
    raise CellValueError(_("应填写“是”或“否”"))


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@transaction.atomic
def fund_returns_import(
    *, campaign: Campaign, fileobj: IO[bytes], filename: str, actor: User
) -> ImportSummary:
    """Import a whole file of returns, all or nothing: every row is checked first (credit code
    valid and registered, name matching the register, year, amounts, a rate within the plan's
    range, 是/否), and any error raises ``XlsxError`` listing every problem (sheet, row, column,
    reason) with nothing saved. A row for an enterprise-year already on file replaces it; the
    same enterprise-year twice in one file is an error. Writes one ``fund_return.import`` audit
    row with the counts, plus one per return created or changed."""
    if not perms.can_manage_funds(actor):
        raise PermissionDenied
    rule = fund_rule(campaign=campaign)
    workbook = open_workbook(fileobj, filename=filename)
    try:
        errors = ErrorCollector()
        reader = SheetReader(
            workbook,
            sheet=UPLOAD_SHEET,
            headers=UPLOAD_HEADERS,
            max_rows=UPLOAD_MAX_ROWS,
            errors=errors,
        )
        parsed = []
        for row in reader:
            code = errors.parse(row, COL_CODE, cell_id_number, label=COL_CODE)
            if code is not None:
                code = normalize_credit_code(code)
                try:
                    validate_credit_code(code)
                except ValidationError as exc:
                    errors.add_for(row, COL_CODE, "；".join(exc.messages))
                    code = None
            name = errors.parse(row, COL_NAME, cell_text, max_length=128)
            year = errors.parse(row, COL_YEAR, cell_int, min_value=2000, max_value=2100)
            payroll = errors.parse(row, COL_PAYROLL, cell_decimal, min_value=Decimal("0.01"))
            rate_percent = errors.parse(
                row, COL_RATE, cell_decimal, required=False, places=2, min_value=0
            )
            spent = errors.parse(row, COL_SPENT, cell_decimal, required=False)
            trained = errors.parse(row, COL_TRAINED, _cell_yes_no)
            if rate_percent is not None and not (
                rule.min_rate <= rate_percent / HUNDRED <= rule.max_rate
            ):
                errors.add_for(
                    row,
                    COL_RATE,
                    _("提取比例应在%(range)s之间（未提取的请留空）")
                    % {"range": rate_range_text(rule)},
                )
            parsed.append((row, code, name, year, payroll, rate_percent, spent, trained))
        errors.raise_if_any()
        if not parsed:
            raise XlsxError(_("文件中没有数据行：请在表头下方逐行填写各企业的申报"))

        codes = {p[1] for p in parsed}
        enterprises = {e.credit_code: e for e in Enterprise.objects.filter(credit_code__in=codes)}
        seen: dict[tuple[str, int], int] = {}
        inputs = []
        for row, code, name, year, payroll, rate_percent, spent, trained in parsed:
            enterprise = enterprises.get(code)
            if enterprise is None:
                errors.add_for(row, COL_CODE, _("企业未登记，请先在企业名录中新增该企业"))
                continue
            if enterprise.name != name:
                errors.add_for(row, COL_NAME, _("与登记的企业名称“%s”不一致") % enterprise.name)
            if (code, year) in seen:
                errors.add_for(
                    row, COL_YEAR, _("与第%d行重复（同一企业同一年度）") % seen[(code, year)]
                )
            seen[(code, year)] = row.number
            rate = rate_percent / HUNDRED if rate_percent is not None else None
            inputs.append(
                (
                    enterprise,
                    ReturnInput(
                        year=year,
                        payroll=payroll,
                        rate=rate,
                        spent_on_training=spent if spent is not None else Decimal("0.00"),
                        did_training=trained,
                    ),
                )
            )
        errors.raise_if_any()
    finally:
        workbook.close()

    summary = ImportSummary()
    for enterprise, data in inputs:
        obj, created, changes = _save_return(
            campaign=campaign, enterprise=enterprise, data=data, rule=rule
        )
        if created:
            summary.created += 1
        elif changes:
            summary.updated += 1
        else:
            summary.unchanged += 1
        if created or changes:
            audit_record(
                actor=actor,
                action="fund_return.create" if created else "fund_return.update",
                obj=obj,
                changes=changes,
                reason=filename[:200],
            )
    audit_record(
        actor=actor,
        action="fund_return.import",
        obj=campaign,
        changes={
            "created": summary.created,
            "updated": summary.updated,
            "unchanged": summary.unchanged,
        },
        reason=filename[:200],
    )
    return summary


def load_education_fund(*, campaign, data: Mapping[str, Any], result) -> None:
    """Plan-file section ``[education_fund]``: the rate range and the collection share.
    Idempotent (registered with ``register_plan_section``)."""
    from training.services.plan import upsert

    raw = data.get("education_fund")
    if not raw:
        return
    _, created, updated = upsert(
        EducationFundRule,
        {"campaign": campaign},
        {
            "min_rate": Decimal(str(raw["min_rate"])),
            "max_rate": Decimal(str(raw["max_rate"])),
            "collection_share": Decimal(str(raw["collection_share"])),
        },
    )
    result.count("education_fund", created=created, updated=updated)
