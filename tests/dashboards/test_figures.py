"""The dashboard's figures on a month worked out by hand: counts, rates, percentiles, period edges and
the days the clock changes."""

from datetime import date

import pytest

from dashboards.figures import Scope, summary


@pytest.fixture
def month(march, clinic_a):
    return summary(Scope(clinics=(clinic_a.pk,), first_day=date(2026, 3, 1), last_day=date(2026, 3, 31)))


def test_counts_by_modality_platform_and_kind(month):
    # a1, a2, a3 (31st at 23:30), a6, a7, the in-person one, a10; not February 28 nor April 1, nor clinic B.
    assert month.total == 7
    assert month.by_modality == {"video": 5, "phone": 1, "in_person": 1}
    assert month.by_platform == {"teams": 3, "zoom": 1, "jitsi": 1}
    assert month.by_kind == {"scheduled": 6, "immediate": 1}


def test_weeks_start_on_monday_in_montreal_time(month):
    weeks = {str(week["week"]): week["total"] for week in month.weekly}
    # Saturday the 7th at 23:30 and Sunday the 8th at 03:30 (after the clock jumped) are one week.
    assert weeks == {"2026-03-02": 2, "2026-03-09": 1, "2026-03-16": 3, "2026-03-30": 1}


def test_outcomes_and_their_rates(month):
    assert month.outcomes == {
        "held": 3,
        "patient_absent": 1,
        "switched_to_phone": 0,
        "technical_failure": 1,
        "cancelled": 1,
    }
    assert month.outcome_rates["held"] == 0.5
    assert month.outcome_rates["technical_failure"] == round(1 / 6, 4)
    first_week = month.weekly[0]
    assert first_week["outcome_rates"]["held"] == 1.0


def test_failures_count_the_rows_behind_them(month):
    assert month.failures == {"meeting_links": 1, "invitations": 1, "faxes_failed": 1, "faxes_unconfirmed": 1}


def test_consent_coverage_counts_consent_in_force_at_the_end_of_each_held_meeting(month):
    # a1 and a10 (Louise consented on March 1st); not a2 (consent given after the call).
    assert month.consent == {"held": 3, "covered": 2, "rate": round(2 / 3, 4)}


def test_documentation_delays_median_and_90th_percentile(month):
    # From the end to the signature: 30, 90, 210 min. p90 = 90 + 0.8 x 120 = 186.
    assert (month.note_delay.count, month.note_delay.median_minutes, month.note_delay.p90_minutes) == (3, 90.0, 186.0)
    # From signature to filing: 60 and 120 min. Median 90, p90 = 60 + 0.9 x 60 = 114.
    filing = month.filing_delay
    assert (filing.count, filing.median_minutes, filing.p90_minutes) == (2, 90.0, 114.0)
    # The third note, and the three prescriptions, wait for the archives.
    assert month.waiting_for_archives == 4


def test_prescriptions_by_category_and_channel(month):
    assert month.prescriptions["by_category"] == {"medication": 2, "laboratory": 1}
    assert month.prescriptions["by_category_and_channel"] == [
        {"category": "laboratory", "channel": "patient_link", "count": 1},
        {"category": "medication", "channel": "fax", "count": 2},
    ]


def test_readiness_and_travel_avoided(month):
    assert month.readiness == {
        "patients": 3,
        "tablet_needed": 2,
        "no_internet": 1,
        "internet_unknown": 1,
        "tablet_needed_rate": round(2 / 3, 4),
        "no_internet_rate": round(1 / 3, 4),
    }
    # Held remotely: a1 (Louise, 40 km), a2 (Paul, no distance), a10 (Louise): 2 x (40 + 40) km.
    assert month.travel == {"meetings": 3, "with_distance": 2, "kilometres": 160, "hours": 2.3, "average_kmh": 70}


def test_the_day_the_clock_jumps_is_one_day(march, clinic_a):
    day = summary(Scope(clinics=(clinic_a.pk,), first_day=date(2026, 3, 8), last_day=date(2026, 3, 8)))
    assert day.total == 1  # the 03:30 phone call; the Saturday 23:30 meeting belongs to the 7th
    assert day.by_modality == {"phone": 1}


def test_the_day_the_clock_falls_back_holds_both_one_thirties(clinic_a):
    from datetime import datetime

    from tests import factories
    from tests.dashboards.conftest import MONTREAL, meeting_row

    nurse = factories.staff(clinic_a, email="n@ssss.gouv.qc.ca")
    patient = factories.patient(clinic_a)
    first = datetime(2026, 11, 1, 1, 30, tzinfo=MONTREAL, fold=0)  # 01:30 EDT
    meeting_row(clinic_a, nurse, patient, first)
    second = datetime(2026, 11, 1, 1, 30, tzinfo=MONTREAL, fold=1)  # 01:30 EST, one real hour later
    assert second.timestamp() - first.timestamp() == 3600
    meeting_row(clinic_a, nurse, patient, second)
    meeting_row(clinic_a, nurse, patient, datetime(2026, 11, 2, 0, 0, tzinfo=MONTREAL))  # the next day
    day = summary(Scope(clinics=(clinic_a.pk,), first_day=date(2026, 11, 1), last_day=date(2026, 11, 1)))
    assert day.total == 2


def test_a_platform_filter_keeps_only_its_meetings(march, clinic_a):
    zoom = summary(
        Scope(clinics=(clinic_a.pk,), first_day=date(2026, 3, 1), last_day=date(2026, 3, 31), platform="zoom")
    )
    assert zoom.total == 1
    assert zoom.outcomes["patient_absent"] == 1
