from django.urls import path, register_converter

from training.converters import MonthConverter
from training.routes import classes as class_routes
from training.routes import enterprise_funds as fund_routes
from training.routes import facilities as facility_routes
from training.routes import institutions as institution_routes
from training.routes import labour_market as labour_routes
from training.routes import ledger as ledger_routes
from training.routes import teachers as teacher_routes
from training.routes import workers as worker_routes
from training.views import return_files, returns

register_converter(MonthConverter, "month")

app_name = "training"

RETURN = "returns/<slug:department>/<month:month>/"

urlpatterns = [
    path("returns/", returns.return_current, name="return_current"),
    path("returns/history/", returns.return_history, name="return_history"),
    path("returns/matrix/", returns.return_matrix, name="return_matrix"),
    path(RETURN, returns.return_detail, name="return_detail"),
    path(RETURN + "save/", returns.return_save, name="return_save"),
    path(RETURN + "submit/", returns.return_submit, name="return_submit"),
    path(RETURN + "accept/", returns.return_accept, name="return_accept"),
    path(RETURN + "send-back/", returns.return_send_back, name="return_send_back"),
    path(RETURN + "unlock/", returns.return_unlock, name="return_unlock"),
    path(RETURN + "correction/", returns.correction_create, name="correction_create"),
    path(RETURN + "audit/", returns.return_audit, name="return_audit"),
    path(RETURN + "download/", return_files.return_download, name="return_download"),
    path(RETURN + "upload/", return_files.return_upload, name="return_upload"),
    path("corrections/", returns.correction_list, name="correction_list"),
    path("corrections/<int:pk>/decide/", returns.correction_decide, name="correction_decide"),
]
urlpatterns += institution_routes.urlpatterns + worker_routes.urlpatterns + class_routes.urlpatterns
urlpatterns += ledger_routes.urlpatterns
urlpatterns += facility_routes.urlpatterns
urlpatterns += teacher_routes.urlpatterns + fund_routes.urlpatterns + labour_routes.urlpatterns
