"""The vote hot path: voter tokens, proof-of-work, the atomic ingest script, throttling."""
