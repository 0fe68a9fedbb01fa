from django.core.management.base import BaseCommand

from core.services import roles_sync


class Command(BaseCommand):
    help = "创建或更新角色（用户组）及其权限；可重复执行。"

    def handle(self, *args, **options):
        summary = roles_sync()
        for name, count in summary.items():
            self.stdout.write(f"{name}: {count} 项权限")
        self.stdout.write(self.style.SUCCESS("角色已同步。"))
