"""Pure rules about a person's identity papers and dated curriculum-vitae records.

No database access here: services pass in what the rules need (the valid province codes, the
records of a person) so that every rule can be tested with plain values.
"""

from collections.abc import Collection, Iterable
from datetime import date
from typing import Protocol, TypeVar

from django.utils.translation import gettext_lazy as _

from dangvu.core.errors import DomainError

NATIONAL_ID_LENGTH = 12
OLD_ID_LENGTH = 9


def check_national_id(
    value: str, *, gender: str, birth_year: int, province_codes: Collection[str]
) -> None:
    """Refuse a personal identification number (số định danh cá nhân, the CCCD number) whose
    structure disagrees with the person's gender and year of birth.

    Source: Luật Căn cước 2023 art. 12 (12 digits) and Nghị định 137/2015/NĐ-CP art. 13 (12 digits: 3 for the province or country where
    the birth was registered, 1 for century and gender, 2 for the year of birth, 6 random) and
    Thông tư 07/2016/TT-BCA art. 7 with its Phụ lục I (the province codes "001" Hà Nội …
    "096" Cà Mau, i.e. "0" + the 2-digit code of the 2008 province list), kept by Thông tư
    59/2021/TT-BCA. Century and gender digit: 0/1 = male/female born 1900–1999, 2/3 = 2000–2099,
    4/5 = 2100–2199, 6/7 = 2200–2299, 8/9 = 2300–2399.

    ``province_codes`` are the 2-digit codes of the 63 provinces of the 2008 catalogue; numbers
    registered abroad (a country code instead of a province) are refused for now.
    """
    if len(value) != NATIONAL_ID_LENGTH or not value.isascii() or not value.isdigit():
        raise DomainError(
            _("The personal identification number must have exactly 12 digits."),
            field="national_id",
        )
    if value[0] != "0" or value[1:3] not in province_codes:
        raise DomainError(
            _(
                "The personal identification number must start with the code of the province "
                "where the birth was registered (001 for Hà Nội … 096 for Cà Mau); "
                "%(code)s is not one."
            )
            % {"code": value[:3]},
            field="national_id",
        )
    _check_century_and_gender(int(value[3]), gender=gender, birth_year=birth_year)
    if value[4:6] != f"{birth_year % 100:02d}":
        raise DomainError(
            _(
                "Digits 5 and 6 of the personal identification number (%(digits)s) must be the "
                "last two digits of the year of birth (%(expected)s)."
            )
            % {"digits": value[4:6], "expected": f"{birth_year % 100:02d}"},
            field="national_id",
        )


def _check_century_and_gender(digit: int, *, gender: str, birth_year: int) -> None:
    """The 4th digit: even for men, odd for women; digit // 2 counts centuries from 1900."""
    is_female = digit % 2 == 1
    if is_female and gender != "female":
        raise DomainError(
            _(
                "The fourth digit of the personal identification number (%(digit)s) is the "
                "code of a woman; it does not match the gender given."
            )
            % {"digit": digit},
            field="national_id",
        )
    if not is_female and gender == "female":
        raise DomainError(
            _(
                "The fourth digit of the personal identification number (%(digit)s) is the "
                "code of a man; it does not match the gender given."
            )
            % {"digit": digit},
            field="national_id",
        )
    first_year = 1900 + 100 * (digit // 2)
    if not first_year <= birth_year <= first_year + 99:
        raise DomainError(
            _(
                "The fourth digit of the personal identification number (%(digit)s) means "
                "born between %(first)s and %(last)s; it does not match the year of birth "
                "%(year)s."
            )
            % {"digit": digit, "first": first_year, "last": first_year + 99, "year": birth_year},
            field="national_id",
        )


def check_old_id_number(value: str) -> None:
    """Refuse an old identity card number (chứng minh nhân dân) that is not 9 digits.

    Source: Nghị định 05/1999/NĐ-CP on the identity card (chứng minh nhân dân) and its guidance,
    Thông tư 04/1999/TT-BCA (the 9-digit number; article not checked). The 12-digit CMND issued
    from 2012 (Thông tư 27/2012/TT-BCA) carries the personal identification number, kept on the
    CCCD card: it belongs in ``national_id``.
    """
    if len(value) != OLD_ID_LENGTH or not value.isascii() or not value.isdigit():
        raise DomainError(
            _(
                "The old identity card number must have exactly 9 digits; a 12-digit number "
                "is a personal identification number."
            ),
            field="old_id_number",
        )


class Dated(Protocol):
    valid_from: date | None


R = TypeVar("R", bound=Dated)


def attribute_as_of(records: Iterable[R], on: date) -> R | None:
    """The record in force on ``on``: the latest ``valid_from`` not after ``on``.

    Source: the curriculum vitae keeps each qualification "from" a date until the next one
    (form 2-KNĐ items 12 and 16, HD 12-HD/BTCTW 2022); a record without a date is the oldest
    known. Between records with the same start, the later one in ``records`` wins, so pass
    them in the order they were entered.
    """
    found: R | None = None
    for record in records:
        start = record.valid_from or date.min
        if start <= on and (found is None or start >= (found.valid_from or date.min)):
            found = record
    return found
