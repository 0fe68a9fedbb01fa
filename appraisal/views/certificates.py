"""The public certificate check (证书查验): an employer enters a certificate number and the
holder's name and learns whether it is valid — occupation, level, issue date and issuer, nothing
else. An unknown number and a wrong name get the same answer, so names cannot be fished out."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from appraisal import selectors
from core.decorators import public

NOT_FOUND = "未查到与该姓名匹配的证书"


class CheckForm(forms.Form):
    number = forms.CharField(label="证书编号", max_length=32)
    name = forms.CharField(label="持证人姓名", max_length=64)


@public
@require_http_methods(["GET", "POST"])
def certificate_check(request: HttpRequest) -> HttpResponse:
    # POST, so that a holder's name does not end up in URLs, logs and browser history.
    form = CheckForm(request.POST or None)
    result = None
    searched = False
    status = 200
    if request.method == "POST":
        if form.is_valid():
            searched = True
            result = selectors.certificate_verify(
                number=form.cleaned_data["number"], name=form.cleaned_data["name"]
            )
        else:
            status = 400
    return render(
        request,
        "appraisal/certificates/certificate_check.html",
        {"form": form, "result": result, "searched": searched, "not_found": NOT_FOUND},
        status=status,
    )
