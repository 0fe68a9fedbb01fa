"""Send follow-up work that could not reach the broker (what beat's flush_outbox does)."""

from django.core.management.base import BaseCommand

from core.outbox import outbox_flush, outbox_pending_count


class Command(BaseCommand):
    help = "发送因消息队列不可用而暂存的后续任务（core.outbox）"

    def handle(self, *args, **options) -> None:
        sent = outbox_flush()
        self.stdout.write(f"已发送 {sent} 个暂存任务，仍待发送 {outbox_pending_count()} 个")
