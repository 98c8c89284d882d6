"""The RAMQ health insurance number (NAM): format, birth date, check digit. No database here.

Layout `AAAA YYMM DDSV`: three letters of the family name at birth and one of the first name, the
birth date with the month carrying +50 for women, an administrative character and a check digit.
The check-digit algorithm is INSPQ's (RAMQ does not publish one), which is why a mismatch can be
overridden by someone who read the number from the card.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

NAM_PATTERN = re.compile(r"^[A-Z]{4}\d{6}[A-HJ-NP-Z1-9]\d$")
CHECK_WEIGHTS = (1, 3, 7, 9, 1, 7, 1, 3, 4, 5, 7, 6, 9, 1)
FEMALE_MONTH_OFFSET = 50


class NamError(ValueError):
    """A NAM that cannot be right. `code` says which rule it breaks."""

    def __init__(self, code: str):
        self.code = code
        super().__init__(code)


@dataclass(frozen=True)
class DecodedNam:
    nam: str
    birth_date: date
    sex_on_card: str  # "F" or "M": what the +50 says, not necessarily the person's recorded sex
    check_digit_ok: bool


def normalize(value: str) -> str:
    """Upper case without spaces: `qwea 1001 0110` becomes `QWEA10010110`."""
    return re.sub(r"[\s-]", "", value or "").upper()


def display(nam: str) -> str:
    """Groups of four as printed on the card."""
    return " ".join(nam[i : i + 4] for i in range(0, len(nam), 4)) if nam else ""


def check_digit(fourteen: str) -> int:
    return sum(byte * weight for byte, weight in zip(fourteen.encode("cp037"), CHECK_WEIGHTS, strict=True)) % 10


def decode(value: str, *, today: date | None = None) -> DecodedNam:
    """Read a NAM; raise NamError("format") or NamError("date") when it cannot be one."""
    nam = normalize(value)
    if not NAM_PATTERN.match(nam):
        raise NamError("format")
    year_2, month_on_card, day = int(nam[4:6]), int(nam[6:8]), int(nam[8:10])
    sex = "F" if month_on_card > FEMALE_MONTH_OFFSET else "M"
    month = month_on_card - FEMALE_MONTH_OFFSET if sex == "F" else month_on_card
    today = today or date.today()
    # Two digits of year: the most recent century that gives a date not in the future.
    for year in (_century_guess(year_2, today), _century_guess(year_2, today) - 100):
        try:
            birth = date(year, month, day)
        except ValueError:
            raise NamError("date") from None
        if birth <= today:
            break
    # The check digit covers the four-digit year, which the card does not show: a patient born in
    # 1925 and one born in 2025 carry the same digits, so either century may check out.
    check_digit_ok = any(
        check_digit(f"{nam[:4]}{year:04d}{sex}{month:02d}{day:02d}{nam[10]}") == int(nam[11])
        for year in (birth.year, birth.year - 100)
    )
    return DecodedNam(nam=nam, birth_date=birth, sex_on_card=sex, check_digit_ok=check_digit_ok)


def _century_guess(year_2: int, today: date) -> int:
    year = today.year - today.year % 100 + year_2
    return year - 100 if year > today.year else year


def birth_dates_match(decoded: DecodedNam, birth_date: date) -> bool:
    """The card gives two digits of the year: a birth date a century apart still matches."""
    return (decoded.birth_date.month, decoded.birth_date.day) == (birth_date.month, birth_date.day) and (
        decoded.birth_date.year % 100 == birth_date.year % 100
    )


def name_letters(last_name: str, first_name: str) -> str:
    """The four letters the RAMQ takes from the names (INSPQ's rule: no accents, SAINT becomes ST)."""

    def letters(name: str) -> str:
        plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
        plain = re.sub(r"\bSAINTE?\b", "ST", plain)
        return re.sub(r"[^A-Z]", "", plain)

    return (letters(last_name) + "XXX")[:3] + (letters(first_name) + "X")[:1]


def build(last_name: str, first_name: str, birth_date: date, sex: str, admin_char: str = "1") -> str:
    """A NAM with a correct check digit for these facts (demo data and tests; never real people)."""
    month = birth_date.month + (FEMALE_MONTH_OFFSET if sex == "F" else 0)
    head = f"{name_letters(last_name, first_name)}{birth_date:%y}{month:02d}{birth_date.day:02d}{admin_char}"
    fourteen = f"{head[:4]}{birth_date.year:04d}{sex}{birth_date.month:02d}{birth_date.day:02d}{admin_char}"
    return f"{head}{check_digit(fourteen)}"
