"""The LA's policy file: defaults mirror policy_default.toml; unknown keys, unknown stages,
switching off a statutory stage and thresholds out of order are refused, naming the key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pydantic
import pytest

from casework.core.ladder.stages import CATALOGUE, Stage
from casework.core.policy import DEFAULT_POLICY_FILE, Policy, PolicyError, load_policy, parse_policy

OPTIONAL = [spec.stage for spec in CATALOGUE if spec.optional]
STATUTORY = [spec.stage for spec in CATALOGUE if not spec.optional]


def shipped() -> dict[str, Any]:
    return tomllib.loads(DEFAULT_POLICY_FILE.read_text(encoding="utf-8"))


class TestDefaults:
    def test_code_defaults_equal_the_shipped_file(self) -> None:
        """The numbers in code mirror policy_default.toml exactly."""
        assert load_policy() == Policy()
        assert parse_policy(shipped()) == Policy()

    def test_shipped_file_names_every_key_the_code_has(self) -> None:
        """No setting exists only in code: an LA copying the file sees every number."""
        data = shipped()
        for name, field in Policy.model_fields.items():
            section = field.annotation
            assert isinstance(section, type)
            assert issubclass(section, pydantic.BaseModel)
            assert set(data[name]) == set(section.model_fields), name

    def test_statutory_values_are_the_domain_defaults(self) -> None:
        """DOMAIN.md Part 1's default numbers, spot-checked against the shipped file."""
        policy = load_policy()
        assert (policy.bands.concern_below_percent, policy.bands.min_possible_sessions) == (95, 20)
        assert policy.absence.home_visit_on_day == 3
        assert (
            policy.absence.la_referral_unauthorised_days,
            policy.absence.cme_enquiry_days,
            policy.absence.illness_referral_days,
            policy.absence.n_unresolved_school_days,
        ) == (10, 20, 15, 5)
        assert (policy.support.plan_review_school_weeks, policy.support.lateness_marks) == (6, 10)
        assert policy.stages.disabled == ()

    def test_a_file_with_some_keys_keeps_the_defaults_for_the_rest(self, tmp_path: Path) -> None:
        """An LA's file needs only the keys it changes."""
        path = tmp_path / "policy.toml"
        path.write_text('[absence]\nhome_visit_on_day = 4\n\n[stages]\ndisabled = ["home_visit"]\n')
        policy = load_policy(path)
        assert policy.absence.home_visit_on_day == 4
        assert not policy.enabled(Stage.HOME_VISIT)
        assert policy.bands == Policy().bands

    def test_policy_cannot_be_changed_when_loaded(self) -> None:
        """Policy values are frozen."""
        with pytest.raises(pydantic.ValidationError):
            Policy().absence.home_visit_on_day = 4  # type: ignore[misc]


class TestRefused:
    @pytest.mark.parametrize(
        ("data", "named"),
        [
            ({"absence": {"home_visit_after_days": 3}}, "absence.home_visit_after_days"),
            ({"bands": {"concern_below": 95}}, "bands.concern_below"),
            ({"penalties": {"amount": 1}}, "penalties"),
        ],
    )
    def test_unknown_key_is_an_error_naming_it(self, data: dict[str, Any], named: str) -> None:
        """A misspelt key is refused, not ignored."""
        with pytest.raises(PolicyError, match=named.replace(".", r"\.")):
            parse_policy(data)

    def test_unknown_stage_is_an_error_naming_the_key(self) -> None:
        """Only catalogue stage ids can be switched off."""
        with pytest.raises(PolicyError, match=r"stages\.disabled"):
            parse_policy({"stages": {"disabled": ["home_visits"]}})

    @pytest.mark.parametrize("stage", STATUTORY)
    def test_statutory_stage_cannot_be_switched_off(self, stage: Stage) -> None:
        """first_day_call, attendance_plan, la_referral and severe_absence_plan always run."""
        with pytest.raises(PolicyError, match=rf"stages\.disabled.*{stage.value}"):
            parse_policy({"stages": {"disabled": [stage.value]}})

    @pytest.mark.parametrize("stage", OPTIONAL)
    def test_optional_stage_can_be_switched_off(self, stage: Stage) -> None:
        """Every optional stage may be disabled and is then reported as not enabled."""
        policy = parse_policy({"stages": {"disabled": [stage.value]}})
        assert not policy.enabled(stage)
        assert all(policy.enabled(s) for s in Stage if s is not stage)

    @pytest.mark.parametrize(
        ("data", "named"),
        [
            ({"absence": {"home_visit_on_day": 10}}, "home_visit_on_day"),
            ({"absence": {"la_referral_unauthorised_days": 20}}, "la_referral_unauthorised_days"),
            ({"absence": {"cme_enquiry_days": 3}}, "cme_enquiry_days"),
            ({"bands": {"concern_below_percent": 90}}, "bands.concern_below_percent"),
            ({"bands": {"concern_below_percent": 101}}, "bands.concern_below_percent"),
            ({"legal": {"first_notice_reduced_pence": 16000}}, "first_notice_reduced_pence"),
            ({"legal": {"reduced_within_days": 28}}, "reduced_within_days"),
        ],
    )
    def test_thresholds_out_of_order_are_an_error_naming_the_key(
        self, data: dict[str, Any], named: str
    ) -> None:
        """Day 3 < 10-day return < 20-day CME; the at-risk line sits above the 90 % PA line;
        the reduced penalty is below the full one and due sooner."""
        with pytest.raises(PolicyError, match=named.replace(".", r"\.")):
            parse_policy(data)

    @pytest.mark.parametrize(
        ("data", "named"),
        [
            ({"absence": {"home_visit_on_day": 0}}, "absence.home_visit_on_day"),
            ({"support": {"plan_review_school_weeks": "six"}}, "support.plan_review_school_weeks"),
        ],
    )
    def test_impossible_values_are_an_error_naming_the_key(
        self, data: dict[str, Any], named: str
    ) -> None:
        """Counts are whole numbers of at least one."""
        with pytest.raises(PolicyError, match=named.replace(".", r"\.")):
            parse_policy(data)

    def test_unreadable_file_is_an_error_naming_the_file(self, tmp_path: Path) -> None:
        """A policy file that is not TOML is refused with its path."""
        path = tmp_path / "broken.toml"
        path.write_text("[absence\nhome_visit_on_day = 3\n")
        with pytest.raises(PolicyError, match=r"broken\.toml"):
            load_policy(path)


class TestMessagesPolicy:
    def test_retry_horizon_defaults_to_notifys_72_hours(self) -> None:
        """The default rides out a three-day outage before trying the family another way."""
        assert load_policy().messages.retry_horizon_hours == 72

    def test_a_retry_interval_longer_than_the_horizon_is_refused(self) -> None:
        """An interval that could skip the whole horizon is a mistake caught at load."""
        with pytest.raises(PolicyError, match="retry_max_interval_minutes"):
            parse_policy({"messages": {"retry_horizon_hours": 1, "retry_max_interval_minutes": 90}})
