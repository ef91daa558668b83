"""The stage catalogue: contract ids (DESIGN.md "Stage identifiers") and what each stage is."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    FIRST_DAY_CALL = "first_day_call"
    HOME_VISIT = "home_visit"
    ATTENDANCE_CONCERN = "attendance_concern"
    ATTENDANCE_PLAN = "attendance_plan"
    LA_REFERRAL = "la_referral"
    STRENGTHS_AND_NEEDS = "strengths_and_needs"
    TEAM_AROUND_FAMILY = "team_around_family"
    SEVERE_ABSENCE_PLAN = "severe_absence_plan"
    PERSISTENT_LATENESS = "persistent_lateness"
    PARENTING_CONTRACT = "parenting_contract"
    NOTICE_TO_IMPROVE = "notice_to_improve"
    PENALTY_NOTICE = "penalty_notice"
    PROSECUTION = "prosecution"
    EDUCATION_SUPERVISION_ORDER = "education_supervision_order"
    LEAVE_OF_ABSENCE = "leave_of_absence"
    PART_TIME_TIMETABLE = "part_time_timetable"
    DELETION_GROUND_I = "deletion_ground_i"
    ATTENDANCE_UPDATE = "attendance_update"


@dataclass(frozen=True, slots=True)
class StageSpec:
    stage: Stage
    title: str  # what families and staff see
    optional: bool  # an LA may switch it off in its policy file
    legal: bool  # only ever proposed; a person decides


CATALOGUE: tuple[StageSpec, ...] = (
    StageSpec(Stage.FIRST_DAY_CALL, "First-day call", optional=False, legal=False),
    StageSpec(Stage.HOME_VISIT, "Home visit", optional=True, legal=False),
    StageSpec(Stage.ATTENDANCE_CONCERN, "Attendance concern", optional=True, legal=False),
    StageSpec(Stage.ATTENDANCE_PLAN, "Attendance plan", optional=False, legal=False),
    StageSpec(Stage.LA_REFERRAL, "Referral to the LA attendance team", optional=False, legal=False),
    StageSpec(Stage.STRENGTHS_AND_NEEDS, "Strengths and Needs form", optional=True, legal=False),
    StageSpec(Stage.TEAM_AROUND_FAMILY, "Team Around the Family", optional=True, legal=False),
    StageSpec(Stage.SEVERE_ABSENCE_PLAN, "Severe absence plan", optional=False, legal=False),
    StageSpec(Stage.PERSISTENT_LATENESS, "Persistent lateness", optional=True, legal=False),
    StageSpec(Stage.PARENTING_CONTRACT, "Attendance contract", optional=True, legal=False),
    StageSpec(Stage.NOTICE_TO_IMPROVE, "Notice to Improve", optional=True, legal=True),
    StageSpec(Stage.PENALTY_NOTICE, "Penalty notice", optional=True, legal=True),
    StageSpec(Stage.PROSECUTION, "Prosecution", optional=True, legal=True),
    # Rule 38: weighed beside a prosecution (EA 1996 s447), instead of it or before it.
    StageSpec(
        Stage.EDUCATION_SUPERVISION_ORDER,
        "Education Supervision Order",
        optional=True,
        legal=True,
    ),
    # DOMAIN rules 32-35: statutory duties (leave, part-time timetables, deletion) and the
    # regular update to parents, which is a local choice an LA may switch off.
    StageSpec(Stage.LEAVE_OF_ABSENCE, "Leave of absence", optional=False, legal=False),
    StageSpec(Stage.PART_TIME_TIMETABLE, "Part-time timetable", optional=False, legal=False),
    StageSpec(Stage.DELETION_GROUND_I, "Deletion from the roll", optional=False, legal=False),
    StageSpec(Stage.ATTENDANCE_UPDATE, "Attendance update", optional=True, legal=False),
)

SPECS: dict[Stage, StageSpec] = {spec.stage: spec for spec in CATALOGUE}
LEGAL_STAGES: frozenset[Stage] = frozenset(s.stage for s in CATALOGUE if s.legal)
