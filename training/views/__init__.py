"""Views of the training app, one module per area (promoted to a package past ~500 lines)."""
