"""Import pipeline: read files, map columns, validate, clean, resolve identities and load."""
