from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from training.services.plan import DEFAULT_PLAN, plan_load


class Command(BaseCommand):
    help = "载入专项活动方案（阶段、目标、单位、县区、13个培训类别及任务数）；可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument("--plan", type=Path, default=DEFAULT_PLAN, help="方案文件（TOML）")

    def handle(self, *args, plan: Path, **options):
        if not plan.exists():
            raise CommandError(f"找不到方案文件：{plan}")
        result = plan_load(path=plan)
        campaign = result.campaign
        if not result.changed:
            self.stdout.write(f"{campaign}：已是最新，无变化。")
            return
        created = "，".join(f"{k} {v}" for k, v in result.created.items()) or "无"
        updated = "，".join(f"{k} {v}" for k, v in result.updated.items()) or "无"
        self.stdout.write(self.style.SUCCESS(f"{campaign}：新增 {created}；更新 {updated}。"))
