from django.apps import AppConfig


class SubsidiesConfig(AppConfig):
    name = "subsidies"
    verbose_name = "培训补贴"

    def ready(self) -> None:
        # The plan file's [[subsidy_standards]] / [[subsidy_windows]] sections.
        from subsidies.services.standards import load_standards_section
        from training.services.plan import register_plan_section

        register_plan_section("subsidies", load_standards_section)
        # A claim's payee account, revealed (with a reason, audited) to 人社 and finance.
        from core.reveal import register_revealable
        from core.roles import Role
        from subsidies.models import SubsidyClaim

        register_revealable(
            "subsidies.subsidyclaim.account",
            label="补贴收款账号",
            model="subsidies.SubsidyClaim",
            ciphertext_field="account_encrypted",
            masked_field="account_masked",
            roles={Role.REVIEWER, Role.FINANCE},
            queryset=lambda user: SubsidyClaim.objects.all(),
        )
        # subsidies-B: the notice kind, the payment kind and the home-page panel.
        from subsidies.services.payments import register_money

        register_money()
