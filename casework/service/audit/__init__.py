"""The audit trail as its readers get it: exports (JSONL, CSV, PDF) and verification."""
