"""Text classification: one text per row, one label per row (data layer: numpy / pandas only)."""
