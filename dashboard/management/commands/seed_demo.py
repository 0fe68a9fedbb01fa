from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.demo import DEMO_PASSWORD, demo_accounts
from dashboard import demo


def parse_scale(text: str) -> tuple[int, float | None]:
    """``--scale``: ``city`` (the full campaign: 300,000 workers, 400,000 enrollments …), a
    fraction below 1 (that share of the city, e.g. ``0.1``), or a whole number ≥ 1 (the normal
    demo's multiplier, as before). Returns (multiplier, city fraction or None)."""
    value = str(text).strip().lower()
    if value == "city":
        return 1, 1.0
    try:
        number = float(value)
    except ValueError:
        raise CommandError("--scale 应为 city、0 到 1 之间的小数或正整数") from None
    if 0 < number < 1:
        return 1, number
    if number >= 1 and number == int(number):
        return int(number), None
    raise CommandError("--scale 应为 city、0 到 1 之间的小数或正整数")


class Command(BaseCommand):
    help = "生成演示数据和演示账号（每个责任单位一名填报员，其他角色各一名）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            default="1",
            help="数据规模：正整数为演示数据倍数；city 为全市完整规模（30万劳动者、40万人次培训）；"
            "0 到 1 之间的小数为全市规模的相应比例（如 0.1）",
        )
        parser.add_argument("--seed", type=int, default=2013, help="随机种子（可复现）")
        parser.add_argument("--force", action="store_true", help="在 DEBUG 关闭时仍然执行")

    def handle(self, *args, scale: str, seed: int, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG 已关闭：这可能是生产环境，拒绝生成演示数据。确需执行请加 --force。"
            )
        multiplier, fraction = parse_scale(scale)
        try:
            if fraction is not None:
                from dashboard.demo_city import seed_city

                seed_city(fraction=fraction, seed_value=seed, log=self.stdout.write)
            else:
                demo.seed(scale=multiplier, seed_value=seed, log=self.stdout.write)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("")
        self.stdout.write(f"演示账号（统一密码：{DEMO_PASSWORD}）：")
        for account in demo_accounts():
            self.stdout.write(f"  {account.username:<14} {account.role.label} {account.full_name}")
