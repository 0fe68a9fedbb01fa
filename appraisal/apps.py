from django.apps import AppConfig


class AppraisalConfig(AppConfig):
    name = "appraisal"
    verbose_name = "职业技能鉴定"

    def ready(self) -> None:
        # The dashboard gauges and the audit workbook's 目标任务 sheet read the "appraisal" and
        # "high_skilled" targets through training.progress; training never imports appraisal.
        from appraisal import selectors
        from training.progress import register_target_provider

        register_target_provider("appraisal", selectors.appraisals_achieved)
        register_target_provider("high_skilled", selectors.high_skilled_achieved)
        # Certified supply of training's supply–demand analysis (training.labour_supply).
        from training.labour_supply import register_supply_provider

        register_supply_provider("certified", selectors.certificates_by_occupation)
        # The per-level application rules of the plan file ([[level_rules]]).
        from appraisal.services.level_rules import load_level_rules_section
        from training.services.plan import register_plan_section

        register_plan_section("level_rules", load_level_rules_section)
