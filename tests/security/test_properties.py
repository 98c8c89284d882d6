"""Property tests: the NAM reader and the routing rules answer every input without crashing, and
never contradict the network's table."""

from datetime import date

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory import nam
from directory.models import Recipient
from prescriptions.models import Category, Channel
from prescriptions.routing import ALLOWED, PATIENT, route

NAMES = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
BIRTH_DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 11, 1))


@given(st.text(max_size=60))
def test_any_text_is_a_nam_or_a_clear_refusal(text):
    try:
        decoded = nam.decode(text, today=date(2026, 11, 23))
    except nam.NamError as refused:
        assert refused.code in {"format", "date"}
    else:
        assert nam.NAM_PATTERN.match(decoded.nam)
        assert decoded.birth_date <= date(2026, 11, 23)


@given(NAMES, NAMES, BIRTH_DATES, st.sampled_from(["F", "M"]))
def test_a_built_nam_reads_back_with_its_birth_date_sex_and_check_digit(last, first, born, sex):
    built = nam.build(last, first, born, sex)
    decoded = nam.decode(built, today=date(2026, 11, 23))
    assert decoded.check_digit_ok
    assert decoded.sex_on_card == sex
    assert nam.birth_dates_match(decoded, born)
    assert nam.decode(nam.display(built).lower(), today=date(2026, 11, 23)) == decoded  # as typed from the card


@given(NAMES, NAMES, BIRTH_DATES, st.sampled_from(["F", "M"]), st.integers(min_value=0, max_value=11))
def test_changing_one_digit_of_the_date_is_caught(last, first, born, sex, position):
    built = nam.build(last, first, born, sex)
    if not built[4:10].isdigit():
        return
    index = 4 + position % 6
    altered = built[:index] + str((int(built[index]) + 1) % 10) + built[index + 1 :]
    try:
        decoded = nam.decode(altered, today=date(2026, 11, 23))
    except nam.NamError:
        return
    assert not (decoded.check_digit_ok and nam.birth_dates_match(decoded, born) and decoded.sex_on_card == sex)


KINDS = [PATIENT, *Recipient.Kind.values]


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    category=st.sampled_from(Category.values),
    kind=st.sampled_from(KINDS),
    email=st.sampled_from(["", "x@ssss.gouv.qc.ca", "x@gmail.com", "x@hotmail.com"]),
    fax=st.sampled_from(["", "+14505550202"]),
    callback=st.sampled_from(["", "+14504665055"]),
    consented=st.booleans(),
    chosen_lab=st.booleans(),
)
def test_routing_never_crashes_and_never_breaks_the_table(
    physician, patient_a, secure_domain, category, kind, email, fax, callback, consented, chosen_lab
):
    # Hypothesis runs every example in the test's one transaction: each rolls its own rows back.
    with transaction.atomic():
        check_one_route(physician, patient_a, category, kind, email, fax, callback, consented, chosen_lab)
        transaction.set_rollback(True)


def check_one_route(physician, patient_a, category, kind, email, fax, callback, consented, chosen_lab):
    from consent.services import record_consent
    from prescriptions.models import Prescription

    recipient = None
    if kind != PATIENT:
        if not email and not fax:
            fax = "+14505550202"  # the directory refuses a recipient that cannot be reached
        recipient = Recipient(
            kind=kind, name="Destinataire", email=email, fax=fax, establishment=patient_a.establishment
        )
        recipient.save()
    if consented:
        record_consent(
            by=physician, patient=patient_a, kind="personal_email", granted=True, language="fr", warning_read=True
        )
    patient_a.email = "louise@example.com"
    patient_a.imaging_lab = recipient if chosen_lab and kind in Recipient.IMAGING_KINDS else None
    patient_a.save()
    prescription = Prescription(
        patient=patient_a,
        clinic=patient_a.clinics.first(),
        author=physician,
        category=category,
        callback_phone=callback,
    )

    decision = route(prescription, recipient)

    if not decision.allowed:
        assert decision.reason and decision.code and not decision.channel
        return
    assert kind in ALLOWED[category]
    if category in (Category.MEDICATION, Category.IMAGING):
        assert kind != PATIENT  # never to the patient
    if decision.channel == Channel.SECURE_EMAIL:
        assert decision.address.endswith("ssss.gouv.qc.ca")  # never an ordinary address
    if decision.channel == Channel.PATIENT_LINK:
        assert consented
    if category == Category.LABORATORY:
        assert callback
