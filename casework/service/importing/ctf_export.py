"""The CTF export use case: one pupil's details, contacts and register history as a CTF.

Each session carries the latest version of its mark (amendments resolved, as a sweep would see
them at the end of time); minutes late and the amendment history stay behind, since a CTF has
no place for them.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from casework.core.imports.contacts import ContactRecord
from casework.core.imports.ctf_writer import PupilTransfer, SessionCodes, write_ctf
from casework.core.imports.pupils import PupilRecord
from casework.db.session import read_snapshot
from casework.service.errors import NotFound
from casework.service.importing import store


def _pupil(session: Session, upn: str) -> PupilRecord:
    names = list(PupilRecord.__dataclass_fields__)
    query = sa.select(*(store.PUPILS.c[n] for n in names)).where(store.PUPILS.c.upn == upn)
    row = session.execute(query).first()
    if row is None:
        raise NotFound("no pupil with this UPN")
    return PupilRecord(*row)


def _contacts(session: Session, upn: str) -> list[ContactRecord]:
    names = list(ContactRecord.__dataclass_fields__)
    query = sa.select(*(store.CONTACTS.c[n] for n in names)).where(store.CONTACTS.c.upn == upn)
    return [ContactRecord(*row) for row in session.execute(query)]


def latest_marks(session: Session, upn: str) -> SessionCodes:
    """(date, session) -> the code of the latest version of that session's mark."""
    c = store.MARKS.c
    query = (
        sa.select(c.school_date, c.session, c.code)
        .where(c.upn == upn)
        .order_by(c.school_date, c.session, c.recorded_at)
    )
    found: dict[tuple[date, str], str] = {}
    for day, session_, code in session.execute(query):
        found[(day, session_)] = code  # ordered by recorded_at: the last one wins
    return found


def export_ctf(engine: Engine, upn: str, made_at: datetime) -> bytes:
    """The pupil's CTF; raises NotFound for a UPN that is not held. `made_at` is local time."""
    with read_snapshot(engine) as session:
        pupil = _pupil(session, upn)
        school = store.load_schools(session)[pupil.urn]
        transfer = PupilTransfer(pupil, _contacts(session, upn), latest_marks(session, upn))
    return write_ctf(school, [transfer], made_at)
