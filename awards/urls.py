"""Routes of the awards (see awards/views.py)."""

from django.urls import path

from awards import views

app_name = "awards"

CYCLE = "cycles/<int:pk>/"
NOMINATION = "nominations/<int:pk>/"

urlpatterns = [
    path("cycles/", views.cycle_list, name="cycle_list"),
    path("cycles/new/", views.cycle_create, name="cycle_create"),
    path(CYCLE, views.cycle_detail, name="cycle_detail"),
    path(
        CYCLE + "close-nominations/", views.cycle_close_nominations, name="cycle_close_nominations"
    ),
    path(CYCLE + "notice/", views.cycle_notice_publish, name="cycle_notice_publish"),
    path(CYCLE + "notice/close/", views.cycle_notice_close, name="cycle_notice_close"),
    path(CYCLE + "nominate/", views.nomination_create, name="nomination_create"),
    path(CYCLE + "review/", views.review, name="review"),
    path(CYCLE + "review/submit/", views.review_submit, name="review_submit"),
    path(CYCLE + "ranking/", views.ranking, name="ranking"),
    path(
        CYCLE + "kinds/<int:kind_pk>/confirm-top/",
        views.winners_confirm_top,
        name="winners_confirm_top",
    ),
    path(CYCLE + "prizes/", views.prize_list, name="prize_list"),
    path(CYCLE + "prizes/batch/", views.prize_batch_create, name="prize_batch_create"),
    path("ceilings/<int:pk>/", views.ceiling_edit, name="ceiling_edit"),
    path(NOMINATION, views.nomination_detail, name="nomination_detail"),
    path(NOMINATION + "document/", views.nomination_document, name="nomination_document"),
    path(NOMINATION + "withdraw/", views.nomination_withdraw, name="nomination_withdraw"),
    path(NOMINATION + "score/", views.nomination_score, name="nomination_score"),
    path(NOMINATION + "recuse/", views.nomination_recuse, name="nomination_recuse"),
    path(NOMINATION + "confirm/", views.winner_confirm, name="winner_confirm"),
    path("winners/<int:pk>/revoke/", views.winner_revoke, name="winner_revoke"),
    path("winners/<int:pk>/bank/", views.winner_bank, name="winner_bank"),
    path("honours/", views.honours_index, name="honours_index"),
    path("honours/<int:pk>/", views.honours_detail, name="honours_detail"),
    path("competitions/", views.competition_list, name="competition_list"),
    path("competitions/new/", views.competition_create, name="competition_create"),
    path("competitions/<int:pk>/", views.competition_detail, name="competition_detail"),
]
