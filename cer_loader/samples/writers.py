"""Write a generated sample as a vendor's export — CSV (cp1250, ``;``, CRLF, Polish headers),
XLSX or an HL7 v2 SIU dump (ISO-8859-2) — with its mapping file and a provider configuration
beside it (``NAME.mapping.toml``, ``NAME.cer-loader.toml``). Rows are joined into text by Arrow,
100,000 at a time."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from cer_loader.errors import UsageError
from cer_loader.files import write_private
from cer_loader.samples import AS_OF, MUS, generate
from cer_loader.samples.people import join

CHUNK = 100_000
XLSX_MAX_ROWS = 1_048_575  # a sheet's rows, less the header
# canonical field -> the vendor's header (a clinic system's export, as in sample_data/)
HEADERS = {
    "appointment_id": "Nr wizyty", "start_date": "Data wizyty", "start_time": "Godz.",
    "duration_minutes": "Czas (min)", "schedule_id": "Gabinet", "scope_code": "Kod świadczenia",
    "visit_kind": "Rodzaj wizyty", "medical_category": "Kategoria",
    "request_date": "Data zgłoszenia", "referral_key": "Klucz skierowania",
    "referral_number": "Nr skierowania", "practitioner_npwz": "NPWZ lekarza",
    "patient_pesel": "PESEL", "patient_document_number": "Nr dokumentu",
    "patient_document_type": "Rodzaj dokumentu", "patient_document_country": "Kraj",
    "patient_last_name": "Nazwisko", "patient_first_name": "Imię",
    "patient_birth_date": "Data urodzenia", "patient_sex": "Płeć", "patient_phone": "Telefon",
    "patient_email": "E-mail", "notes": "Uwagi",
}  # fmt: skip
VALUES = """
[values.visit_kind]
"pierwsza" = "first"
"pierwszorazowa" = "first"
"kontynuacja" = "continuation"
"""
CONFIG = f"""# Provider context of a generated sample (cer-loader sample).
[provider]
mus_id = "{MUS}"
regon = "192598184"
nip = "8567346215"
nfz_branch = "07"

[run]
as_of = "{AS_OF.isoformat()}"
"""


@dataclass(frozen=True)
class Written:
    data: Path
    mapping: Path
    config: Path
    rows: int
    defective: int


def _mapping(fmt: str) -> str:
    head = "# Mapping of a generated sample (cer-loader sample).\n"
    if fmt == "hl7":
        return (
            head
            + (
                '\n[hl7]\nvisit_kind = "ZSK-1"\nmedical_category = "ZSK-2"\nreferral_key = "ZSK-3"\n'
                'request_date = "ZSK-4"\n'
            )
            + VALUES.replace('"pierwszorazowa" = "first"\n', "")
        )
    source = '\n[source]\nencoding = "cp1250"\ndelimiter = ";"\n' if fmt == "csv" else ""
    columns = "\n[columns]\n" + "".join(f'{k} = "{v}"\n' for k, v in HEADERS.items())
    return head + source + columns + VALUES


def _csv(cols: dict[str, Any], path: Path) -> None:
    names = list(HEADERS)
    with path.open("wb") as out:
        out.write((";".join(HEADERS.values()) + "\r\n").encode("cp1250"))
        for start in range(0, len(cols[names[0]]), CHUNK):
            part = [cols[n].slice(start, CHUNK) for n in names]
            lines = join(pc.binary_join_element_wise(*part, ";"), "\r\n")
            text = pc.binary_join(pa.ListArray.from_arrays([0, len(lines)], lines), "")
            out.write(text[0].as_py().encode("cp1250"))


def _xlsx(cols: dict[str, Any], path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Wizyty")
    sheet.append(list(HEADERS.values()))
    names = list(HEADERS)
    for start in range(0, len(cols[names[0]]), CHUNK):
        part = [cols[n].slice(start, CHUNK).to_pylist() for n in names]
        for row in zip(*part, strict=True):
            sheet.append(list(row))
    book.save(str(path))


def _npwz_xcn(npwz: Any) -> Any:
    """AIP-3 as an XCN whose id is typed (XCN.13) and issued (XCN.9, with the NPWZ OID of the
    shipped identifiers.toml) as an NPWZ, the way the reader takes a practitioner; empty stays
    empty."""
    from cer_loader.catalogues.identifiers import load_identifiers
    from cer_loader.resources import data_dir

    oid = load_identifiers(data_dir("schemas") / "identifiers.toml").oid["npwz"]
    typed = join(npwz, f"^^^^^^^^NPWZ&{oid}&ISO^^^^NPWZ")
    return pc.if_else(pc.equal(npwz, ""), npwz, typed)


def _hl7(cols: dict[str, Any], path: Path) -> None:
    date, time = cols["start_date"], cols["start_time"]
    hhmm = pc.replace_substring(pc.replace_substring_regex(time, "^([0-9]):", r"0\1:"), ":", "")
    day = [pc.utf8_slice_codeunits(date, a, b) for a, b in ((6, 10), (3, 5), (0, 2))]
    start = join(*day, hhmm)
    req = cols["request_date"]  # DTM in the Z-segment, as HIS systems write it
    request = join(*(pc.utf8_slice_codeunits(req, a, b) for a, b in ((6, 10), (3, 5), (0, 2))))
    n = len(date)
    control = join("H", pc.utf8_lpad(pc.cast(pa.array(range(1, n + 1)), pa.string()), 8, "0"))
    parts = [
        "MSH|^~\\&|HIS|SZPITAL|CER|P1|20261120120000||SIU^S12^SIU_S12|", control,
        "|P|2.5||||||8859/2\rSCH||", cols["appointment_id"], "|||||||", cols["duration_minutes"],
        "|MIN|^^^", start, "\rTQ1|||||||", start, "\rPID|1||", cols["patient_pesel"],
        "^^^^NI||", cols["patient_last_name"], "^", cols["patient_first_name"], "||",
        cols["hl7_birth"], "|", cols["hl7_sex"], "|||||", cols["patient_phone"],
        "^PRN^CP\rRGS|1\rAIS|1||", cols["scope_code"], "\rAIL|1||", cols["schedule_id"],
        "\rAIP|1||", _npwz_xcn(cols["practitioner_npwz"]), "\rZSK|", cols["visit_kind"], "|",
        cols["medical_category"], "|", cols["referral_key"], "|", request, "\r\n",
    ]  # fmt: skip
    with path.open("wb") as out:
        for start_row in range(0, n, CHUNK):
            chunk = [p if isinstance(p, str) else p.slice(start_row, CHUNK) for p in parts]
            msgs = join(*chunk)
            text = pc.binary_join(pa.ListArray.from_arrays([0, len(msgs)], msgs), "")
            out.write(text[0].as_py().encode("iso-8859-2"))


def write_sample(out: Path, fmt: str, rows: int, defects: float = 0.01, seed: int = 1) -> Written:
    """Generate ``rows`` appointments and write them to ``out`` as ``fmt`` (csv, xlsx, hl7)."""
    if fmt not in ("csv", "xlsx", "hl7"):
        raise UsageError(f"nieznany format: {fmt}", f"unknown format: {fmt}")
    if rows < 1 or not 0 <= defects <= 1:
        raise UsageError(
            "liczba wierszy musi być dodatnia, a udział wad między 0 a 1",
            "rows must be positive and the defect share between 0 and 1",
        )
    if fmt == "xlsx" and rows > XLSX_MAX_ROWS:
        raise UsageError(
            f"arkusz mieści najwyżej {XLSX_MAX_ROWS} wierszy",
            f"a sheet holds at most {XLSX_MAX_ROWS} rows",
        )
    stem = out.with_suffix("")
    mapping, config = Path(f"{stem}.mapping.toml"), Path(f"{stem}.cer-loader.toml")
    text = _mapping(fmt)
    if mapping.is_file() and mapping.read_text(encoding="utf-8", errors="replace") != text:
        # another format's mapping, or one edited since: it would be replaced under its export
        raise UsageError(
            f"{mapping} już istnieje i różni się od mapowania próbki w formacie {fmt} (plik "
            "innego formatu albo poprawiony ręcznie): podaj inną nazwę (--out) albo usuń ten plik",
            f"{mapping} exists and differs from the {fmt} sample's mapping (another format's, or "
            "edited by hand): choose another name (--out) or remove that file",
        )
    cols = generate(rows, seed, defects)
    out.parent.mkdir(parents=True, exist_ok=True)
    {"csv": _csv, "xlsx": _xlsx, "hl7": _hl7}[fmt](cols, out)
    out.chmod(0o600)  # fictional people, but shaped like personal data: treated as such
    write_private(mapping, text.encode("utf-8"))
    write_private(config, CONFIG.encode("utf-8"))
    defective = len(cols["defect"]) - pc.sum(pc.equal(cols["defect"], "")).as_py()
    return Written(out, mapping, config, rows, defective)
