from django.core.management.base import BaseCommand, CommandError

from core import clock
from core.errors import RuleViolation
from training import deadlines
from training.models import Campaign
from training.reports import RATE_LABELS, Pace, Punctuality, last_month_owed
from training.services.reports import report_compute


def _pct(value: str | None) -> str:
    return "—" if value is None else f"{value}%"


class Command(BaseCommand):
    help = (
        "计算某月的目标任务进度快照（与每月定时任务相同，同步执行；重复执行结果相同）。"
        "默认：最近一个应报送的月份。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", help="统计月份，格式 YYYY-MM")
        parser.add_argument("--campaign", help="专项活动代码（默认：当前专项活动）")

    def handle(self, *args, **options):
        if options["campaign"]:
            campaign = Campaign.objects.filter(code=options["campaign"]).first()
        else:
            campaign = Campaign.objects.current()
        if campaign is None:
            raise CommandError("没有找到专项活动，请先执行 load_plan。")
        if options["month"]:
            month = deadlines.parse_month(options["month"])
            if month is None:
                raise CommandError("月份格式应为 YYYY-MM，例如 2014-05。")
        else:
            month = last_month_owed(campaign, clock.now())
            if month is None:
                raise CommandError("尚无应报送的月份。")
        try:
            run = report_compute(campaign=campaign, month=month, actor=None)
        except RuleViolation as exc:
            raise CommandError(str(exc)) from exc
        for line in self._summary_lines(run):
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"{run.month_label}进度快照已生成。"))

    @staticmethod
    def _summary_lines(run) -> list[str]:
        totals = run.totals
        city, pacing = totals["city"], totals["pacing"]
        month, cumulative = city["month"], city["cumulative"]
        lines = [
            f"{run.campaign} {run.month_label}目标任务进度",
            f"时间进度：第{pacing['elapsed_months']}个月/共{pacing['total_months']}个月，"
            f"应完成{_pct(pacing['expected_percent'])}",
            f"本月：培训{month['trained']}人次，考核合格{month['passed']}人，"
            f"取得证书{month['certified']}人，实现就业{month['employed']}人，"
            f"成功创业{month['entrepreneurs']}人",
            f"累计：培训{cumulative['trained']}人次，考核合格{cumulative['passed']}人，"
            f"取得证书{cumulative['certified']}人，实现就业{cumulative['employed']}人，"
            f"成功创业{cumulative['entrepreneurs']}人",
            f"全市任务{city['quota']}人次，完成{_pct(city['percent_of_quota'])}，"
            f"与时间进度相差{city['gap_points'] or '—'}个百分点（{Pace(city['pace']).label}）",
            "，".join(
                f"{label}{_pct(totals['rates'][code])}" for code, label in RATE_LABELS.items()
            ),
        ]
        for target in totals["targets"]:
            achieved = "—" if target["achieved"] is None else target["achieved"]
            lines.append(
                f"目标任务·{target['name']}：{target['figure']}{target['unit']}，"
                f"已完成{achieved}，{_pct(target['percent'])}"
            )
        lines.append(
            "报送情况："
            + "，".join(f"{p.label}{totals['punctuality'][p.value]}个单位" for p in Punctuality)
        )
        return lines
