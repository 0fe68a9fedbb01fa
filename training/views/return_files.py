"""Excel round-trip of a monthly return. (skeleton: being written)"""

from django.http import HttpResponse


def return_download(request, **kwargs):  # skeleton, replaced by the real view
    return HttpResponse(status=501)


def return_upload(request, **kwargs):  # skeleton, replaced by the real view
    return HttpResponse(status=501)
