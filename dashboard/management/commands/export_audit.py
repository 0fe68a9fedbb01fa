import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import RuleViolation
from core.models import User
from dashboard.exports import audit_workbook_write


class Command(BaseCommand):
    help = "导出上级审计工作簿（xlsx，同步生成，不经任务队列），并打印各工作表行数。"

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="输出文件路径，如 审计工作簿.xlsx")
        parser.add_argument(
            "--user",
            default="",
            help="以该用户的角色导出（决定身份证号码是否脱敏）；缺省时一律脱敏",
        )

    def handle(self, *args, out: str, user: str, **options):
        target = Path(out)
        if target.suffix.lower() != ".xlsx":
            raise CommandError("--out 必须是 .xlsx 文件")
        if not target.parent.is_dir():
            raise CommandError(f"目录不存在：{target.parent}")
        actor = None
        if user:
            actor = User.objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(f"用户不存在或已停用：{user}")
        # Written next to the target, then renamed: a failed run never leaves half a workbook
        # under the requested name.
        handle, temp_name = tempfile.mkstemp(suffix=".xlsx", dir=target.parent)
        os.close(handle)
        try:
            counts = audit_workbook_write(temp_name, actor=actor)
            Path(temp_name).replace(target)
        except RuleViolation as exc:
            raise CommandError(str(exc)) from exc
        finally:
            Path(temp_name).unlink(missing_ok=True)
        for sheet, rows in counts.items():
            self.stdout.write(f"{sheet}：{rows} 行")
        self.stdout.write(self.style.SUCCESS(f"已写入 {target}（共 {sum(counts.values())} 行）"))
