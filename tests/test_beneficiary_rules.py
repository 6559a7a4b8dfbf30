"""Pure rules of the beneficiary file."""

from datetime import date

import pytest

from intranet.beneficiaries.rules import (
    InvalidValue,
    age_band,
    has_other_digits,
    name_key,
    normalize_phone,
    normalize_postcode,
)
from intranet.phones import format_phone


@pytest.mark.parametrize("raw", ["06 12 34 56 78", "06.12.34.56.78", "0612345678", "+33 6 12 34 56 78",
                                 "+33 (0)6 12 34 56 78", "0033 6 12 34 56 78", " 06-12-34-56-78 "])
def test_french_phone_formats_are_normalised(raw):
    assert normalize_phone(raw) == "+33612345678"


def test_overseas_and_foreign_numbers_keep_their_country_code():
    assert normalize_phone("+262 692 12 34 56") == "+262692123456"
    assert normalize_phone("+32 470 12 34 56") == "+32470123456"


def test_overseas_national_numbers_take_their_own_country_code():
    assert normalize_phone("0692 12 34 56") == "+262692123456"


@pytest.mark.parametrize("raw", ["12 34", "06 12 34 56", "0012", "+33 0 12 34 56 78", "téléphone", "06 12 34 56 78 90"])
def test_malformed_phones_are_refused(raw):
    with pytest.raises(InvalidValue):
        normalize_phone(raw)


def test_phones_are_shown_in_their_country_s_national_format():
    assert format_phone("+33612345678") == "06 12 34 56 78"
    assert format_phone("+262692123456") == "0692 12 34 56"


def test_postcodes_have_five_digits():
    assert normalize_postcode("33 000") == "33000"
    assert normalize_postcode("") == ""
    for bad in ("3300", "33O00", "330000"):
        with pytest.raises(InvalidValue):
            normalize_postcode(bad)


@pytest.mark.parametrize("birth,band", [
    (date(2009, 1, 2), "under_18"),  # 17 the day before the 18th birthday
    (date(2009, 1, 1), "18_29"),
    (date(1997, 1, 2), "18_29"),
    (date(1997, 1, 1), "30_54"),
    (date(1972, 1, 2), "30_54"),
    (date(1972, 1, 1), "55_plus"),
    (None, ""),
])
def test_age_bands_are_derived_from_the_birth_date(birth, band):
    assert age_band(birth, date(2027, 1, 1)) == band


def test_name_keys_ignore_case_accents_and_dashes():
    assert name_key("  Jean-Noël  GARNIER ") == name_key("jean noel garnier") == "jean noel garnier"


OTHER_DIGITS = {
    "arabic_indic": "٣٣٠٠٠",  # what an Arabic keyboard types for 33000
    "extended_arabic_indic": "۳۳۰۰۰",
    "full_width": "３３０００",
    "devanagari": "३३०००",
    "mixed": "33٠00",
}


@pytest.mark.parametrize("raw", OTHER_DIGITS.values(), ids=OTHER_DIGITS.keys())
def test_postcodes_take_the_digits_0_to_9_only(raw):
    with pytest.raises(InvalidValue):
        normalize_postcode(raw)
    assert has_other_digits(raw)


@pytest.mark.parametrize("raw", ["٠٦١٢٣٤٥٦٧٨", "06 ١٢ 34 56 78", "+٣٣ 6 12 34 56 78", "０６１２３４５６７８",
                                 "+262 ６92 12 34 56"])
def test_phones_take_the_digits_0_to_9_only(raw):
    with pytest.raises(InvalidValue):
        normalize_phone(raw)
    assert has_other_digits(raw)


def test_plain_digits_are_not_other_digits():
    assert not has_other_digits("06 12 34 56 78") and not has_other_digits("") and not has_other_digits("2A")
