from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from core.forms import LoginForm

admin.site.site_header = "许昌市技能振兴专项活动管理系统"
admin.site.site_title = "技能振兴管理后台"
admin.site.index_title = "基础数据管理"

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("core.urls")),
    path("training/", include("training.urls")),
    path("appraisal/", include("appraisal.urls")),
    path("", include("dashboard.urls")),
]
