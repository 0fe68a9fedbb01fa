"""财政 pages for subsidies: claims ready for payment (待拨付, 拨付失败) and building a batch.

Approving the batch, the bank file and recording results are the shared pages under
/payments/ (``core.views_payments``)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core.decorators import role_required
from core.errors import RuleViolation
from core.roles import Role
from subsidies.selectors import payments as selectors
from subsidies.services import payments as services

PAGE_SIZE = 200


class BatchForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=True)

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ids"].choices = [(str(c), str(c)) for c in choices]
        self.fields["ids"].error_messages["required"] = "请至少选择一项申请。"
        self.fields["ids"].error_messages["invalid_choice"] = (
            "所选申请有的已不在待拨付名单中，请刷新后重试。"
        )


@role_required(Role.FINANCE)
@require_http_methods(["GET", "POST"])
def batch_ready(request: HttpRequest) -> HttpResponse:
    """Claims ready for payment, to tick into a new draft batch."""
    queryset = selectors.payable_claims(request.user)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    status = 200
    form = BatchForm(choices=[claim.pk for claim in page.object_list])
    if request.method == "POST":
        # Ids are re-checked by the service under lock; the choices only keep junk out.
        choices = list(queryset.values_list("pk", flat=True))
        form = BatchForm(request.POST, choices=choices)
        if form.is_valid():
            try:
                batch = services.claims_batch_create(
                    claim_ids=form.cleaned_data["ids"], actor=request.user
                )
            except RuleViolation as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    f"已生成拨付批次 {batch.number}（{batch.line_count}笔，"
                    f"{batch.total_amount}元），请另一名财政人员复核。",
                )
                return redirect("core:batch_detail", pk=batch.pk)
        status = 400
    return render(
        request,
        "subsidies/batch_ready.html",
        {
            "page": page,
            "form": form,
            "totals": selectors.payable_totals(request.user),
            "batches": selectors.subsidy_batches()[:10],
        },
        status=status,
    )
