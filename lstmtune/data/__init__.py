"""CSV files into frames: input-file checks, CSV reading and the compact chunked reader, dates,
splits (ordered, stratified, grouped, named) and scalers. No knowledge of tasks or models."""
