"""Writes of the dashboard app: the office's recompute button and the monthly bulletin.

A bulletin is drafted from a month's progress snapshot, refreshed as often as the office likes
while it is a draft, and published once: publishing marks the snapshot published too, so
``training.services.reports.report_compute`` refuses to change the figures the bulletin quotes.
"""

import datetime
from typing import IO

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import clock
from core.errors import RuleViolation
from core.models import User
from core.services import audit_record
from core.xlsx import XlsxWriter
from dashboard import permissions, selectors
from dashboard.models import Bulletin
from training import reports
from training.models import Campaign, ReportRun
from training.services.reports import report_compute, report_compute_enqueue


def progress_recompute(
    *, campaign: Campaign, month: datetime.date, actor: User
) -> ReportRun | None:
    """The office's "重新计算本月进度" button. Without a broker the snapshot is computed now and
    returned; with one (``CELERY_BROKER_URL``) the job is queued after commit and None returned.
    Side effects and errors are those of ``report_compute`` / ``report_compute_enqueue``
    (PermissionDenied for anyone but the office; RuleViolation for a published month)."""
    if not permissions.can_recompute_progress(actor):
        raise PermissionDenied
    if settings.CELERY_BROKER_URL:
        report_compute_enqueue(campaign=campaign, month=month, actor=actor)
        return None
    return report_compute(campaign=campaign, month=month, actor=actor)


def _content_fields(run: ReportRun) -> dict:
    content = selectors.bulletin_content(run=run)
    return {
        "report_run": run,
        "title": content.title,
        "summary": "\n".join(content.sentences),
        "commended": content.commended,
        "behind": content.behind,
        "late_or_missing": content.late_or_missing,
        "snapshot_computed_at": run.computed_at,
    }


def _refuse_if_published(bulletin: Bulletin | None) -> None:
    if bulletin is not None and bulletin.is_published:
        raise RuleViolation(_("本月通报已发布，不可再修改"), code="published")


@transaction.atomic
def bulletin_draft(*, campaign: Campaign, month: datetime.date, actor: User) -> Bulletin:
    """Create the month's bulletin draft, or refresh an existing draft, from the month's
    progress snapshot: title, summary sentences, units commended, behind pace, late or missing.

    Writes an AuditEvent ``bulletin.draft`` (``refresh`` true when it replaced a draft's text).
    Raises PermissionDenied (not the office), RuleViolation (no snapshot for the month; the
    month's bulletin is already published)."""
    if not permissions.can_draft_bulletin(actor):
        raise PermissionDenied
    run = (
        ReportRun.objects.select_for_update()
        .select_related("campaign")
        .filter(campaign=campaign, month=month)
        .first()
    )
    if run is None:
        raise RuleViolation(
            _("%(month)s尚未生成进度快照，请先计算该月进度") % {"month": f"{month:%Y年%m月}"},
            code="no_report",
        )
    bulletin = Bulletin.objects.select_for_update().filter(campaign=campaign, month=month).first()
    _refuse_if_published(bulletin)
    fields = _content_fields(run)
    refresh = bulletin is not None
    if bulletin is None:
        try:
            with transaction.atomic():
                bulletin = Bulletin.objects.create(
                    campaign=campaign, month=month, created_by=actor, **fields
                )
        except IntegrityError:
            # Another click created it after our read: refresh that one instead.
            bulletin = Bulletin.objects.select_for_update().get(campaign=campaign, month=month)
            _refuse_if_published(bulletin)
            refresh = True
    if refresh:
        for name, value in fields.items():
            setattr(bulletin, name, value)
        bulletin.save()
    audit_record(
        actor=actor,
        action="bulletin.draft",
        obj=bulletin,
        to_state=bulletin.status,
        changes={"refresh": refresh, "title": bulletin.title, "summary": bulletin.summary},
    )
    return bulletin


@transaction.atomic
def bulletin_publish(*, bulletin: Bulletin, actor: User) -> Bulletin:
    """Publish a draft to every unit and freeze it with its snapshot.

    The bulletin becomes read-only and its ReportRun is marked published (status, time, who), so
    a late return can no longer change the figures it quotes. Writes AuditEvents
    ``bulletin.publish`` and ``progress_report.publish``. Raises PermissionDenied (not the
    office), RuleViolation (already published; the snapshot was recomputed after the draft was
    generated, so the office must refresh and read it again first)."""
    if not permissions.can_publish_bulletin(actor):
        raise PermissionDenied
    locked = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
    if Bulletin.Status.PUBLISHED not in Bulletin.TRANSITIONS[locked.status]:
        raise RuleViolation(_("本月通报已发布，不可重复发布"), code="published")
    run = ReportRun.objects.select_for_update().get(pk=locked.report_run_id)
    if run.computed_at != locked.snapshot_computed_at:
        raise RuleViolation(
            _("进度快照在草稿生成后已重新计算，请先刷新草稿、核对内容后再发布"), code="stale"
        )
    now = clock.now()
    run.status = ReportRun.Status.PUBLISHED
    run.published_at = now
    run.published_by = actor
    run.save(update_fields=["status", "published_at", "published_by", "updated_at"])
    previous = locked.status
    locked.status = Bulletin.Status.PUBLISHED
    locked.published_at = now
    locked.published_by = actor
    locked.save(update_fields=["status", "published_at", "published_by", "updated_at"])
    audit_record(
        actor=actor,
        action="bulletin.publish",
        obj=locked,
        from_state=previous,
        to_state=locked.status,
        changes={"title": locked.title, "summary": locked.summary},
    )
    audit_record(
        actor=actor,
        action="progress_report.publish",
        obj=run,
        from_state=ReportRun.Status.READY,
        to_state=run.status,
        changes={"bulletin": locked.pk},
    )
    return locked


DEPARTMENT_HEADERS = (
    "责任单位",
    "任务数（人次）",
    "本月培训人次",
    "累计培训人次",
    "完成任务%",
    "时间进度%",
    "相差百分点",
    "进度",
    "培训合格率%",
    "鉴定率%",
    "就业率%",
    "创业率%",
    "报送情况",
)


def bulletin_export(*, bulletin: Bulletin, actor: User, target: IO[bytes]) -> None:
    """Write the bulletin as an xlsx into ``target``: a sheet with the title and sentences and a
    sheet with the table by department (numbers as numbers, every text a text cell).

    Writes an AuditEvent ``bulletin.download``. Raises PermissionDenied when the actor may not
    read the bulletin."""
    if not permissions.can_view_bulletin(actor, bulletin):
        raise PermissionDenied
    run = bulletin.report_run
    departments = reports.department_summaries(run=run)
    with XlsxWriter() as writer:
        sheet = writer.add_sheet("通报", ["内容"], widths=[120], freeze=None)
        writer.append(sheet, [bulletin.title])
        status = (
            _("已发布（%(time)s）")
            % {"time": f"{timezone.localtime(bulletin.published_at):%Y-%m-%d %H:%M}"}
            if bulletin.is_published
            else _("草稿")
        )
        writer.append(sheet, [str(status)])
        for sentence in bulletin.sentences():
            writer.append(sheet, [sentence])
        table = writer.add_sheet("分单位进度", DEPARTMENT_HEADERS)
        for d in departments:
            writer.append(
                table,
                [
                    d.name,
                    d.quota,
                    d.month.trained,
                    d.cumulative.trained,
                    d.percent_of_quota,
                    run.expected_percent,
                    d.gap_points,
                    d.pace_label,
                    *(d.rates[code] for code, _f, _l in reports.RATES),
                    d.punctuality_label,
                ],
            )
        city = reports.city_from_totals(run.totals)
        writer.append(
            table,
            [
                _("全市合计"),
                city.quota,
                city.month.trained,
                city.cumulative.trained,
                city.percent_of_quota,
                run.expected_percent,
                city.gap_points,
                city.pace_label,
                *(city.rates[code] for code, _f, _l in reports.RATES),
                "",
            ],
        )
        writer.save(target)
    audit_record(
        actor=actor,
        action="bulletin.download",
        obj=bulletin,
        to_state=bulletin.status,
    )
