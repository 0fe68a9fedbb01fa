"""Routes for workers (see training/views/workers.py)."""

urlpatterns: list = []
