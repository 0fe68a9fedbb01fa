from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from core import views as core_views
from core.decorators import public

admin.site.site_header = "许昌市技能振兴专项活动管理系统"
admin.site.site_title = "技能振兴管理后台"
admin.site.index_title = "基础数据管理"

urlpatterns = [
    # Login and logout behind the throttle and with audit rows (core.views, core.auth).
    path("accounts/login/", core_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", core_views.LogoutView.as_view(), name="logout"),
    path("accounts/login/verify/", core_views.login_verify, name="login_verify"),
    path("accounts/totp/", core_views.totp_enrol, name="totp_enrol"),
    # The admin signs in through the site's login (throttle, second factor, audit), never its own.
    path(
        "admin/login/",
        public(RedirectView.as_view(pattern_name="login", query_string=True)),
        name="admin_login_redirect",
    ),
    path("admin/", admin.site.urls),
    path("", include("core.urls")),
    path("training/", include("training.urls")),
    path("appraisal/", include("appraisal.urls")),
    path("subsidies/", include("subsidies.urls")),
    path("awards/", include("awards.urls")),
    path("", include("dashboard.urls")),
]
