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
