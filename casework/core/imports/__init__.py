"""CSV import rows, parsed and validated without I/O: one module per kind, shared parts in `rows`.

Each kind's `validate_*` takes the file's rows (with their line numbers) and what is already
stored, and returns the records to write, how many rows were unchanged, and a `RowError` per
rejected row. `casework.service.importing.files` is the shell that reads files and writes
the database.
"""
