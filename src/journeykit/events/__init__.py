"""Events: schema, sources, ingest (validation, dedupe, quarantine), identity, collector."""
