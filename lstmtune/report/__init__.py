"""Reading a run into one report model (ranked trials, findings, per-trial diagnoses, importance, the
gate's figures) and rendering it: rich table, CSV, Markdown, JSON, HTML and pictures. No TensorFlow."""
