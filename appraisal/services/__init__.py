"""Writes of the appraisal app, one module per area."""
