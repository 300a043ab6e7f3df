"""Reading a run into one report model and rendering it (no TensorFlow).

model        Report and build_report: the ranked trials, findings, diagnoses, effects, the cuDNN check
findings     run-level findings; diagnoses: per-trial codes; importance: what helped; gpu: the cuDNN check
lines        texts the renderers share (headers, sparkline, workers and confusion lines)
text, markdown, json_view, html     one renderer per format, each reading the model only
pictures/    PNG pictures (matplotlib, imported only when pictures are asked for)
render       the format a command asks for, and the --plots / --html files
gate         checking a run against rules, and the gate's JSON, JUnit and Markdown outputs
"""
