"""Validators for the identity and payment numbers every part of the campaign handles.

We write our own rather than use python-stdnum: its ``cn.ric`` rejects valid Hong Kong, Macau and
Taiwan residence permits (81/82/83) and foreigner permanent residence IDs (9x), and raises
``KeyError`` for some region codes (see PITFALLS.md, "Chinese specifics").

Every function here is pure: no models, no settings, no database, so forms, Excel importers and
management commands can share one definition of "valid". Messages are plain Chinese strings
(the project is Chinese-only) so that they render without the translation machinery being set up.
Each error carries a stable ``code`` that callers and tests can branch on instead of the wording.
"""

from __future__ import annotations

import datetime
import operator
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError

# Birth dates are judged by the calendar in China, not by the server's clock zone.
CHINA_TZ = ZoneInfo("Asia/Shanghai")

# GB 11643-1999: weight of each of the first 17 digits and the check character per remainder.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_ASCII_ZERO_TOTAL = ord("0") * sum(_WEIGHTS)

# Province-level codes of the mainland (GB/T 2260).
_MAINLAND_PROVINCES = frozenset(
    f"{code:02d}"
    for first, last in ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65))
    for code in range(first, last + 1)
)
# Residence permits for Hong Kong, Macau and Taiwan residents carry a fixed 6-digit prefix.
_PERMIT_PREFIXES = frozenset({"810000", "820000", "830000"})
_TAIWAN = "71"

_EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)

# [0-9] rather than \d: \d also matches full-width and Arabic-Indic digits, which int() accepts
# and which would then slip through as a "valid" number that no other system recognises.
_ASCII_DIGITS_17 = re.compile(r"[0-9]{17}")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_ASCII_DIGITS = re.compile(r"[0-9]+")
_BANK_SEPARATORS = re.compile(r"[\s\-]+")

BANK_ACCOUNT_MIN_LENGTH = 12
BANK_ACCOUNT_MAX_LENGTH = 30


@dataclass(frozen=True)
class ResidentId:
    """A resident ID number that passed every check, with the facts encoded in it."""

    number: str
    region_code: str
    birth_date: datetime.date
    sex: str  # "M" or "F"


def _check_char(prefix17: str) -> str:
    # The ASCII codes of the digits (callers pass 17 ASCII digits) with the loop kept in C: a
    # 5,000-row roster checks 5,000 numbers. Each code is the digit plus 48.
    total = sum(map(operator.mul, prefix17.encode("ascii"), _WEIGHTS)) - _ASCII_ZERO_TOTAL
    return _CHECK_CHARS[total % 11]


def _region_ok(number: str) -> bool:
    first_two = number[:2]
    if first_two in _MAINLAND_PROVINCES or first_two == _TAIWAN:
        return True
    if first_two in {"81", "82", "83"}:
        return number[:6] in _PERMIT_PREFIXES
    # Foreigner permanent residence IDs (2023 format): 9, issuing province, country code.
    return number[0] == "9" and number[1:3] in _MAINLAND_PROVINCES


def parse_resident_id(value: object, *, today: datetime.date | None = None) -> ResidentId:
    """Check a resident ID number and return what it encodes.

    The checks run in a fixed order and the first failure is reported, so that the clerk sees the
    most basic problem first (a missing digit before a wrong check digit). ``today`` exists for
    tests; by default it is today's date in China.

    Raises ``ValidationError`` (and nothing else, whatever ``value`` is) with one of the codes
    ``required``, ``length``, ``digits``, ``check_char``, ``region``, ``birth_date``,
    ``birth_future``, ``checksum``.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("请填写身份证号码", code="required")
    number = value.strip()
    if number.endswith("x"):
        number = number[:-1] + "X"

    if len(number) != 18:
        raise ValidationError(
            "身份证号码应为18位（当前%(length)s位）", code="length", params={"length": len(number)}
        )
    if not _ASCII_DIGITS_17.fullmatch(number[:17]):
        raise ValidationError("身份证号码前17位必须是数字", code="digits")
    if number[17] not in "0123456789X":
        raise ValidationError("身份证号码第18位应为数字或X", code="check_char")
    if not _region_ok(number):
        raise ValidationError("地区代码无效", code="region")

    try:
        birth_date = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError("出生日期无效", code="birth_date") from None
    if birth_date < _EARLIEST_BIRTH_DATE:
        raise ValidationError("出生日期无效", code="birth_date")
    if today is None:
        today = datetime.datetime.now(CHINA_TZ).date()
    if birth_date > today:
        raise ValidationError("出生日期不能晚于今天", code="birth_future")

    if _check_char(number[:17]) != number[17]:
        raise ValidationError("校验位错误", code="checksum")

    return ResidentId(
        number=number,
        region_code=number[:6],
        birth_date=birth_date,
        sex="M" if int(number[16]) % 2 else "F",
    )


def validate_resident_id(value: object) -> None:
    """Django validator form of ``parse_resident_id`` (for model and form fields)."""
    parse_resident_id(value)


def mask_resident_id(number: object) -> str:
    """Hide the birth date and sequence of an ID number for lists, exports and logs.

    Anything that is not an 18-character string is fully masked: a partial mask of a malformed
    value could reveal more of it than intended.
    """
    if not isinstance(number, str) or len(number) != 18:
        return "******"
    return f"{number[:4]}{'*' * 10}{number[-4:]}"


def make_resident_id(prefix17: str) -> str:
    """Append the correct check character to 17 digits (for tests, factories and demo data)."""
    if not isinstance(prefix17, str) or not _ASCII_DIGITS_17.fullmatch(prefix17):
        raise ValueError("make_resident_id needs exactly 17 ASCII digits")
    return prefix17 + _check_char(prefix17)


def validate_mobile(value: object) -> None:
    """Accept a mainland mobile number: 11 digits starting 13 to 19, surrounding spaces ignored."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("请填写手机号码", code="required")
    if not _MOBILE.fullmatch(value.strip()):
        raise ValidationError("手机号码应为以1开头的11位数字", code="mobile")


def normalize_bank_account(value: str) -> str:
    """Remove the spaces and hyphens people type to group the digits of an account number."""
    if not isinstance(value, str):
        raise TypeError("normalize_bank_account expects a str")
    return _BANK_SEPARATORS.sub("", value)


def validate_bank_account(value: object) -> None:
    """Accept 12 to 30 digits after removing separators.

    The Luhn check is deliberately not applied here: many valid accounts (passbooks, company
    accounts) are not card numbers. Call ``bank_account_luhn_ok`` to show a warning instead.
    """
    number = normalize_bank_account(value) if isinstance(value, str) else ""
    if not number:
        raise ValidationError("请填写银行账号", code="required")
    if not _ASCII_DIGITS.fullmatch(number):
        raise ValidationError("银行账号只能包含数字", code="bank_digits")
    if not BANK_ACCOUNT_MIN_LENGTH <= len(number) <= BANK_ACCOUNT_MAX_LENGTH:
        raise ValidationError(
            "银行账号应为%(min)s至%(max)s位数字",
            code="bank_length",
            params={"min": BANK_ACCOUNT_MIN_LENGTH, "max": BANK_ACCOUNT_MAX_LENGTH},
        )


def bank_account_luhn_ok(number: str) -> bool:
    """Whether the account passes the Luhn check that bank card numbers carry.

    Only a hint for a warning ("please double-check the number"), never a reason to refuse.
    """
    if not isinstance(number, str):
        return False
    digits = normalize_bank_account(number)
    if not _ASCII_DIGITS.fullmatch(digits):
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def mask_bank_account(number: object) -> str:
    """Show only the first and last four digits, e.g. ``6222****1234``."""
    if not isinstance(number, str):
        return "****"
    digits = normalize_bank_account(number)
    if len(digits) < 8:
        return "****"
    return f"{digits[:4]}****{digits[-4:]}"
