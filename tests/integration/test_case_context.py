"""A sweep reads every stage's and decision's context as text and decodes it only when a rule
asks (casework.db.snapshots): what the rules then read is what was stored, on both databases."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine

from casework.core.calendar import RegisterSession
from casework.core.ladder.stages import Stage
from casework.db.session import read_snapshot
from casework.db.snapshots import load_school
from tests.web_factories import (
    TODAY,
    create_decision,
    create_pupil,
    create_school,
    create_stage_entry,
)

PLAN = {"attended_sessions": "120", "possible_sessions": "150", "note": 'café, "quoted"'}
WARNING = {"period_start": "2025-09-08", "sessions": 14, "flags": ["a", "b"]}


def test_contexts_read_as_stored_and_decoded_when_asked(engine: Engine) -> None:
    school = create_school(engine)
    pupil = create_pupil(engine, school.urn)
    create_stage_entry(engine, pupil, stage=Stage.ATTENDANCE_PLAN.value, context=PLAN)
    create_stage_entry(engine, pupil, stage=Stage.LA_REFERRAL.value, context={})
    create_decision(engine, pupil, context=WARNING)
    with read_snapshot(engine) as db:
        snapshot = load_school(db, school.urn, TODAY, RegisterSession.AM, only_upn=pupil.upn)
    assert snapshot is not None
    (view,) = snapshot.pupils
    contexts = {entry.stage: entry.context for entry in view.case.stages}
    plan, referral = contexts[Stage.ATTENDANCE_PLAN], contexts[Stage.LA_REFERRAL]
    assert plan["attended_sessions"] == "120"
    assert plan.get("missing") is None
    assert dict(plan) == PLAN
    assert plan == PLAN
    assert len(plan) == 3
    assert sorted(plan) == sorted(PLAN)
    assert dict(referral) == {}
    assert not referral
    (decision,) = view.case.decisions
    assert decision.context == WARNING
    assert json.loads(json.dumps(dict(decision.context))) == WARNING
