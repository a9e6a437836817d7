"""The canonical CeR fields: the contract of the mapping file and of every reader that maps itself."""

from __future__ import annotations

# name -> (Polish description, English description)
CANONICAL_FIELDS: dict[str, tuple[str, str]] = {
    "appointment_id": (
        "identyfikator wizyty w systemie źródłowym",
        "appointment id in the source system",
    ),
    "start": ("data i godzina wizyty", "appointment date and time"),
    "start_date": ("data wizyty", "appointment date"),
    "start_time": ("godzina wizyty", "appointment time"),
    "duration_minutes": ("czas trwania (min)", "duration (minutes)"),
    "schedule_id": ("identyfikator harmonogramu", "schedule id"),
    "mus_id": ("identyfikator MUŚ", "MUŚ id"),
    "scope_code": ("kod zakresu świadczeń", "NFZ scope (product) code"),
    "visit_kind": (
        "rodzaj wizyty (pierwszorazowa / kontynuacja)",
        "visit kind (first / continuation)",
    ),
    "medical_category": (
        "kategoria medyczna (pilny / stabilny)",
        "medical category (pilny / stabilny)",
    ),
    "request_date": ("data zgłoszenia", "request date"),
    "referral_key": ("klucz e-skierowania (44 cyfry)", "e-referral key (44 digits)"),
    "referral_number": ("numer skierowania papierowego", "paper referral number"),
    "practitioner_npwz": ("NPWZ lekarza", "practitioner NPWZ"),
    "patient_pesel": ("PESEL pacjenta", "patient PESEL"),
    "patient_document_type": ("rodzaj dokumentu tożsamości", "identity document type"),
    "patient_document_number": ("numer dokumentu tożsamości", "identity document number"),
    "patient_document_country": ("kraj wydania dokumentu", "document issuing country"),
    "patient_first_name": ("imię pacjenta", "patient first name"),
    "patient_last_name": ("nazwisko pacjenta", "patient last name"),
    "patient_birth_date": ("data urodzenia pacjenta", "patient birth date"),
    "patient_sex": ("płeć pacjenta (K/M)", "patient sex (F/M)"),
    "patient_phone": ("telefon pacjenta", "patient phone"),
    "patient_email": ("e-mail pacjenta", "patient e-mail"),
    "notes": ("uwagi", "notes"),
}

FIELD_NAMES: list[str] = list(CANONICAL_FIELDS)

# Values that identify a person: masked wherever a report shows a value outside the
# row's own original columns, and never logged.
PII_FIELDS: frozenset[str] = frozenset(
    {
        "patient_pesel",
        "patient_document_number",
        "patient_first_name",
        "patient_last_name",
        "patient_birth_date",
        "patient_phone",
        "patient_email",
        "referral_key",
        "referral_number",
    }
)


def describe(field: str, lang: str = "pl") -> str:
    pl, en = CANONICAL_FIELDS.get(field, (field, field))
    return en if lang == "en" else pl
