"""Pages of the awards: cycles, nominations, committee review, ranking and decision, the public
honours page, prizes for finance, and competitions.

Each view: a decorator naming the roles that may enter (others 403, anonymous to the login
page) → an access-checked selector (what the user may not see is a 404) → a form that only
parses → a service → redirect (POST-redirect-GET), or a re-render with 400 on bad input.
RuleViolation becomes an error message, PermissionDenied a 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from awards import forms
from awards import permissions as perms
from awards import selectors as sel
from awards import services as svc
from awards.models import AwardKind, Competition, Cycle, CycleCeiling, Winner
from core.actions import perform, submit
from core.decorators import public, role_required
from core.errors import RuleViolation
from core.roles import Role

CYCLE_READERS = (Role.OFFICE, Role.AUDITOR, Role.CLERK, Role.COMMITTEE, Role.FINANCE)
NOMINATORS = (Role.CLERK, Role.OFFICE)
PRIZE_READERS = (Role.FINANCE, Role.OFFICE, Role.AUDITOR)
COMPETITION_READERS = (Role.OFFICE, Role.AUDITOR, Role.CLERK, Role.COMMITTEE)


def _campaign():
    from training.models import Campaign

    campaign = Campaign.objects.order_by("-start_date").first()
    if campaign is None:
        raise Http404
    return campaign


def _cycle(request: HttpRequest, pk: int) -> Cycle:
    return sel.cycle_get_for_user(user=request.user, pk=pk)


def _cycle_url(cycle: Cycle) -> str:
    return reverse("awards:cycle_detail", args=[cycle.pk])


def _fail(request: HttpRequest, exc: RuleViolation) -> None:
    messages.error(request, exc.message)


# --------------------------------------------------------------------------------------------
# Cycles
# --------------------------------------------------------------------------------------------


@role_required(*CYCLE_READERS)
@require_GET
def cycle_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "awards/cycle_list.html",
        {
            "summaries": sel.cycle_summaries(),
            "can_open": perms.is_office(request.user),
        },
    )


@role_required(Role.OFFICE)
def cycle_create(request: HttpRequest) -> HttpResponse:
    campaign = _campaign()
    form = forms.CycleForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            cycle = submit(
                form,
                lambda: svc.cycle_open(
                    campaign=campaign,
                    first_year=data["first_year"],
                    nomination_opens=data["nomination_opens"],
                    nomination_closes=data["nomination_closes"],
                    members=list(data["members"]),
                    actor=request.user,
                ),
            )
            if cycle is not None:
                messages.success(request, f"已发起“{cycle.title}”，各推荐单位可在推荐期内推荐。")
                return redirect(_cycle_url(cycle))
        return render(request, "awards/cycle_create.html", {"form": form}, status=400)
    return render(
        request,
        "awards/cycle_create.html",
        {"form": form, "kinds": sel.award_kinds(campaign=campaign)},
    )


@role_required(*CYCLE_READERS)
@require_GET
def cycle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _cycle(request, pk)
    user = request.user
    is_member = perms.is_cycle_member(user, cycle)
    winners = list(sel.winner_list(cycle=cycle, user=user))
    for winner in winners:
        winner.can_bank = (
            winner.status == Winner.Status.CONFIRMED
            and winner.paid_at is None
            and perms.can_enter_bank_account(user, winner)
        )
    context = {
        "cycle": cycle,
        "kinds": list(sel.award_kinds(campaign=cycle.campaign)),
        "ceilings": sel.ceilings_for_user(user=user, cycle=cycle),
        "nominations": sel.nomination_list(user=user, cycle=cycle).order_by(
            "award_kind__sort_order", "created_at", "pk"
        ),
        "winners": winners,
        "is_office": perms.is_office(user),
        "is_member": is_member,
        "can_nominate": cycle.status == Cycle.Status.NOMINATING
        and sel.units_for_user(user=user).exists(),
        "can_see_ranking": sel.can_see_ranking(cycle=cycle, user=user),
        "can_see_prizes": cycle.status == Cycle.Status.PUBLISHED and user.has_role(*PRIZE_READERS),
        "notice_id": cycle.notice_id,
        "ceiling_form": forms.CeilingForm(),
    }
    return render(request, "awards/cycle_detail.html", context)


@role_required(Role.OFFICE)
@require_POST
def ceiling_edit(request: HttpRequest, pk: int) -> HttpResponse:
    ceiling = get_object_or_404(CycleCeiling.objects.select_related("cycle"), pk=pk)
    form = forms.CeilingForm(request.POST)
    if not form.is_valid():
        messages.error(request, "推荐名额应为0至999的整数。")
        return redirect(_cycle_url(ceiling.cycle))
    try:
        svc.ceiling_set(ceiling=ceiling, value=form.cleaned_data["value"], actor=request.user)
    except (RuleViolation, ValidationError) as exc:
        messages.error(request, getattr(exc, "message", None) or "；".join(exc.messages))
    else:
        messages.success(
            request,
            f"已将{ceiling.unit}的{ceiling.award_kind}推荐名额调整为{form.cleaned_data['value']}名。",
        )
    return redirect(_cycle_url(ceiling.cycle))


@role_required(Role.OFFICE)
@require_POST
def cycle_close_nominations(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _cycle(request, pk)
    perform(
        request,
        lambda: svc.cycle_close_nominations(cycle=cycle, actor=request.user),
        success="推荐已截止，评审委员会可以开始评审。",
    )
    return redirect(_cycle_url(cycle))


@role_required(Role.OFFICE)
@require_POST
def cycle_notice_publish(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _cycle(request, pk)
    perform(
        request,
        lambda: svc.cycle_notice_publish(cycle=cycle, actor=request.user),
        success="拟表彰人选已公示，公示期内接受异议。",
    )
    return redirect(_cycle_url(cycle))


@role_required(Role.OFFICE)
@require_POST
def cycle_notice_close(request: HttpRequest, pk: int) -> HttpResponse:
    from core.notices import notice_close

    cycle = _cycle(request, pk)
    notice = cycle.notice
    if notice is None:
        raise Http404
    perform(
        request,
        lambda: notice_close(notice=notice, actor=request.user),
        success="公示已结束，表彰名单已公布。",
    )
    return redirect(_cycle_url(cycle))


# --------------------------------------------------------------------------------------------
# Nominations
# --------------------------------------------------------------------------------------------


@role_required(*NOMINATORS)
def nomination_create(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _cycle(request, pk)
    units = sel.units_for_user(user=request.user)
    if not units.exists():
        raise PermissionDenied
    form = forms.NominationForm(
        request.POST or None, request.FILES or None, campaign=cycle.campaign, units=units
    )
    context = {"cycle": cycle, "form": form, "kinds": sel.award_kinds(campaign=cycle.campaign)}
    if request.method != "POST":
        return render(request, "awards/nomination_create.html", context)
    if form.is_valid():
        data = form.cleaned_data
        nomination = submit(
            form,
            lambda: svc.nomination_create(
                cycle=cycle,
                data=svc.NominationInput(
                    award_kind=data["award_kind"],
                    unit=data["unit"],
                    worker=data["worker"],
                    occupation=data["occupation"],
                    employer=data["employer"],
                    achievements=data["achievements"],
                    document=data.get("document"),
                ),
                actor=request.user,
            ),
        )
        if nomination is not None:
            messages.success(
                request, f"已推荐{nomination.worker.name}为{nomination.award_kind}候选人。"
            )
            return redirect(_cycle_url(cycle))
    return render(request, "awards/nomination_create.html", context, status=400)


@role_required(*CYCLE_READERS)
@require_GET
def nomination_detail(request: HttpRequest, pk: int) -> HttpResponse:
    nomination = sel.nomination_get_for_user(user=request.user, pk=pk)
    cycle = nomination.cycle
    user = request.user
    return render(
        request,
        "awards/nomination_detail.html",
        {
            "nomination": nomination,
            "cycle": cycle,
            "scores": sel.nomination_scores_visible(nomination=nomination, user=user),
            "can_withdraw": cycle.status == Cycle.Status.NOMINATING
            and nomination.status == "submitted"
            and perms.can_nominate_for_unit(user, nomination.unit),
            "reason_form": forms.ReasonForm(),
        },
    )


@role_required(*CYCLE_READERS)
@require_GET
def nomination_document(request: HttpRequest, pk: int) -> HttpResponse:
    nomination = sel.nomination_get_for_user(user=request.user, pk=pk)
    if not nomination.document:
        messages.info(request, "该推荐未上传推荐材料。")
        return redirect("awards:nomination_detail", pk=nomination.pk)
    extension = nomination.document.name.rsplit(".", 1)[-1]
    return FileResponse(
        nomination.document.open("rb"),
        as_attachment=True,
        filename=f"推荐材料_{nomination.worker.name}.{extension}",
    )


@role_required(*NOMINATORS)
@require_POST
def nomination_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    nomination = sel.nomination_get_for_user(user=request.user, pk=pk)
    form = forms.ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写撤回理由。")
        return redirect("awards:nomination_detail", pk=nomination.pk)
    try:
        svc.nomination_withdraw(
            nomination=nomination, reason=form.cleaned_data["reason"], actor=request.user
        )
    except (RuleViolation, ValidationError) as exc:
        messages.error(request, getattr(exc, "message", None) or "；".join(exc.messages))
    else:
        messages.success(request, "推荐已撤回，名额已释放。")
    return redirect(_cycle_url(nomination.cycle))


# --------------------------------------------------------------------------------------------
# Review
# --------------------------------------------------------------------------------------------


def _member_cycle(request: HttpRequest, pk: int) -> Cycle:
    cycle = _cycle(request, pk)
    if not perms.is_cycle_member(request.user, cycle):
        raise PermissionDenied
    return cycle


@role_required(Role.COMMITTEE)
@require_GET
def review(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _member_cycle(request, pk)
    rows = sel.review_rows(cycle=cycle, user=request.user)
    return render(
        request,
        "awards/review.html",
        {
            "cycle": cycle,
            "rows": rows,
            "submitted": sel.member_has_submitted(cycle=cycle, user=request.user),
            "open": cycle.status == Cycle.Status.REVIEWING,
        },
    )


def _score_context(request, nomination, form, recuse_form=None):
    return {
        "nomination": nomination,
        "cycle": nomination.cycle,
        "form": form,
        "recuse_form": recuse_form or forms.ReasonForm(),
        "recused": nomination.recusals.filter(member=request.user).exists(),
    }


@role_required(Role.COMMITTEE)
def nomination_score(request: HttpRequest, pk: int) -> HttpResponse:
    nomination = sel.nomination_get_for_user(user=request.user, pk=pk)
    if not perms.is_cycle_member(request.user, nomination.cycle):
        raise PermissionDenied
    criteria = nomination.award_kind.criteria.all()
    if request.method != "POST":
        initial = {
            s.criterion.code: s.value
            for s in nomination.scores.filter(member=request.user).select_related("criterion")
        }
        form = forms.ScoreForm(initial=initial, criteria=criteria)
        return render(
            request, "awards/nomination_score.html", _score_context(request, nomination, form)
        )
    form = forms.ScoreForm(request.POST, criteria=criteria)
    if form.is_valid():
        saved = submit(
            form,
            lambda: svc.scores_record(
                nomination=nomination, values=form.values(), actor=request.user
            ),
        )
        if saved is not None:
            messages.success(request, f"已保存对{nomination.worker.name}的评分（提交前可修改）。")
            return redirect("awards:review", pk=nomination.cycle_id)
    return render(
        request,
        "awards/nomination_score.html",
        _score_context(request, nomination, form),
        status=400,
    )


@role_required(Role.COMMITTEE)
@require_POST
def nomination_recuse(request: HttpRequest, pk: int) -> HttpResponse:
    nomination = sel.nomination_get_for_user(user=request.user, pk=pk)
    if not perms.is_cycle_member(request.user, nomination.cycle):
        raise PermissionDenied
    form = forms.ReasonForm(request.POST)
    if form.is_valid():
        saved = submit(
            form,
            lambda: svc.recusal_declare(
                nomination=nomination, reason=form.cleaned_data["reason"], actor=request.user
            ),
        )
        if saved is not None:
            messages.success(request, f"已申报回避，您不再对{nomination.worker.name}评分。")
            return redirect("awards:review", pk=nomination.cycle_id)
    criteria = nomination.award_kind.criteria.all()
    return render(
        request,
        "awards/nomination_score.html",
        _score_context(request, nomination, forms.ScoreForm(criteria=criteria), form),
        status=400,
    )


@role_required(Role.COMMITTEE)
@require_POST
def review_submit(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _member_cycle(request, pk)
    perform(
        request,
        lambda: svc.scores_submit(cycle=cycle, actor=request.user),
        success="评分已提交，不能再修改；现在可以查看其他委员的评分和排名。",
    )
    return redirect("awards:review", pk=cycle.pk)


# --------------------------------------------------------------------------------------------
# Ranking and decision
# --------------------------------------------------------------------------------------------


@role_required(Role.OFFICE, Role.AUDITOR, Role.COMMITTEE)
@require_GET
def ranking(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _cycle(request, pk)
    if not sel.can_see_ranking(cycle=cycle, user=request.user):
        raise PermissionDenied
    tables = [
        {
            "kind": kind,
            "rows": sel.ranking(cycle=cycle, award_kind=kind),
            "confirmed": Winner.objects.filter(
                cycle=cycle, award_kind=kind, status=Winner.Status.CONFIRMED
            ).count(),
        }
        for kind in AwardKind.objects.filter(campaign=cycle.campaign)
    ]
    return render(
        request,
        "awards/ranking.html",
        {
            "cycle": cycle,
            "tables": tables,
            "can_decide": perms.is_office(request.user) and cycle.status == Cycle.Status.REVIEWING,
            "reason_form": forms.ReasonForm(),
        },
    )


@role_required(Role.OFFICE)
@require_POST
def winner_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    nomination = sel.nomination_get_for_user(user=request.user, pk=pk)
    perform(
        request,
        lambda: svc.winner_confirm(nomination=nomination, actor=request.user),
        success=lambda winner: (
            f"已确定{nomination.worker.name}为{winner.award_kind}（第{winner.slot}名额）。"
        ),
    )
    return redirect("awards:ranking", pk=nomination.cycle_id)


@role_required(Role.OFFICE)
@require_POST
def winners_confirm_top(request: HttpRequest, pk: int, kind_pk: int) -> HttpResponse:
    cycle = _cycle(request, pk)
    kind = get_object_or_404(AwardKind, pk=kind_pk, campaign=cycle.campaign)
    perform(
        request,
        lambda: svc.winners_confirm_top(cycle=cycle, award_kind=kind, actor=request.user),
        success=lambda winners: f"已按排名确定{kind}{len(winners)}名。",
    )
    return redirect("awards:ranking", pk=cycle.pk)


@role_required(Role.OFFICE)
@require_POST
def winner_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    winner = get_object_or_404(Winner.objects.select_related("cycle"), pk=pk)
    form = forms.ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写撤销原因。")
    else:
        try:
            svc.winner_revoke(winner=winner, reason=form.cleaned_data["reason"], actor=request.user)
        except (RuleViolation, ValidationError) as exc:
            messages.error(request, getattr(exc, "message", None) or "；".join(exc.messages))
        else:
            messages.success(request, "已撤销该获奖人，名额已释放。")
    return redirect("awards:ranking", pk=winner.cycle_id)


@role_required(Role.OFFICE, Role.CLERK)
def winner_bank(request: HttpRequest, pk: int) -> HttpResponse:
    winner = sel.winner_get_for_bank(user=request.user, pk=pk)
    form = forms.BankForm(request.POST or None, initial={"bank_name": winner.bank_name})
    if request.method == "POST":
        if form.is_valid():
            saved = submit(
                form,
                lambda: svc.winner_bank_set(
                    winner=winner,
                    bank_name=form.cleaned_data["bank_name"],
                    account=form.cleaned_data["account"],
                    actor=request.user,
                ),
            )
            if saved is not None:
                messages.success(request, f"已登记{winner.nomination.worker.name}的奖金账户。")
                return redirect(_cycle_url(winner.cycle))
        return render(
            request, "awards/winner_bank.html", {"winner": winner, "form": form}, status=400
        )
    return render(request, "awards/winner_bank.html", {"winner": winner, "form": form})


# --------------------------------------------------------------------------------------------
# Prizes (finance)
# --------------------------------------------------------------------------------------------


@role_required(*PRIZE_READERS)
@require_GET
def prize_list(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _cycle(request, pk)
    rows = list(sel.prize_rows(cycle=cycle))
    return render(
        request,
        "awards/prize_list.html",
        {
            "cycle": cycle,
            "rows": rows,
            "ready": sum(1 for w in rows if w.has_account and not w.in_batch and not w.paid_at),
            "can_prepare": perms.can_prepare_prizes(request.user)
            and cycle.status == Cycle.Status.PUBLISHED,
        },
    )


@role_required(Role.FINANCE)
@require_POST
def prize_batch_create(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _cycle(request, pk)
    try:
        batch = svc.prize_batch_create(cycle=cycle, actor=request.user)
    except RuleViolation as exc:
        _fail(request, exc)
        return redirect("awards:prize_list", pk=cycle.pk)
    messages.success(
        request,
        f"已生成拨付批次{batch.number}（{batch.line_count}笔，{batch.total_amount}元），待复核。",
    )
    return redirect("core:batch_detail", pk=batch.pk)


# --------------------------------------------------------------------------------------------
# Public honours
# --------------------------------------------------------------------------------------------


@public
@require_GET
def honours_index(request: HttpRequest) -> HttpResponse:
    return render(request, "awards/honours_index.html", {"cycles": sel.published_cycles()})


@public
@require_GET
def honours_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = get_object_or_404(sel.published_cycles(), pk=pk)
    winners = list(sel.honours(cycle=cycle))
    groups: dict = {}
    for winner in winners:
        groups.setdefault(winner.award_kind, []).append(winner)
    return render(
        request,
        "awards/honours_detail.html",
        {"cycle": cycle, "groups": [{"kind": k, "winners": w} for k, w in groups.items()]},
    )


# --------------------------------------------------------------------------------------------
# Competitions
# --------------------------------------------------------------------------------------------


@role_required(*COMPETITION_READERS)
@require_GET
def competition_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "awards/competition_list.html",
        {
            "competitions": sel.competition_list(),
            "can_edit": perms.is_office(request.user),
        },
    )


@role_required(Role.OFFICE)
def competition_create(request: HttpRequest) -> HttpResponse:
    form = forms.CompetitionForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            competition = submit(
                form,
                lambda: svc.competition_create(
                    campaign=_campaign(), actor=request.user, **form.cleaned_data
                ),
            )
            if competition is not None:
                messages.success(request, f"已登记竞赛“{competition.name}”。")
                return redirect("awards:competition_detail", pk=competition.pk)
        return render(request, "awards/competition_create.html", {"form": form}, status=400)
    return render(request, "awards/competition_create.html", {"form": form})


def _competition_context(request, competition, form):
    return {
        "competition": competition,
        "results": competition.results.select_related("worker").order_by("rank", "pk"),
        "form": form,
        "can_edit": perms.is_office(request.user),
    }


@role_required(*COMPETITION_READERS)
def competition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    competition = get_object_or_404(Competition.objects.select_related("occupation"), pk=pk)
    if request.method != "POST":
        return render(
            request,
            "awards/competition_detail.html",
            _competition_context(request, competition, forms.ResultForm()),
        )
    if not perms.is_office(request.user):
        raise PermissionDenied
    form = forms.ResultForm(request.POST)
    if form.is_valid():
        saved = submit(
            form,
            lambda: svc.competition_result_record(
                competition=competition,
                worker=form.cleaned_data["worker"],
                rank=form.cleaned_data["rank"],
                actor=request.user,
            ),
        )
        if saved is not None:
            messages.success(request, "已登记竞赛成绩。")
            return redirect("awards:competition_detail", pk=competition.pk)
    return render(
        request,
        "awards/competition_detail.html",
        _competition_context(request, competition, form),
        status=400,
    )
