import datetime
import random

import pytest
from django.core.exceptions import ValidationError

from core.validators import (
    CHINA_TZ,
    ResidentId,
    bank_account_luhn_ok,
    make_resident_id,
    mask_bank_account,
    mask_resident_id,
    normalize_bank_account,
    parse_resident_id,
    validate_bank_account,
    validate_mobile,
    validate_resident_id,
)

TODAY = datetime.date(2025, 6, 15)
# Full-width forms of digits and X, as typed with a Chinese input method.
FULL_WIDTH = {ord(char): ord(char) + 0xFEE0 for char in "0123456789X"}


def _error(value: object, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as excinfo:
        parse_resident_id(value, today=kwargs.get("today", TODAY))
    return excinfo.value


def _id_born(day: datetime.date, *, region: str = "411002", sequence: str = "123") -> str:
    return make_resident_id(f"{region}{day:%Y%m%d}{sequence}")


# --- parse_resident_id: valid numbers --------------------------------------------------------


def test_standard_sample_with_x_check_character_is_parsed():
    parsed = parse_resident_id("11010519491231002X", today=TODAY)

    assert parsed == ResidentId(
        number="11010519491231002X",
        region_code="110105",
        birth_date=datetime.date(1949, 12, 31),
        sex="F",
    )


def test_lowercase_x_and_surrounding_whitespace_are_normalised():
    parsed = parse_resident_id(" \t11010519491231002x\u3000\n", today=TODAY)

    assert parsed.number == "11010519491231002X"


def test_odd_seventeenth_digit_means_male():
    assert parse_resident_id("411002199003071236", today=TODAY).sex == "M"


@pytest.mark.parametrize(
    "number",
    [
        "810000198001010022",  # Hong Kong residence permit
        "820000198001010032",  # Macau residence permit
        "830000198001010042",  # Taiwan residence permit
        "710000197001010016",  # Taiwan region code
        "931156198506150018",  # foreigner permanent residence, issued in Shanghai
    ],
)
def test_permits_and_foreigner_ids_are_accepted(number):
    assert parse_resident_id(number, today=TODAY).number == number


def test_validate_resident_id_returns_none_for_valid_and_raises_for_invalid():
    assert validate_resident_id("11010519491231002X") is None
    with pytest.raises(ValidationError):
        validate_resident_id("110105194912310021")


def test_random_generated_ids_round_trip():
    rng = random.Random(20250615)
    provinces = ["11", "13", "15", "21", "23", "31", "37", "41", "46", "50", "54", "61", "65"]
    for _ in range(200):
        region = rng.choice(provinces) + f"{rng.randrange(10000):04d}"
        born = datetime.date(1900, 1, 1) + datetime.timedelta(days=rng.randrange(45000))
        sequence = f"{rng.randrange(1000):03d}"
        number = _id_born(born, region=region, sequence=sequence)

        parsed = parse_resident_id(number, today=TODAY)

        assert parsed.number == number
        assert parsed.birth_date == born
        assert parsed.sex == ("M" if int(sequence[2]) % 2 else "F")


def test_every_wrong_check_character_is_refused():
    valid = "411002199003071236"
    for wrong in "012345789X":
        assert _error(valid[:17] + wrong).code == "checksum"


# --- parse_resident_id: each rule at its boundary --------------------------------------------


@pytest.mark.parametrize("value", ["", "   ", "\u3000", None])
def test_missing_id_is_required(value):
    error = _error(value)

    assert error.code == "required"
    assert error.messages == ["请填写身份证号码"]


@pytest.mark.parametrize(("value", "length"), [("41100219900307123", 17), ("4" * 19, 19)])
def test_wrong_length_reports_current_length(value, length):
    error = _error(value)

    assert error.code == "length"
    assert error.messages == [f"身份证号码应为18位（当前{length}位）"]


def test_old_15_digit_id_is_refused_by_length():
    assert _error("411002900307123").code == "length"


def test_letter_inside_first_17_is_refused():
    error = _error("4110021990030712A6")

    assert error.code == "digits"
    assert error.messages == ["身份证号码前17位必须是数字"]


def test_x_anywhere_but_the_end_is_refused_as_digits():
    assert _error("X11002199003071236").code == "digits"


def test_invalid_eighteenth_character_is_refused():
    error = _error("41100219900307123Y")

    assert error.code == "check_char"
    assert error.messages == ["身份证号码第18位应为数字或X"]


@pytest.mark.parametrize(
    "prefix",
    [
        "100000",  # below the first province
        "160000",  # gap after Inner Mongolia
        "240000",
        "380000",
        "470000",
        "550000",
        "660000",
        "700000",
        "720000",
        "800000",
        "810001",  # permits must have the fixed 6-digit prefix
        "820100",
        "831000",
        "840000",
        "900000",  # foreigner IDs need a province in digits 2-3
        "966156",
        "000000",
    ],
)
def test_unknown_region_is_refused(prefix):
    error = _error(make_resident_id(f"{prefix}19900307123"))

    assert error.code == "region"
    assert error.messages == ["地区代码无效"]


@pytest.mark.parametrize("prefix", ["110000", "150000", "210000", "650000", "911000", "965156"])
def test_region_boundaries_are_accepted(prefix):
    number = make_resident_id(f"{prefix}19900307123")

    assert parse_resident_id(number, today=TODAY).region_code == prefix


def test_birth_today_is_accepted_and_tomorrow_refused():
    assert parse_resident_id(_id_born(TODAY), today=TODAY).birth_date == TODAY

    error = _error(_id_born(TODAY + datetime.timedelta(days=1)))

    assert error.code == "birth_future"
    assert error.messages == ["出生日期不能晚于今天"]


def test_birth_on_1900_01_01_accepted_and_1899_12_31_refused():
    earliest = datetime.date(1900, 1, 1)
    assert parse_resident_id(_id_born(earliest), today=TODAY).birth_date == earliest

    error = _error(_id_born(datetime.date(1899, 12, 31)))

    assert error.code == "birth_date"
    assert error.messages == ["出生日期无效"]


def test_february_29_accepted_only_in_leap_years():
    assert parse_resident_id(make_resident_id("41100220000229002"), today=TODAY)
    assert parse_resident_id(make_resident_id("41100219960229002"), today=TODAY)

    assert _error(make_resident_id("41100219990229002")).code == "birth_date"
    # 1900 is divisible by 4 but not a leap year.
    assert _error(make_resident_id("41100219000229002")).code == "birth_date"


@pytest.mark.parametrize(
    "date_digits", ["19901301", "19900001", "19900100", "19900431", "00000000"]
)
def test_impossible_birth_date_is_refused(date_digits):
    assert _error(make_resident_id(f"411002{date_digits}123")).code == "birth_date"


def test_default_today_is_used_when_not_given():
    future = datetime.datetime.now(CHINA_TZ).date() + datetime.timedelta(days=400)

    with pytest.raises(ValidationError) as excinfo:
        parse_resident_id(_id_born(future))

    assert excinfo.value.code == "birth_future"


def test_checks_run_in_documented_order():
    # Wrong region, impossible date and wrong check digit at once: region is reported first.
    assert _error("991002199013071230").code == "region"
    # Impossible date and wrong check digit: the date is reported first.
    assert _error("411002199013071230").code == "birth_date"


# --- parse_resident_id: hostile input --------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        None,
        123,
        110105194912310020,
        1.1e17,
        float("nan"),
        b"11010519491231002X",
        bytearray(b"11010519491231002X"),
        ["11010519491231002X"],
        "",
        " ",
        "11010519491231002X".translate(FULL_WIDTH),
        "\u0661" * 17 + "X",  # Arabic-Indic digits
        "11010519491231002\u0663",  # Arabic-Indic check digit
        "1" * 10_000,
        "😀" * 18,
        "11010519491231002X😀",
        "1101051949123\x0002X",
        "\ud800" * 18,  # lone surrogates
        "11010519491231002X\n11010519491231002X",
    ],
)
def test_hostile_input_raises_only_validation_error(value):
    with pytest.raises(ValidationError):
        parse_resident_id(value, today=TODAY)


def test_full_width_digits_are_refused_as_digits():
    assert _error("11010519491231002X".translate(FULL_WIDTH)).code == "digits"


# --- masks and helpers -----------------------------------------------------------------------


def test_mask_resident_id_keeps_first_and_last_four():
    assert mask_resident_id("41100219900307123X") == "4110**********123X"


@pytest.mark.parametrize("value", ["", "41100219900307123", "4" * 19, None, 411002199003071236])
def test_mask_resident_id_hides_malformed_values_entirely(value):
    assert mask_resident_id(value) == "******"


@pytest.mark.parametrize(
    "value", ["4110021990030712", "411002199003071234", "4" * 17 + "\uff14", 12, None]
)
def test_make_resident_id_needs_exactly_17_ascii_digits(value):
    with pytest.raises(ValueError, match="17 ASCII digits"):
        make_resident_id(value)


# --- mobile ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["13000000000", "19999999999", " 13812345678 ", "15912345678"])
def test_valid_mobile_numbers_are_accepted(value):
    assert validate_mobile(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "12812345678",  # second digit below 3
        "10812345678",
        "23812345678",
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "+8613812345678",
        "138-1234-5678",
        "13812345678".translate(FULL_WIDTH),
        "1381234567a",
    ],
)
def test_invalid_mobile_numbers_are_refused(value):
    with pytest.raises(ValidationError) as excinfo:
        validate_mobile(value)

    assert excinfo.value.code == "mobile"
    assert excinfo.value.messages == ["手机号码应为以1开头的11位数字"]


@pytest.mark.parametrize("value", ["", "  ", None, 13812345678])
def test_missing_mobile_is_required(value):
    with pytest.raises(ValidationError) as excinfo:
        validate_mobile(value)

    assert excinfo.value.code == "required"
    assert excinfo.value.messages == ["请填写手机号码"]


# --- bank accounts ---------------------------------------------------------------------------


def test_normalize_bank_account_removes_spaces_and_hyphens():
    assert normalize_bank_account(" 6222 0202-0000\u30001234 ") == "622202020000" + "1234"


@pytest.mark.parametrize("length", [12, 19, 30])
def test_bank_account_length_boundaries_accepted(length):
    assert validate_bank_account("6" * length) is None


@pytest.mark.parametrize("length", [11, 31])
def test_bank_account_outside_length_is_refused(length):
    with pytest.raises(ValidationError) as excinfo:
        validate_bank_account("6" * length)

    assert excinfo.value.code == "bank_length"
    assert excinfo.value.messages == ["银行账号应为12至30位数字"]


def test_grouped_bank_account_is_accepted():
    assert validate_bank_account("6222 0202 0000 1234 567") is None


@pytest.mark.parametrize(
    "value", ["6222a20200001234", "6222.0202.0000.1234", "6222020200001234".translate(FULL_WIDTH)]
)
def test_bank_account_with_non_digits_is_refused(value):
    with pytest.raises(ValidationError) as excinfo:
        validate_bank_account(value)

    assert excinfo.value.code == "bank_digits"
    assert excinfo.value.messages == ["银行账号只能包含数字"]


@pytest.mark.parametrize("value", ["", " - ", None, 6222020200001234])
def test_missing_bank_account_is_required(value):
    with pytest.raises(ValidationError) as excinfo:
        validate_bank_account(value)

    assert excinfo.value.code == "required"
    assert excinfo.value.messages == ["请填写银行账号"]


def test_luhn_failure_is_only_reported_not_raised():
    # A well-known Luhn-valid test card number, and the same with the last digit changed.
    assert bank_account_luhn_ok("4111 1111 1111 1111") is True
    assert bank_account_luhn_ok("4111111111111112") is False
    assert validate_bank_account("4111111111111112") is None


@pytest.mark.parametrize("value", ["", "abc", "4111".translate(FULL_WIDTH), None])
def test_luhn_is_false_for_non_digits(value):
    assert bank_account_luhn_ok(value) is False


def test_mask_bank_account_keeps_first_and_last_four():
    assert mask_bank_account("6222 0202 0000 1234") == "6222****1234"
    assert mask_bank_account("6" * 30).startswith("6666****")


@pytest.mark.parametrize("value", ["", "1234567", None])
def test_mask_bank_account_hides_short_values_entirely(value):
    assert mask_bank_account(value) == "****"
