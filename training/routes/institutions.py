"""Routes for institutions (see training/views/institutions.py)."""

urlpatterns: list = []
