"""Every write of the training app; import the module you need (``training.services.plan``)."""
