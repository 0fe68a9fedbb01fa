"""Monthly-return pages: the clerk's grid, the office's matrix and review. (skeleton: being written)"""

from django.http import HttpResponse


def return_current(request, **kwargs):  # skeleton, replaced by the real view
    return HttpResponse(status=501)


def return_history(request, **kwargs):  # skeleton, replaced by the real view
    return HttpResponse(status=501)


def return_matrix(request, **kwargs):  # skeleton, replaced by the real view
    return HttpResponse(status=501)


def return_detail(request, **kwargs):  # skeleton, replaced by the real view
    return HttpResponse(status=501)


def return_save(request, **kwargs):  # skeleton, replaced by the real view
    return HttpResponse(status=501)


def return_submit(request, **kwargs):  # skeleton, replaced by the real view
    return HttpResponse(status=501)


def return_accept(request, **kwargs):  # skeleton, replaced by the real view
    return HttpResponse(status=501)


def return_send_back(request, **kwargs):  # skeleton, replaced by the real view
    return HttpResponse(status=501)


def return_unlock(request, **kwargs):  # skeleton, replaced by the real view
    return HttpResponse(status=501)


def correction_create(request, **kwargs):  # skeleton, replaced by the real view
    return HttpResponse(status=501)


def return_audit(request, **kwargs):  # skeleton, replaced by the real view
    return HttpResponse(status=501)


def correction_list(request, **kwargs):  # skeleton, replaced by the real view
    return HttpResponse(status=501)


def correction_decide(request, **kwargs):  # skeleton, replaced by the real view
    return HttpResponse(status=501)
