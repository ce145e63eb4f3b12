"""Event sources: each reads one input shape into columnar batches for the ingest pipeline."""
