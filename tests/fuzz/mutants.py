"""Hypothesis strategies that make hostile variants of the fuzz targets' base inputs: CSV and
HL7 text with inserted pieces and other encodings, workbook packages with mutated zip
entries, sheet XML, shared strings, dimensions and styles, and TOML documents with other
types, unknown and secret-like keys, and other encodings.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from functools import cache
from typing import Any

from hypothesis import strategies as st

from fuzzkit import NAME, PESEL, PHONE, SECRET

HEADER = "Nr wizyty;Data wizyty;Godz.;Kod świadczenia;Rodzaj wizyty;PESEL;Nazwisko;Imię;Telefon"
ROW = f"A1;12.01.2027;10:00;02.1100.001.02;kontynuacja;{PESEL};{NAME};Anna;{PHONE}"
CSV = HEADER + "\n" + ROW + "\n" + ROW.replace("A1", "A2") + "\n"
HL7_MESSAGE = (
    "MSH|^~\\&|A|B|C|D|20261201120000||SIU^S12|M1|P|2.5.1|||||||UNICODE UTF-8\r"
    "SCH|X1|X1|||||||30|min|^^^20270112100000\r"
    f"PID|1||{PESEL}^^^^NNPOL||{NAME}^Anna||19440514|F|||||{PHONE}\r"
    "AIS|1||02.1100.001.02\r"
)
HL7 = HL7_MESSAGE + HL7_MESSAGE.replace("M1", "M2").replace("X1", "X2")

text_pieces = st.sampled_from(['"', ";", "\n", "\r\n", "\r", "\x00", "=", "\x1b[31m", "ą", "\ufeff",
                               "", "31.02.2027", "99:99", PESEL, "Razem: 3", "\t", ",", "'", "|",
                               "^", "~", "\\", "&", "MSH|^~\\&|", "\x0b", "\x1c\r", "SIU^S15",
                               "+9999", "9" * 400, "ROT13", "UTF-16", "TQ1|1||||||20270112"])  # fmt: skip


def mutate_text(text: str, data: st.DataObject) -> bytes:
    """``text`` with up to 8 pieces inserted, in one of the encodings exports use, plus a tail."""
    chars = list(text)
    for _ in range(data.draw(st.integers(0, 8), label="insertions")):
        pos = data.draw(st.integers(0, len(chars)))
        if data.draw(st.booleans()):
            chars[pos:pos] = data.draw(text_pieces)
        else:
            del chars[pos : pos + data.draw(st.integers(1, 12))]
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1250", "iso-8859-2"]))
    raw = "".join(chars).encode(encoding, errors="replace")
    return raw + data.draw(st.binary(max_size=16))


# -- workbooks ---------------------------------------------------------------------------


@cache
def base_workbook() -> dict[str, bytes]:
    """A small XLSX (xlsxwriter: shared strings, date and time styles, a merged range)."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("Wizyty")
    date, time = wb.add_format({"num_format": "dd.mm.yyyy"}), wb.add_format({"num_format": "hh:mm"})
    ws.write_row(0, 0, HEADER.split(";"))
    for r, ident in ((1, "A1"), (2, "A2")):
        ws.write_string(r, 0, ident)
        ws.write_datetime(r, 1, dt.datetime(2027, 1, 12), date)
        ws.write_datetime(r, 2, dt.datetime(1900, 1, 1, 10, 0), time)
        ws.write_row(r, 3, ["02.1100.001.02", "kontynuacja", int(PESEL), NAME, "Anna", PHONE])
    ws.merge_range("K1:L2", "scalone")
    wb.close()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        return {name: z.read(name) for name in z.namelist()}


REFS = st.sampled_from(["A1", "XFD1048576", "A1048577", "XFE1", "A0", "ZZZZ1", "a2", "", "B",
                        "1", "A99999999999", "AAAAAAAAAA1", "C3"])  # fmt: skip
NUMBERS = st.sampled_from(["-1e308", "1e308", "1e309", "NaN", "inf", "-0", "2958466", "2958465.99999",
                           "-1", "0", "abc", "", "1" * 400, "60", "0.5", "46399", "-693594"])  # fmt: skip
XML_PIECES = st.sampled_from([
    '<!DOCTYPE x [<!ENTITY e "x">]>', "&e;", '<!ENTITY a SYSTEM "file:///etc/passwd">', "<", ">",
    "&", "\x00", "\x01", "]]>", '<c r="XFD1048576"><v>1</v></c>', '<row r="1048576">', "</row>",
    '<c r="B3" s="1"><v>-1e308</v></c>', '<c t="s"><v>99999</v></c>', '<c t="e"><v>#DIV/0!</v></c>',
    '<c t="b"><v>2</v></c>', '<c t="str"><f>1/0</f><v>=HYPERLINK("x")</v></c>', f"<v>{PESEL}</v>",
    '<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>', '<mergeCell ref="Z99:A1"/>',
    '<si><t>' + "x" * 40000 + "</t></si>", "<si><r><t>a</t></r></si>", '<sheetPr><outlinePr/></sheetPr>',
    '<dimension ref="A1:XFD1048576"/>', "\ufeff", "<?xml version='1.1'?>", '<c r="A2" t="inlineStr"><is><t>Razem: 2</t></is></c>',
])  # fmt: skip


def _mutate_xml(xml: bytes, data: st.DataObject) -> bytes:
    text = xml.decode("utf-8", errors="replace")
    for _ in range(data.draw(st.integers(1, 4), label="xml edits")):
        how = data.draw(st.sampled_from(["ref", "dim", "value", "style", "shared", "count",
                                         "numfmt", "insert", "cut", "hidden"]))  # fmt: skip
        if how == "ref":
            text = re.sub(r'r="[A-Z]*\d*"', lambda m: f'r="{data.draw(REFS)}"', text, count=data.draw(st.integers(1, 3)))  # fmt: skip
        elif how == "dim":
            text = re.sub(
                r'ref="[^"]*"', f'ref="{data.draw(REFS)}:{data.draw(REFS)}"', text, count=1
            )
        elif how == "value":
            text = re.sub(r"<v>[^<]*</v>", f"<v>{data.draw(NUMBERS)}</v>", text, count=data.draw(st.integers(1, 5)))  # fmt: skip
        elif how == "style":
            text = re.sub(r' s="\d+"', f' s="{data.draw(st.sampled_from(["0", "1", "2", "3", "999", "-1", "x"]))}"', text, count=2)  # fmt: skip
        elif how == "shared":
            text = text.replace(' t="s"><v>1', f' t="s"><v>{data.draw(st.sampled_from(["99999", "-1", "x", "1e3"]))}', 1)  # fmt: skip
        elif how == "count":
            text = re.sub(r'(count|uniqueCount)="\d+"', f'\\1="{data.draw(st.sampled_from(["0", "99999999999", "-3", "x"]))}"', text)  # fmt: skip
        elif how == "numfmt":
            text = re.sub(r'(numFmtId)="\d+"', f'\\1="{data.draw(st.sampled_from(["14", "22", "46", "0", "49", "999"]))}"', text, count=2)  # fmt: skip
            text = re.sub(r'formatCode="[^"]*"', f'formatCode="{data.draw(st.sampled_from(["yyyy-mm-dd", "[h]:mm", "@", "0", "dd/mm/yyyy hh:mm:ss.000", ""]))}"', text, count=1)  # fmt: skip
        elif how == "insert":
            pos = data.draw(st.integers(0, len(text)))
            text = text[:pos] + data.draw(XML_PIECES) + text[pos:]
        elif how == "cut":
            pos = data.draw(st.integers(0, len(text)))
            text = text[:pos] + text[pos + data.draw(st.integers(1, 64)) :]
        else:
            text = text.replace('<sheet name="Wizyty"', '<sheet state="hidden" name="Wizyty"')
    return text.encode("utf-8", errors="surrogatepass")


PARTS = ["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml", "xl/workbook.xml",
         "[Content_Types].xml", "xl/_rels/workbook.xml.rels", "_rels/.rels", "docProps/app.xml"]  # fmt: skip


def mutate_workbook(data: st.DataObject) -> bytes:
    """A mutated copy of :func:`base_workbook` as XLSX bytes."""
    entries = dict(base_workbook())
    for _ in range(data.draw(st.integers(1, 4), label="package edits")):
        part = data.draw(st.sampled_from(PARTS[:1] * 4 + PARTS[1:3] * 2 + PARTS))
        how = data.draw(st.sampled_from(["xml", "xml", "xml", "drop", "garbage", "rename", "empty",
                                         "extra-sheet"]))  # fmt: skip
        if how == "xml" and part in entries:
            entries[part] = _mutate_xml(entries[part], data)
        elif how == "drop":
            entries.pop(part, None)
        elif how == "garbage":
            entries[part] = data.draw(st.binary(max_size=64))
        elif how == "rename" and part in entries:
            entries[part.upper()] = entries.pop(part)
        elif how == "empty":
            entries[part] = b""
        elif how == "extra-sheet":
            entries["xl/worksheets/sheet2.xml"] = entries.get("xl/worksheets/sheet1.xml", b"")
    buf = io.BytesIO()
    method = data.draw(st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED]))
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, body in entries.items():
            z.writestr(name, body)
    raw = buf.getvalue()
    if data.draw(st.integers(0, 9), label="damage zip") == 9:  # now and then the zip itself
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw = raw[:pos] + data.draw(st.binary(min_size=1, max_size=8)) + raw[pos + 1 :]
    return raw


# -- TOML ---------------------------------------------------------------------------------

SECRET_KEYS = st.sampled_from(["password", "passwd", "hasło", "haslo", "secret", "token", "pin",
                               "db_password", "cert_password", "api_token", "p12_pass", "PFX_PASS",
                               "Password", "client_secret", "tls_pin"])  # fmt: skip
ANY_KEYS = st.sampled_from(["mus_id", "regon", "nip", "nfz_branch", "as_of", "batch_size", "lang",
                            "scopes", "rules", "identifiers", "template_dir", "xsd", "encoding",
                            "delimiter", "sheet", "header_row", "hl7_updates_book", "patient_pesel",
                            "start", "visit_kind", "max_cells", "max_file_bytes", "url", "ca_bundle",
                            "tls_p12", "wss_p12", "soap_version", "password_env", "zażółć", "",
                            "a.b", "1", "x" * 300])  # fmt: skip
SECTIONS = st.sampled_from(["provider", "run", "limits", "targets", "source", "columns", "values",
                            "hl7", "values.visit_kind", "targets.test", "targets.production",
                            "provider.p1", "nowa"])  # fmt: skip
toml_values: st.SearchStrategy[Any] = st.recursive(
    st.one_of(
        st.text(st.characters(exclude_categories=("Cs",)), max_size=12), st.integers(-(2**63), 2**63 - 1), st.booleans(),
        st.floats(allow_nan=True), st.dates(), st.datetimes(), st.times(),
        st.sampled_from(["", "dużo", "../../etc/passwd", "/dev/zero", "cp1250", "rot13", "utf-16",
                         ";", "\t", "2026-02-31", "000000927722-001", "07", "17", "en", "xx"]),
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_KEYS, inner, max_size=3),
    max_leaves=6,
)  # fmt: skip


def _literal(value: Any) -> str:
    """``value`` as a TOML literal (inline tables and arrays for containers)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        text = repr(value)
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(text, text)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_literal(v)}" for k, v in value.items()) + "}"
    escaped = "".join(
        c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" for c in str(value)
    )
    return f'"{escaped}"'


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _literal(key)


def dump_toml(doc: dict[str, Any]) -> str:
    """A TOML text of ``doc`` (top-level keys, then one ``[section]`` per table)."""
    lines = [f"{_key(k)} = {_literal(v)}" for k, v in doc.items() if not isinstance(v, dict)]
    for name, table in doc.items():
        if isinstance(table, dict):
            lines.append(f"[{_key(name)}]")
            lines += [f"{_key(k)} = {_literal(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def mutate_toml(doc: dict[str, Any], data: st.DataObject) -> bytes:
    """A mutated TOML file from ``doc``; SECRET appears in it only under a secret-like key (a
    file holding it must be refused, and its value never printed)."""
    doc = {k: dict(v) if isinstance(v, dict) else v for k, v in doc.items()}
    for _ in range(data.draw(st.integers(1, 5), label="toml edits")):
        how = data.draw(st.sampled_from(["retype", "retype", "add", "drop", "secret", "section"]))
        sections = [k for k, v in doc.items() if isinstance(v, dict)] or ["run"]
        table = doc.setdefault(data.draw(st.sampled_from(sections)), {})
        if not isinstance(table, dict):
            continue
        if how == "retype" and table:
            table[data.draw(st.sampled_from(sorted(table)))] = data.draw(toml_values)
        elif how == "add":
            table[data.draw(ANY_KEYS)] = data.draw(toml_values)
        elif how == "drop" and table:
            table.pop(data.draw(st.sampled_from(sorted(table))))
        elif how == "secret":
            nested = data.draw(st.booleans())
            value: Any = {"inner": {data.draw(SECRET_KEYS): SECRET}} if nested else SECRET
            table[data.draw(SECRET_KEYS) if not nested else "nested"] = value
        elif how == "section":
            doc.setdefault(data.draw(SECTIONS), {})[data.draw(ANY_KEYS)] = data.draw(toml_values)
    text = dump_toml(doc)
    if data.draw(st.integers(0, 5), label="text damage") == 5:
        pos = data.draw(st.integers(0, len(text)))
        text = text[:pos] + data.draw(st.sampled_from(["[", "]", "=", '"', "\n[[x]]\n", "\x00", "ą"])) + text[pos:]  # fmt: skip
    encoding = data.draw(
        st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-8-sig", "cp1250", "utf-16"])
    )
    return text.encode(encoding, errors="replace")
