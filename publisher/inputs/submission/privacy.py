"""Personal data has no place in a submission of aggregates: recognise it by column name and by the
shape of a cell, so that it is refused before anything is written (or, in a column the format marks
source-only, dropped unread). Also the neutralising of spreadsheet formulas in text."""

from __future__ import annotations

import re

# Column-name words that mean a record about a person, or free text that may describe one.
PERSONAL_WORDS = {
    "name": "a person's name",
    "forename": "a person's name",
    "forenames": "a person's name",
    "surname": "a person's name",
    "firstname": "a person's name",
    "lastname": "a person's name",
    "fullname": "a person's name",
    "postcode": "a postcode",
    "nhs": "an NHS number",
    "nhsno": "an NHS number",
    "dob": "a date of birth",
    "birth": "a date of birth",
    "birthdate": "a date of birth",
    "email": "an e-mail address",
    "mail": "an e-mail address",
    "phone": "a telephone number",
    "telephone": "a telephone number",
    "mobile": "a telephone number",
    "tel": "a telephone number",
    "uprn": "a property reference (UPRN)",
    "address": "an address",
    "nino": "a National Insurance number",
    "insurance": "a National Insurance number",
    "person": "a record about a person",
    "patient": "a record about a person",
    "client": "a record about a person",
    "pupil": "a record about a person",
    "resident": "a record about a person",
    "comment": "free text",
    "comments": "free text",
    "remarks": "free text",
    "freetext": "free text",
}
# A name column qualified by one of these is about an area or an indicator, not a person.
NOT_A_PERSON = {
    "area",
    "ward",
    "lad",
    "lsoa",
    "msoa",
    "district",
    "borough",
    "region",
    "indicator",
    "geography",
}

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
POSTCODE = re.compile(r"\b[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][ABD-HJLNP-UW-Z]{2}\b", re.IGNORECASE)
PHONE = re.compile(r"(?<![\d])(?:\+44\s?|0)(?:\d[\s-]?){9,10}(?![\d])")
TEN_DIGITS = re.compile(r"(?<![\d])(\d{3})[\s-]?(\d{3})[\s-]?(\d{4})(?![\d])")
# A National Insurance number: two letters (any two: the QQ of examples too), six digits, a suffix A-D.
NI_NUMBER = re.compile(r"\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b", re.IGNORECASE | re.ASCII)
# "DOB 14/07/1962", "born on 3 March 1985": the words with a date after them (a column may be
# called "Date of birth" without holding one)
BIRTH = re.compile(r"\b(d\.?o\.?b|date of birth|born)\b\W{0,3}(on\s+)?\d", re.IGNORECASE)
# A whole date of the last century: statistics published here are of this one, people were born then.
OLD_DATE = re.compile(r"\b(\d{1,2}[/.-]\d{1,2}[/.-]19\d{2}|19\d{2}-\d{2}-\d{2})\b", re.ASCII)
# A courtesy title before a capitalised word. Not Sir, Dame, Lord or Lady: places carry them
# (Ealing's Lady Margaret ward).
TITLED_NAME = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Rev|Revd)\.?\s+[A-Z][a-z'’-]+")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def personal_column(header: str) -> str | None:
    """What personal data a column name suggests, or None."""
    words = re.split(r"[_\s.-]+", header.lower())
    if NOT_A_PERSON & set(words):
        return None
    joined = "".join(words)
    for word in [*words, joined]:
        if word in PERSONAL_WORDS:
            return PERSONAL_WORDS[word]
    if "dateofbirth" in joined or "nhsnumber" in joined:
        return "a date of birth" if "birth" in joined else "an NHS number"
    return None


def personal_value(text: str) -> str | None:
    """What personal data a text cell looks like it holds, or None."""
    if EMAIL.search(text):
        return "an e-mail address"
    if POSTCODE.search(text):
        return "a full postcode"
    for match in TEN_DIGITS.finditer(text):
        if _valid_nhs_number("".join(match.groups())):
            return "an NHS number"
    if PHONE.search(text):
        return "a telephone number"
    if NI_NUMBER.search(text):
        return "a National Insurance number"
    if BIRTH.search(text) or OLD_DATE.search(text):
        return "a date of birth"
    if TITLED_NAME.search(text):
        return "a person's name"
    return None


def _valid_nhs_number(digits: str) -> bool:
    """Modulus 11 check of a ten-digit NHS number."""
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def neutralise(text: str) -> str:
    """Text that a spreadsheet would run as a formula (=, +, -, @ first) gets a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_START) else text
