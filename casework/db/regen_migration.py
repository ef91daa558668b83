"""Regenerate the initial migration from the models (pre-release only: nothing has shipped yet).

Once a release exists, new migrations are added with `alembic revision --autogenerate` instead.
Run: `python -m casework.db.regen_migration`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from casework.db.migrate import MIGRATIONS_DIR, alembic_config


def main() -> None:
    versions = MIGRATIONS_DIR / "versions"
    for old in versions.glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'empty.db'}"
        command.revision(
            alembic_config(url), message="initial schema", autogenerate=True, rev_id="0001"
        )
    for new in versions.glob("0001_*.py"):
        new.rename(versions / "0001_initial_schema.py")


if __name__ == "__main__":
    main()
