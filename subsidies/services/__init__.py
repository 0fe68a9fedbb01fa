"""Writes of the subsidies app; one module per entity (standards, claims, entrustments,
institution claims). Review, notice and payment services live in their own modules."""
