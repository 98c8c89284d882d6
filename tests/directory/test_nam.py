"""The RAMQ number rules, checked against INSPQ's published synthetic examples."""

from datetime import date

import pytest

from directory import nam


@pytest.mark.parametrize(
    ("number", "born", "sex"),
    [
        ("ASDA20011313", date(2020, 1, 13), "M"),
        ("QWEA10010110", date(2010, 1, 1), "M"),
        ("QWEA10010198", date(2010, 1, 1), "M"),
        ("QWEA10510170", date(2010, 1, 1), "F"),
        ("qwea 1001 0110", date(2010, 1, 1), "M"),
    ],
)
def test_published_valid_numbers_are_read_with_their_birth_date_and_sex(number, born, sex):
    decoded = nam.decode(number, today=date(2026, 11, 23))

    assert decoded.check_digit_ok
    assert decoded.birth_date == born
    assert decoded.sex_on_card == sex


def test_a_wrong_check_digit_is_noticed():
    assert not nam.decode("QWEA10010111", today=date(2026, 11, 23)).check_digit_ok


@pytest.mark.parametrize("number", ["QWE10010110", "QWEA1001011", "1WEA10010110", "QWEA100101I0", "QWEA10010110X"])
def test_wrong_formats_are_refused(number):
    with pytest.raises(nam.NamError) as error:
        nam.decode(number)
    assert error.value.code == "format"


@pytest.mark.parametrize("number", ["QWEA10130110", "QWEA10023010", "QWEA10633210", "QWEA10000110"])
def test_impossible_dates_are_refused(number):
    with pytest.raises(nam.NamError) as error:
        nam.decode(number)
    assert error.value.code == "date"


def test_two_digit_years_take_the_most_recent_past_century():
    assert nam.decode(
        nam.build("Gauthier", "Réjean", date(1944, 4, 17), "M"), today=date(2026, 1, 1)
    ).birth_date == date(1944, 4, 17)


def test_names_give_letters_without_accents_and_saint_shortened():
    assert nam.name_letters("Côté", "Émilie") == "COTE"
    assert nam.name_letters("Saint-Pierre", "Luc") == "STPL"
    assert nam.name_letters("Ng", "An") == "NGXA"


def test_built_numbers_pass_their_own_check():
    number = nam.build("Pelletier", "Marie-Ève", date(1971, 6, 30), "F")

    decoded = nam.decode(number)
    assert number.startswith("PELM7156")
    assert decoded.check_digit_ok and decoded.birth_date == date(1971, 6, 30)


def test_display_groups_by_four():
    assert nam.display("QWEA10010110") == "QWEA 1001 0110"


def test_a_patient_born_more_than_a_century_ago_has_a_valid_check_digit():
    born = date(1925, 3, 14)  # the card shows 25, like someone born in 2025
    decoded = nam.decode(nam.build("Côté", "Louise", born, "F"), today=date(2026, 11, 23))
    assert decoded.check_digit_ok
    assert nam.birth_dates_match(decoded, born)
