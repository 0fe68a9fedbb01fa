"""Reads of the subsidies app, scoped to what the user may see."""
