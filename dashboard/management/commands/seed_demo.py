from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.demo import DEMO_PASSWORD, demo_accounts
from dashboard import demo


class Command(BaseCommand):
    help = "生成演示数据和演示账号（每个责任单位一名填报员，其他角色各一名）。"

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=1, help="数据规模倍数（用于性能测试）")
        parser.add_argument("--seed", type=int, default=2013, help="随机种子（可复现）")
        parser.add_argument("--force", action="store_true", help="在 DEBUG 关闭时仍然执行")

    def handle(self, *args, scale: int, seed: int, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG 已关闭：这可能是生产环境，拒绝生成演示数据。确需执行请加 --force。"
            )
        if scale < 1:
            raise CommandError("--scale 必须是正整数")
        try:
            demo.seed(scale=scale, seed_value=seed, log=self.stdout.write)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("")
        self.stdout.write(f"演示账号（统一密码：{DEMO_PASSWORD}）：")
        for account in demo_accounts():
            self.stdout.write(f"  {account.username:<14} {account.role.label} {account.full_name}")
