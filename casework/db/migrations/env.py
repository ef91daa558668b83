"""Alembic environment: the app's tables, in their own version table so Prefect's never collides."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from casework.db import tables  # noqa: F401  (registers every table on SQLModel.metadata)
from casework.db.migrate import VERSION_TABLE
from casework.db.session import get_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url") or ""
    engine = get_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table=VERSION_TABLE,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
