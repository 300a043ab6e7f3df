"""The vocabulary every layer shares, in the standard library alone: the objective and its direction,
trial and run statuses, validators that carry their JSON Schema, task names, diagnosis codes, and the
formatters that quote values in one-line messages."""
