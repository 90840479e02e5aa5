"""The model's constraint families, one per module (see planner.model.build for their order)."""
