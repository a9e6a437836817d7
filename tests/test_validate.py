"""Every rule, both sides: a row that breaks it and a row that does not."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cer_loader.catalogues.rules import load_rules
from cer_loader.resources import data_dir
from cer_loader.validate.registry import CHECKS

from rowkit import CARDIO, CERVIX, KEY44, make_pesel, run_rules

WOMAN_1980 = make_pesel(dt.date(1980, 3, 3), female=True)
MAN_1980 = make_pesel(dt.date(1980, 3, 3), female=False)
FOREIGN = {
    "patient_pesel": "", "patient_document_type": "paszport", "patient_document_number": "C01X00T47",
    "patient_document_country": "DE", "patient_birth_date": "14.07.1980", "patient_sex": "K",
}  # fmt: skip
SCREEN = {
    "scope_code": CERVIX,
    "medical_category": "",
    "referral_key": "",
    "patient_pesel": WOMAN_1980,
}

# rule -> (a row that breaks it, a row that passes it); both are mutations of rowkit.BASE
CASES: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "missing-appointment-id": ({"appointment_id": ""}, {"appointment_id": "X"}),
    "missing-start": ({"start_date": "", "start_time": ""}, {}),
    "start-unparseable": ({"start_date": "12.01.27"}, {"start_date": "12/01/2027"}),
    "start-invalid-date": ({"start_date": "31.02.2027"}, {"start_date": "28.02.2027"}),
    "start-nonexistent": ({"start_date": "28.03.2027", "start_time": "2:30"},
                          {"start_date": "28.03.2027", "start_time": "3:30"}),
    "start-ambiguous": ({"start_date": "31.10.2027", "start_time": "2:30"},
                        {"start_date": "31.10.2027", "start_time": "3:30"}),
    "start-offset-mismatch": ({"start_date": "", "start_time": "", "start": "2027-01-12T09:30+02:00"},
                              {"start_date": "", "start_time": "", "start": "2027-01-12T09:30+01:00"}),
    "start-before-as-of": ({"start_date": "30.11.2026"}, {"start_date": "01.12.2026"}),
    "missing-scope-code": ({"scope_code": ""}, {}),
    "scope-unknown": ({"scope_code": "02.1500.001.02"}, {"scope_code": CARDIO}),
    "mus-mismatch": ({"mus_id": "000000927722-002"}, {"mus_id": "000000927722-001"}),
    "missing-patient-identity": ({"patient_pesel": ""}, {}),
    "pesel-format": ({"patient_pesel": "4405140135"[:9] + "x1"}, {}),
    "pesel-checksum": ({"patient_pesel": "44051401358"}, {"patient_pesel": "44051401359"}),
    "pesel-birth-date": ({"patient_pesel": "02381307589"}, {"patient_pesel": "02211307589"}),
    "pesel-birth-date-mismatch": ({"patient_birth_date": "15.05.1970"},
                                  {"patient_birth_date": "14.05.1970"}),
    "pesel-sex-mismatch": ({"patient_sex": "M"}, {"patient_sex": "K"}),
    "foreign-identity-incomplete": ({**FOREIGN, "patient_document_country": "XX"}, FOREIGN),
    "visit-kind-invalid": ({"visit_kind": "druga"}, {"visit_kind": "kontynuacja"}),
    "visit-kind-missing": ({"visit_kind": ""}, {"visit_kind": "pierwsza"}),
    "category-required": ({"medical_category": "normalny"},
                          {"medical_category": "", "visit_kind": "continuation"}),
    "referral-required": ({"referral_key": ""}, {"referral_key": "", "referral_number": "PAP/12"}),
    "referral-key-format": ({"referral_key": "123", "referral_number": "PAP/1"},
                            {"referral_key": KEY44}),
    "request-after-start": ({"request_date": "13.01.2027"}, {"request_date": "12.01.2027"}),
    "request-date-missing": ({"request_date": ""}, {}),
    "request-date-invalid": ({"request_date": "32.12.2026"}, {}),
    "programme-sex": ({**SCREEN, "patient_pesel": MAN_1980}, SCREEN),
    "programme-age": ({**SCREEN, "patient_pesel": make_pesel(dt.date(2003, 1, 1), True)},
                      {**SCREEN, "patient_pesel": make_pesel(dt.date(2002, 12, 31), True)}),
    "npwz-checksum": ({"practitioner_npwz": "7391208"}, {"practitioner_npwz": "4727124"}),
    "phone-invalid": ({"patient_phone": "12-34"}, {"patient_phone": "+48 22 628 41 00"}),
    "phone-picked": ({"patient_phone": "22 628 41 00 / 600-700-800"}, {"patient_phone": "600700800"}),
    "phone-no-mobile": ({"patient_phone": "(22) 628 41 00"}, {"patient_phone": "tel. kom. 600700800"}),
    "email-invalid": ({"patient_email": "anna@"}, {"patient_email": "a.b@c.pl"}),
    "duration-invalid": ({"duration_minutes": "0"}, {"duration_minutes": "15"}),
    "birth-date-invalid": ({"patient_birth_date": "31.02.1970"}, {"patient_birth_date": ""}),
    "text-invalid": ({"notes": "x" * 2001}, {"notes": "x" * 2000}),
    "csv-unclosed-quote": ({"_reader_issue": "csv-unclosed-quote"}, {}),
    "csv-extra-fields": ({"_reader_issue": "csv-extra-fields"}, {}),
    "total-row": ({"_reader_issue": "total-row"}, {}),
}  # fmt: skip
ROW_PAIR_RULES = {"duplicate-appointment-id", "duplicate-visit"}
STATE_RULES = {"visit-loaded-earlier"}  # needs the run state: tests/test_fix_loop.py


def test_every_rule_has_a_case_and_a_catalogue_entry() -> None:
    rules = load_rules(data_dir("schemas") / "rules.toml")
    assert set(CASES) | ROW_PAIR_RULES | STATE_RULES == set(CHECKS) == set(rules)


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_both_sides(code: str) -> None:
    bad, good = CASES[code]
    issues = run_rules([{**bad, "appointment_id": bad.get("appointment_id", "B1")},
                        {**good, "appointment_id": good.get("appointment_id", "G1"),
                         "start_time": good.get("start_time", "11:00")}])  # fmt: skip
    hit = issues[issues["rule"] == code]
    assert hit["row"].tolist() == [0], issues.to_string()


def test_duplicate_visit_names_the_first_row() -> None:
    issues = run_rules([{"appointment_id": "A1"}, {"appointment_id": "A2"},
                        {"appointment_id": "A3", "start_time": "10:00"}])  # fmt: skip
    dup = issues[issues["rule"] == "duplicate-visit"]
    assert dup["row"].tolist() == [1]
    assert dup["other_row"].tolist() == ["2"]  # spreadsheet row of the first occurrence


def test_duplicate_appointment_id() -> None:
    issues = run_rules([{"start_time": "9:00"}, {"start_time": "10:00"}])
    dup = issues[issues["rule"] == "duplicate-appointment-id"]
    assert dup["row"].tolist() == [1] and dup["other_row"].tolist() == ["2"]


def test_severity_comes_from_the_catalogue() -> None:
    issues = run_rules([{"patient_phone": "12"}, {"patient_pesel": "44051401358",
                                                  "appointment_id": "A2"}])  # fmt: skip
    sev = dict(zip(issues["rule"], issues["severity"], strict=True))
    assert sev["phone-invalid"] == "warning" and sev["pesel-checksum"] == "error"


def test_continuation_visit_needs_no_referral_nor_category() -> None:
    issues = run_rules([{"visit_kind": "kontynuacja", "referral_key": "", "medical_category": ""}])
    assert issues.empty, issues.to_string()


def test_a_row_set_aside_by_the_reader_reports_only_that() -> None:
    issues = run_rules([{"_reader_issue": "total-row", "patient_pesel": "", "scope_code": ""}])
    assert issues["rule"].tolist() == ["total-row"]


def test_patients_without_sms_counts_distinct_patients() -> None:
    from cer_loader.catalogues.identifiers import load_identifiers
    from cer_loader.mapping import Mapping, apply_mapping
    from cer_loader.normalize import normalize
    from cer_loader.validate.identity import patients_without_sms

    from rowkit import BASE, table_of

    other = make_pesel(dt.date(1981, 4, 4), female=False)
    rows = [
        {**BASE, "appointment_id": "1", "patient_phone": "22 628 41 00"},
        {**BASE, "appointment_id": "2", "patient_phone": "601 234 567"},  # same patient: mobile
        {**BASE, "appointment_id": "3", "patient_pesel": other, "patient_phone": ""},
        {**BASE, "appointment_id": "4", "patient_pesel": other, "patient_phone": "22 628 41 00"},
    ]
    canon = apply_mapping(table_of(rows), Mapping())
    frame = normalize(canon, load_identifiers(data_dir("schemas") / "identifiers.toml"))
    assert patients_without_sms(frame, frame.index) == 1
    assert patients_without_sms(frame, frame.index[:1]) == 1
    assert patients_without_sms(frame, frame.index[1:2]) == 0


def _sms_oracle(rows: list[tuple[str, bool, str, str, str, bool]], picked: list[int]) -> int:
    """``patients_without_sms`` row by row: a patient is the PESEL (when present) or the
    document type|country|NUMBER; a row with neither counts alone."""
    mobile_of: dict[str, bool] = {}
    alone = 0
    for k in picked:
        pesel, present, kind, country, number, mobile = rows[k]
        key = (
            pesel if present else (f"{kind}|{country}|{number.upper()}" if kind and number else "")
        )
        if not key:
            alone += not mobile
        else:
            mobile_of[key] = mobile_of.get(key, False) or mobile
    return alone + sum(not m for m in mobile_of.values())


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["", "44051401359", "81040412345"]),
            st.booleans(),
            st.sampled_from(["", "D", "P"]),
            st.sampled_from(["", "PL", "DE"]),
            st.sampled_from(["", "abc1", "ABC1", "x9"]),
            st.booleans(),
        ),
        min_size=1,
        max_size=30,
    ),
    data=st.data(),
)
def test_patients_without_sms_is_the_row_by_row_count(rows: list, data: st.DataObject) -> None:
    """Whatever the mix of PESELs, documents, unknown patients and mobiles, and whichever rows
    (labels not 0-based, some picked twice), the count is the row-by-row one."""
    from cer_loader.validate.identity import patients_without_sms

    cols = ["patient_pesel", "n_pesel_present", "n_doc_type", "n_doc_country"]
    cols += ["patient_document_number", "n_phone_mobile"]
    frame = pd.DataFrame(rows, columns=cols, index=pd.RangeIndex(10, 10 + len(rows)))
    for name in ("patient_pesel", "n_doc_type", "n_doc_country", "patient_document_number"):
        frame[name] = frame[name].astype("str")
    picked = data.draw(st.lists(st.integers(0, len(rows) - 1), max_size=40))
    got = patients_without_sms(frame, frame.index[picked])
    assert got == _sms_oracle(rows, picked)


def test_the_typed_contract_is_the_pandera_schema_and_is_enforced() -> None:
    from cer_loader.catalogues.identifiers import load_identifiers
    from cer_loader.mapping import Mapping, apply_mapping
    from cer_loader.normalize import normalize
    from cer_loader.validate.typed import check_typed, contract_breaks, pandera_schema

    from rowkit import BASE, table_of

    rows = [{**BASE, "appointment_id": "1"}, {**BASE, "appointment_id": "2", "patient_pesel": ""}]
    frame = normalize(apply_mapping(table_of(rows), Mapping()),
                      load_identifiers(data_dir("schemas") / "identifiers.toml"))  # fmt: skip
    pandera_schema().validate(frame)  # the normalized frame keeps the pandera contract
    check_typed(frame)
    broken = frame.assign(n_npwz_ok=frame["n_npwz_ok"].astype("str"), n_start=frame["n_request"])
    assert [b.split(":")[0] for b in contract_breaks(broken)] == ["n_npwz_ok", "n_start"]
    with pytest.raises(TypeError, match="n_npwz_ok"):
        check_typed(broken)
    import pandera.errors

    with pytest.raises(pandera.errors.SchemaError):
        pandera_schema().validate(broken)


def test_phone_picked_says_which_number_goes_to_cer() -> None:
    from cer_loader.report.rows import messages

    issues = run_rules([{"patient_phone": "22 628 41 00 / 600-700-855"}])
    picked = issues[issues["rule"] == "phone-picked"]
    rules = load_rules(data_dir("schemas") / "rules.toml")
    text = messages(picked, rules, "pl").iloc[0]
    assert "kończący się na 55" in text and "600" not in text
