from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = "职业培训"

    def ready(self) -> None:
        # Register the training app's target providers (see training.progress).
        from training import progress  # noqa: F401

        # The work ledger and the 1688 programme: plan sections and home-page panels.
        from training.services.ledger import register_extensions

        register_extensions()

        # Teachers, enterprise education funds, labour market: plan sections and panels.
        from training.services.labour_market import register_extensions as register_labour

        register_labour()

        # The full numbers a role may reveal (core.reveal): the office and 人社 reviewers check
        # identities (within what they may read); the office and finance check where money goes.
        from core.reveal import register_revealable
        from core.roles import Role
        from training.models import Institution
        from training.selectors.workers import worker_scope_or_none

        register_revealable(
            "training.worker.id_number",
            label="身份证号码",
            model="training.Worker",
            ciphertext_field="id_number_encrypted",
            masked_field="id_number_masked",
            roles={Role.OFFICE, Role.REVIEWER},
            queryset=worker_scope_or_none,
        )
        register_revealable(
            "training.institution.bank_account",
            label="培训机构基本账户",
            model="training.Institution",
            ciphertext_field="bank_account_encrypted",
            masked_field="bank_account_masked",
            roles={Role.OFFICE, Role.FINANCE},
            queryset=lambda user: Institution.objects.all(),
        )
