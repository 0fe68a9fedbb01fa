from django.core.management.base import BaseCommand, CommandError

from core import clock
from core.errors import RuleViolation
from training.models import Campaign
from training.selectors.institutions import percent_text
from training.services.institutions import assessment_run


class Command(BaseCommand):
    help = (
        "定点培训机构年度考核（与每年1月15日的定时任务相同，同步执行；重复执行只更新待确认的结果）。"
        "默认：上一年度。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="考核年度，例如 2013")

    def handle(self, *args, **options):
        campaign = Campaign.objects.current()
        if campaign is None:
            raise CommandError("没有找到专项活动，请先执行 load_plan。")
        year = options["year"] if options["year"] is not None else clock.today().year - 1
        try:
            assessments = assessment_run(campaign=campaign, year=year, actor=None)
        except RuleViolation as exc:
            raise CommandError(str(exc)) from exc
        for a in assessments:
            rate = percent_text(a.pass_rate) if a.pass_rate is not None else "—"
            line = (
                f"{a.institution.name}：开班{a.classes_run}个，培训{a.trainees}人，"
                f"合格{a.passed}人（{rate}），{a.get_proposal_display()}（{a.get_status_display()}）"
            )
            self.stdout.write(line)
            for reason in a.reasons:
                self.stdout.write(f"    {reason}")
        revoke = sum(1 for a in assessments if a.proposal == "revoke")
        self.stdout.write(
            self.style.SUCCESS(
                f"{year}年度考核完成：{len(assessments)}家机构，建议取消定点资格{revoke}家。"
            )
        )
