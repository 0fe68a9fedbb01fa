from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "基础数据"

    def ready(self) -> None:
        # The full numbers a role may reveal (with a reason, audited): see core.reveal. Each app
        # registers its own; SECURITY.md tabulates who may see which. Finance pays: it sees the
        # account a payment line goes to.
        from core.models import PaymentLine
        from core.reveal import register_revealable
        from core.roles import Role

        register_revealable(
            "core.paymentline.account",
            label="拨付账号",
            model="core.PaymentLine",
            ciphertext_field="account_encrypted",
            masked_field="account_masked",
            roles={Role.FINANCE},
            queryset=lambda user: PaymentLine.objects.all(),
        )
