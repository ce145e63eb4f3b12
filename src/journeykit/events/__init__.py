"""Events: schema, sources, ingest (validate, normalise, dedupe, quarantine), identity, collector."""
