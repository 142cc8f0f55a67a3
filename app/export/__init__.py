"""Documents: a pure document model is built from the data (model.py + builders), then rendered (docx.py)."""
