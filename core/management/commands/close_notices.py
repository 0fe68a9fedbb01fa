"""Close the public notices (公示) whose period has ended; the same as the daily beat job."""

from django.core.management.base import BaseCommand

from core.notices import notices_close_due_report


class Command(BaseCommand):
    help = "结束已期满的公示（有未处理异议的公示跳过并列出）"

    def handle(self, *args, **options):
        result = notices_close_due_report()
        self.stdout.write(f"已结束公示 {len(result.closed)} 个：{result.closed}")
        if result.skipped:
            self.stdout.write(
                self.style.WARNING(
                    f"尚有未处理异议、未能结束的公示 {len(result.skipped)} 个：{result.skipped}"
                )
            )
