"""Routes for enterprises and their education-fund returns (see
training/views/enterprise_funds.py)."""

from django.urls import path

from training.views import enterprise_funds as views

urlpatterns: list = [
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/new/", views.enterprise_create, name="enterprise_create"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="enterprise_detail"),
    path("enterprises/<int:pk>/edit/", views.enterprise_update, name="enterprise_update"),
    path("enterprises/<int:pk>/returns/", views.fund_return_save, name="fund_return_save"),
    path("education-funds/", views.fund_return_list, name="fund_return_list"),
    path("education-funds/upload/", views.fund_upload, name="fund_upload"),
    path("education-funds/template/", views.fund_upload_template, name="fund_upload_template"),
    path("education-funds/tax-list/", views.fund_tax_list, name="fund_tax_list"),
]
