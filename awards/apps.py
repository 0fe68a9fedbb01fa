from django.apps import AppConfig


class AwardsConfig(AppConfig):
    name = "awards"
    verbose_name = "表彰奖励"

    def ready(self) -> None:
        from awards import selectors, services
        from awards.plan import load_awards_section
        from core.notices import register_notice_kind
        from core.payments import register_payment_kind
        from core.roles import Role
        from dashboard.panels import register_panel
        from training.services.plan import register_plan_section

        register_plan_section("awards", load_awards_section)
        register_panel(
            "awards",
            title="表彰奖励",
            template="awards/_home_panel.html",
            roles={Role.OFFICE, Role.AUDITOR, Role.COMMITTEE, Role.FINANCE},
            context=selectors.home_panel,
            order=40,
        )
        # Honours on the worker's own record: training must not import awards, so the worker
        # sees them through a home-page panel instead of the training worker page.
        register_panel(
            "awards_honours",
            title="我的荣誉",
            template="awards/_worker_panel.html",
            roles={Role.WORKER},
            context=selectors.worker_panel,
            order=41,
        )
        register_notice_kind(
            services.NOTICE_KIND,
            on_close=services.on_notice_close,
            label="表彰奖励拟表彰人选公示",
            publishers={Role.OFFICE},
            resolvers={Role.OFFICE},
        )
        register_payment_kind(
            services.PAYMENT_KIND,
            preparers={Role.FINANCE},
            approvers={Role.FINANCE},
            on_paid=services.on_prize_paid,
            on_failed=services.on_prize_failed,
            label="表彰奖励奖金",
        )
