"""The search-space file into a validated `Space`: hyperparameter specs, search and data settings, the
gate-rule grammar, YAML loading, the JSON Schema and the starter file. No Keras."""
