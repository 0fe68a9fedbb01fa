"""Enterprise education-fund pages (职工教育经费): the enterprise register, an enterprise's returns,
the yearly list with totals, the upload of returns (all or nothing), its template, and the list
for the tax office.

The office writes; the office, finance and the auditor read (training.permissions.enterprise_funds).
"""

import io
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from core import clock
from core.actions import submit
from core.decorators import role_required
from core.errors import RuleViolation
from core.exports import write_exporters
from core.models import County, Department
from core.roles import Role
from core.xlsx import XlsxError, XlsxWriter
from training import selectors as training_selectors
from training.exports_labour import FundTaxListExporter
from training.permissions import enterprise_funds as perms
from training.selectors import enterprise_funds as selectors
from training.services import enterprise_funds as services

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
READERS = (Role.OFFICE, Role.AUDITOR, Role.FINANCE)
PAGE_SIZE = 50
HUNDRED = Decimal(100)


class EnterpriseForm(forms.Form):
    name = forms.CharField(label=_("企业名称"), max_length=128)
    credit_code = forms.CharField(
        label=_("统一社会信用代码"), max_length=18, min_length=18, help_text=_("18位，字母大写")
    )
    county = forms.ModelChoiceField(
        label=_("所在县（市、区）"), queryset=County.objects.order_by("sort_order"), required=False
    )
    department = forms.ModelChoiceField(
        label=_("主管部门"), queryset=Department.objects.order_by("sort_order"), required=False
    )
    above_scale = forms.BooleanField(label=_("规模以上企业"), required=False)


class ReturnForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    payroll = forms.DecimalField(
        label=_("职工工资总额（元）"), max_digits=16, decimal_places=2, min_value=Decimal("0.01")
    )
    rate_percent = forms.DecimalField(
        label=_("提取比例（%）"),
        max_digits=5,
        decimal_places=2,
        required=False,
        help_text=_("如 1.5；未提取的留空"),
    )
    spent_on_training = forms.DecimalField(
        label=_("培训支出（元）"),
        max_digits=16,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
    )
    did_training = forms.BooleanField(label=_("开展了职工培训"), required=False)

    def to_input(self) -> services.ReturnInput:
        data = self.cleaned_data
        rate = data["rate_percent"]
        return services.ReturnInput(
            year=data["year"],
            payroll=data["payroll"],
            rate=rate / HUNDRED if rate is not None else None,
            spent_on_training=data["spent_on_training"] or Decimal("0.00"),
            did_training=data["did_training"],
        )


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100, required=False)


def _add_errors(form: forms.Form, exc: ValidationError, *, rename=None) -> None:
    rename = rename or {}
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            key = rename.get(key, key)
            for message in errors:
                form.add_error(key if key in form.fields else None, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def _year(request) -> int | None:
    form = YearForm(request.GET or None)
    return form.cleaned_data.get("year") if form.is_bound and form.is_valid() else None


@role_required(*READERS)
@require_GET
def enterprise_list(request):
    query = (request.GET.get("q") or "").strip()[:64]
    enterprises = selectors.enterprise_list(user=request.user, query=query)
    page = Paginator(enterprises, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "training/enterprise_funds/enterprise_list.html",
        {"page": page, "query": query, "can_manage": perms.can_manage_funds(request.user)},
    )


@role_required(Role.OFFICE)
def enterprise_create(request):
    form = EnterpriseForm(request.POST or None)
    template = "training/enterprise_funds/enterprise_form.html"
    if request.method == "POST":
        if form.is_valid():
            enterprise = submit(
                form, lambda: services.enterprise_create(data=form.cleaned_data, actor=request.user)
            )
            if enterprise is not None:
                messages.success(request, f"已登记企业“{enterprise.name}”。")
                return redirect("training:enterprise_detail", pk=enterprise.pk)
        return render(request, template, {"form": form, "enterprise": None}, status=400)
    return render(request, template, {"form": form, "enterprise": None})


@role_required(Role.OFFICE)
def enterprise_update(request, pk: int):
    enterprise = selectors.enterprise_get_for_user(user=request.user, pk=pk)
    template = "training/enterprise_funds/enterprise_form.html"
    if request.method != "POST":
        form = EnterpriseForm(
            initial={name: getattr(enterprise, name) for name in services.ENTERPRISE_FIELDS}
        )
        return render(request, template, {"form": form, "enterprise": enterprise})
    form = EnterpriseForm(request.POST)
    if form.is_valid():
        saved = submit(
            form,
            lambda: services.enterprise_update(
                enterprise=enterprise, data=form.cleaned_data, actor=request.user
            ),
        )
        if saved is not None:
            messages.success(request, "已保存企业信息。")
            return redirect("training:enterprise_detail", pk=enterprise.pk)
    return render(request, template, {"form": form, "enterprise": enterprise}, status=400)


def _render_detail(request, enterprise, *, form=None, status=200):
    campaign = training_selectors.campaign_current()
    rule = selectors.fund_rule_for(campaign=campaign)
    return render(
        request,
        "training/enterprise_funds/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "returns": list(selectors.fund_return_list(user=request.user, enterprise=enterprise)),
            "form": form or ReturnForm(initial={"year": clock.today().year - 1}),
            "rule": rule,
            "rate_range": services.rate_range_text(rule) if rule else "",
            "can_manage": perms.can_manage_funds(request.user),
        },
        status=status,
    )


@role_required(*READERS)
@require_GET
def enterprise_detail(request, pk: int):
    enterprise = selectors.enterprise_get_for_user(user=request.user, pk=pk)
    return _render_detail(request, enterprise)


@role_required(Role.OFFICE)
@require_POST
def fund_return_save(request, pk: int):
    """Enter (or replace) the enterprise's return for a year."""
    enterprise = selectors.enterprise_get_for_user(user=request.user, pk=pk)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            obj = services.fund_return_save(
                campaign=training_selectors.campaign_current(),
                enterprise=enterprise,
                data=form.to_input(),
                actor=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc, rename={"rate": "rate_percent"})
        except RuleViolation as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已保存{obj.year}年度申报；应征收金额 {obj.due:,.2f} 元。")
            return redirect("training:enterprise_detail", pk=enterprise.pk)
    return _render_detail(request, enterprise, form=form, status=400)


@role_required(*READERS)
@require_GET
def fund_return_list(request):
    """The returns of a year (default: the latest) with totals, largest amount due first."""
    years = selectors.fund_years()
    year = _year(request) or (years[0] if years else None)
    due_only = request.GET.get("due") == "1"
    returns = selectors.fund_return_list(user=request.user, year=year, due_only=due_only)
    page = Paginator(returns, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "training/enterprise_funds/fund_return_list.html",
        {
            "page": page,
            "year": year,
            "years": years,
            "due_only": due_only,
            "totals": selectors.fund_totals(year=year),
            "can_manage": perms.can_manage_funds(request.user),
        },
    )


def _xlsx_response(handle: io.BytesIO, filename: str) -> FileResponse:
    handle.seek(0)
    return FileResponse(
        handle, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )


@role_required(Role.OFFICE)
@require_GET
def fund_tax_list(request):
    """The list for the tax office: the year's enterprises with an amount due (xlsx). A few
    thousand rows at most: built in memory."""
    year = _year(request)
    if year is None:
        years = selectors.fund_years()
        year = years[0] if years else clock.today().year - 1
    handle = io.BytesIO()
    exporter = FundTaxListExporter(
        campaign=training_selectors.campaign_current(), user=request.user, year=year
    )
    write_exporters(handle, [exporter])
    return _xlsx_response(handle, f"职工教育经费应征收名单_{year}年.xlsx")


@role_required(Role.OFFICE)
@require_GET
def fund_upload_template(request):
    """The upload template: the registered enterprises prefilled with code, name and year."""
    year = _year(request) or clock.today().year - 1
    handle = io.BytesIO()
    with XlsxWriter() as writer:
        sheet = writer.add_sheet(
            services.UPLOAD_SHEET, services.UPLOAD_HEADERS, widths=(22, 30, 8, 18, 14, 16, 16)
        )
        for name, code in (
            selectors.enterprise_list(user=request.user)
            .values_list("name", "credit_code")
            .iterator()
        ):
            writer.append(sheet, [code, name, year, None, None, None, None])
        help_sheet = writer.add_sheet("填表说明", ["填表说明"], widths=[100])
        for line in _template_help():
            writer.append(help_sheet, [line])
        writer.save(handle)
    return _xlsx_response(handle, f"职工教育经费申报模板_{year}年.xlsx")


def _template_help() -> list[str]:
    rule = selectors.fund_rule_for(campaign=training_selectors.campaign_current())
    rate_range = services.rate_range_text(rule) if rule else ""
    return [
        "1. 每行一个企业一个年度；企业须已在系统的企业名录中登记，名称与登记一致。",
        "2. 统一社会信用代码请以文本格式填写（18位）。",
        f"3. 提取比例按百分数填写（如 1.5 表示 1.5%），应在{rate_range}之间；未提取的留空。",
        "4. 金额单位为元，最多两位小数；“是否开展职工培训”填“是”或“否”。",
        "5. 整份文件一起检查：只要有一处错误，系统列出全部错误，整份文件都不保存。",
        "6. 同一企业同一年度已有申报的，上传后以本文件为准。",
    ]


@role_required(Role.OFFICE)
def fund_upload(request):
    """Upload returns: all or nothing, every error listed with sheet, row and column."""
    template = "training/enterprise_funds/fund_upload.html"
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method != "POST":
        return render(request, template, {"form": form, "errors": []})
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            summary = services.fund_returns_import(
                campaign=training_selectors.campaign_current(),
                fileobj=upload,
                filename=upload.name,
                actor=request.user,
            )
        except XlsxError as exc:
            return render(request, template, {"form": form, "errors": exc.messages}, status=400)
        except RuleViolation as exc:
            return render(request, template, {"form": form, "errors": [exc.message]}, status=400)
        messages.success(
            request,
            f"已导入 {summary.total} 条申报（新增 {summary.created}，更新 {summary.updated}，"
            f"未变 {summary.unchanged}）。",
        )
        return redirect("training:fund_return_list")
    return render(request, template, {"form": form, "errors": []}, status=400)
