from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = "职业培训"

    def ready(self) -> None:
        # Register the training app's target providers (see training.progress).
        from training import progress  # noqa: F401
