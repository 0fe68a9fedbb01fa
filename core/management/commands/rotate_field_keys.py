"""manage.py rotate_field_keys: re-encrypt every protected field under the current key.

A key rotation: put the new key in ``FIELD_ENCRYPTION_KEY`` and the old one in
``FIELD_ENCRYPTION_OLD_KEYS``, restart, run this command, then drop the old key. Keyed hashes are
untouched (their key never rotates; see ``core.crypto``).
"""

from django.core.management.base import BaseCommand

from core.services import field_keys_rotate


class Command(BaseCommand):
    help = "用当前密钥重新加密所有加密字段（身份证号码、银行账号等）"

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, **options):
        counts = field_keys_rotate(batch_size=options["batch_size"], actor=None)
        for label, count in counts.items():
            self.stdout.write(f"{label}: {count}")
        self.stdout.write(self.style.SUCCESS(f"共重新加密 {sum(counts.values())} 个值"))
