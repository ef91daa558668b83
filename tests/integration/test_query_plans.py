"""PostgreSQL plans the sweep's reads by index on an LA-sized table: with the default
random_page_cost a large school's contacts were read by a scan of every contact in the LA
(casework.db.session sets the SSD value on the app's connections)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session

from casework.core.calendar import RegisterSession
from casework.db.session import get_engine
from casework.db.snapshots import load_school

pytestmark = pytest.mark.postgres

SCHOOLS, PUPILS_EACH = 60, 800  # 48,000 pupils and 96,000 contacts: a mid-sized LA

_FILL = [
    """INSERT INTO schools (urn, name, la_code, phase, am_register_closes, pm_register_closes)
       SELECT (100000 + s)::text, 'School ' || s, '931', 'secondary', '09:15', '13:45'
       FROM generate_series(1, CAST(:schools AS integer)) AS s""",
    """INSERT INTO pupils (upn, urn, forename, surname, date_of_birth, year_group, sen_status,
       fsm, pupil_premium, looked_after, previously_looked_after, cp_cin, young_carer,
       ethnicity, home_language, medical_condition)
       SELECT 'P' || lpad(n::text, 12, '0'), (100000 + 1 + n % CAST(:schools AS integer))::text,
              'Sam', 'Able', '2014-03-14', '7', 'N', false, false, false, false, 'none', false,
              'WBRI', 'ENG', false
       FROM generate_series(1, CAST(:schools AS integer) * CAST(:each AS integer)) AS n""",
    """INSERT INTO contacts (contact_id, upn, name, relationship, parental_responsibility,
       priority, mobile, email, preferred_channel, language, address)
       SELECT upn || '-' || k, upn, 'Alex Able', 'mother', true, k, '+447911125001',
              'alex@example.org', 'sms', 'en', '1 High Street, Synthetown'
       FROM pupils, generate_series(1, 2) AS k""",
]


def _contacts_plan(url: str) -> str:
    """The plan of the contacts read that loading a school for its sweep makes."""
    engine = get_engine(url)
    seen: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM contacts JOIN pupils" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with Session(engine) as session:
            load_school(session, "100001", date(2025, 9, 8), RegisterSession.AM)
            statement, parameters = seen[0]
            connection = session.connection().connection.driver_connection
            assert connection is not None
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN {statement}", parameters)
                return "\n".join(row[0] for row in cursor.fetchall())
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def test_a_schools_contacts_are_read_by_index(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        for statement in _FILL:
            conn.execute(sa.text(statement), {"schools": SCHOOLS, "each": PUPILS_EACH})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()

    plan = _contacts_plan(postgres_url)

    assert "Index Scan using ix_contacts_upn on contacts" in plan, plan
    assert "Seq Scan on contacts" not in plan, plan
