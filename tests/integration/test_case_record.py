"""`read_case`: the one read behind the case page and `pathway case` (scope, audit, as-of)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from casework.db.migrate import upgrade
from casework.db.tables import AuditEntry
from casework.service.cases import read_case
from casework.service.errors import NotFound
from tests.web_factories import (
    NOW,
    TODAY,
    URN_A,
    URN_B,
    create_contact,
    create_marks,
    create_message,
    create_pupil,
    create_school,
)


@pytest.fixture
def seeded(engine: Engine, database_url: str) -> Engine:
    upgrade(database_url)
    create_school(engine, URN_A)
    create_school(engine, URN_B)
    return engine


def test_reads_the_case_in_scope_and_records_the_read(seeded: Engine) -> None:
    pupil = create_pupil(seeded, URN_A, forename="Amelia", surname="Hartley")
    create_contact(seeded, pupil, name="Joanne Hartley")
    create_marks(seeded, pupil, "/ / N N / /")
    older = create_message(seeded, pupil, school_date=TODAY - timedelta(days=3))
    newer = create_message(seeded, pupil, school_date=TODAY)
    record = read_case(
        seeded, pupil.upn, scope_urn=URN_A, on=TODAY, now=NOW, actor="a@x.org", detail={"p": 1}
    )
    assert record.pupil.forename == "Amelia"
    assert record.measures is not None
    assert (record.measures.possible, record.measures.unauthorised) == (6, 2)
    assert list(record.contact_names.values()) == ["Joanne Hartley"]
    assert [m.id for m in record.messages] == [newer.id, older.id]  # newest school day first
    with Session(seeded) as db:
        kinds = db.exec(select(AuditEntry.kind).where(AuditEntry.upn == pupil.upn)).all()
    assert list(kinds) == ["case.viewed"]


def test_another_schools_pupil_is_not_found_and_not_recorded(seeded: Engine) -> None:
    pupil = create_pupil(seeded, URN_B)
    with pytest.raises(NotFound):
        read_case(seeded, pupil.upn, scope_urn=URN_A, on=TODAY, now=NOW, actor="a", detail={})
    with Session(seeded) as db:
        assert db.exec(select(AuditEntry)).all() == []


def test_as_of_an_earlier_day_counts_only_the_marks_up_to_it(seeded: Engine) -> None:
    pupil = create_pupil(seeded, URN_A)
    create_marks(seeded, pupil, "/ / / / N N N N", ending=TODAY - timedelta(days=1))
    # Thu and Fri present, Mon and Tue absent: as of Monday, Tuesday's two are not yet counted.
    monday = TODAY - timedelta(days=2)
    record = read_case(seeded, pupil.upn, scope_urn=None, on=monday, now=NOW, actor="a", detail={})
    assert record.measures is not None
    assert (record.measures.possible, record.measures.unauthorised) == (6, 2)
    assert record.on == monday
