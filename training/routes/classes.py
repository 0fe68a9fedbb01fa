"""Routes for classes (see training/views/classes.py)."""

urlpatterns: list = []
