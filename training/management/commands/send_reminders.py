from django.core.management.base import BaseCommand

from training.services.returns import reminders_send


class Command(BaseCommand):
    help = "发送月报催报提醒（每月1日和截止日执行；重复执行不会重复提醒）。"

    def handle(self, *args, **options):
        reminders = reminders_send()
        for reminder in reminders:
            self.stdout.write(f"已提醒：{reminder}")
        self.stdout.write(self.style.SUCCESS(f"共新建 {len(reminders)} 条提醒。"))
