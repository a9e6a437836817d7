"""cer-loader.toml: every problem is a ConfigError (exit 2) naming the file and the key; secrets
refused by key name at any depth; [targets.NAME] typed; --as-of / as_of in two spellings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cer_loader.errors import ConfigError
from cer_loader.settings import load_settings, parse_date
from cer_loader.tomlcheck import looks_secret

GOOD = '[provider]\nmus_id = "000000927722-001"\n[run]\nbatch_size = 100\n'


def settings_of(tmp_path: Path, text: str | bytes):
    path = tmp_path / "cer-loader.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return load_settings(path, {})


def refusal(tmp_path: Path, text: str | bytes) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        settings_of(tmp_path, text)
    assert info.value.exit_code == 2
    assert info.value.path is not None and info.value.path.endswith("cer-loader.toml")
    return info.value


def test_a_good_file_loads(tmp_path: Path) -> None:
    s = settings_of(tmp_path, GOOD + 'as_of = "01.12.2026"\n')
    assert s.mus_id == "000000927722-001" and s.batch_size == 100
    assert s.as_of == dt.date(2026, 12, 1)


@pytest.mark.parametrize(
    "text,key,expected",
    [
        ('[run]\nbatch_size = "dużo"\n', "run.batch_size", "liczba całkowita 1-100000"),
        ("[run]\nbatch_size = 0\n", "run.batch_size", "liczba całkowita 1-100000"),
        ("[run]\nbatch_size = true\n", "run.batch_size", "liczba całkowita"),
        ("[provider]\nmus_id = 5\n", "provider.mus_id", "tekst"),
        ('[run]\nas_of = "jutro"\n', "as_of", "nie jest datą"),
        ('[run]\nlang = "de"\n', "run.lang", '"pl", "en"'),
        ('provider = "x"\n', "provider", "tabela"),
        ('[targets.test]\nsoap_version = "1.3"\n', "targets.test.soap_version", '"1.1", "1.2"'),
        ("[targets.test]\nca_bundle = [1]\n", "targets.test.ca_bundle", "lista tekstów"),
        ('[targets.test]\nurl = "https://x"\ncolour = "red"\n', "targets.test.colour", "nieznany"),
    ],
)
def test_wrong_types_and_ranges_name_the_key(
    tmp_path: Path, text: str, key: str, expected: str
) -> None:
    err = refusal(tmp_path, text)
    assert key in err.message and expected in err.message, err.message


def test_unknown_section_and_key_say_did_you_mean(tmp_path: Path) -> None:
    err = refusal(tmp_path, '[providr]\nmus_id = "x"\n')
    assert "[providr]" in err.message and "czy chodziło o provider" in err.message
    assert "did you mean provider" in err.message_en
    err = refusal(tmp_path, "[run]\nbatch_sise = 10\n")
    assert "run.batch_sise" in err.message and "batch_size" in err.message


def test_a_mapping_section_in_the_config_says_where_it_belongs(tmp_path: Path) -> None:
    err = refusal(tmp_path, "[source]\nhl7_updates_book = true\n")
    assert "[source]" in err.message and "pliku mapowania" in err.message
    err = refusal(tmp_path, "[sourcex]\n")
    assert "[sourcex]" in err.message


def test_syntax_and_encoding(tmp_path: Path) -> None:
    assert "błędny TOML" in refusal(tmp_path, "[run\n").message
    err = refusal(tmp_path, '[provider]\nmus_id = "Łódź"\n'.encode("cp1250"))
    assert "UTF-8" in err.message


@pytest.mark.parametrize(
    "text,key",
    [
        ('password = "tajne"\n', "password"),
        ('[provider.p1]\npassword = "tajne"\n', "provider.p1.password"),
        ('[run]\ndb_password = "tajne"\n', "run.db_password"),
        ('[run]\npasswd = "tajne"\n', "run.passwd"),
        ('[targets.prod]\ncert_password = "tajne"\n', "targets.prod.cert_password"),
        ('[targets.prod]\napi_token = "tajne"\n', "targets.prod.api_token"),
        ('[x]\n"hasło" = "tajne"\n', "x.hasło"),
        ('[x]\nHASLO = "tajne"\n', "x.HASLO"),
        ('[x]\nPIN = "1234"\n', "x.PIN"),
        ('[x.y.z]\nclient_secret = "tajne"\n', "x.y.z.client_secret"),
        ('[x]\np12_pass = "tajne"\n', "x.p12_pass"),
        ('[x]\npfxpassword = "tajne"\n', "x.pfxpassword"),
    ],
)
def test_secrets_are_refused_by_key_name_never_showing_the_value(
    tmp_path: Path, text: str, key: str
) -> None:
    err = refusal(tmp_path, text)
    assert key in err.message and "tajne" not in err.text("pl") + err.text("en")
    assert "1234" not in err.text("pl")


def test_target_tables_validate(tmp_path: Path) -> None:
    s = settings_of(tmp_path, GOOD + (
        '[targets.test]\nurl = "https://cez.test/ws"\nca_bundle = ["a.pem", "b.pem"]\n'
        'tls_p12 = "tls.p12"\nwss_p12 = "wss.p12"\nsoap_version = "1.2"\n'
        'password_env = "CER_PASS"\ntls_password_env = "CER_TLS"\nwss_password_env = "CER_WSS"\n'
    ))  # fmt: skip
    assert s.targets["test"]["soap_version"] == "1.2"
    assert s.targets["test"]["ca_bundle"] == ["a.pem", "b.pem"]


def test_looks_secret_spares_environment_variable_names() -> None:
    assert not looks_secret("password_env") and not looks_secret("tls_p12")
    assert not looks_secret("spinner") and not looks_secret("batch_size")
    assert looks_secret("Password") and looks_secret("api-token")


@pytest.mark.parametrize(
    "text,day",
    [("2026-12-01", dt.date(2026, 12, 1)), ("1.12.2026", dt.date(2026, 12, 1)),
     ("31.01.2027", dt.date(2027, 1, 31))],
)  # fmt: skip
def test_parse_date_takes_both_spellings(text: str, day: dt.date) -> None:
    assert parse_date(text, "--as-of") == day


@pytest.mark.parametrize("text", ["31.02.2027", "2026-13-01", "12/01/2027", "jutro"])
def test_parse_date_refuses(text: str) -> None:
    with pytest.raises(ConfigError, match="--as-of"):
        parse_date(text, "--as-of")


def test_limits_reach_the_readers(tmp_path: Path) -> None:
    from cer_loader.ingest.options import WRITER_MAX_COLUMNS
    from cer_loader.pipeline import run

    from rowkit import BASE

    src = tmp_path / "wizyty.csv"
    src.write_text(";".join(BASE) + "\n" + ";".join(BASE.values()) + "\n", encoding="utf-8")
    s = settings_of(tmp_path, GOOD + "[limits]\nmax_file_bytes = 10\n")
    assert s.limits == {"max_file_bytes": 10}
    with pytest.raises(Exception) as info:
        run([src], s)
    assert getattr(info.value, "exit_code", None) == 2 and "10" in str(info.value)
    err = refusal(tmp_path, f"[limits]\nmax_columns = {WRITER_MAX_COLUMNS + 1}\n")
    assert "limits.max_columns" in err.message
    assert "limits.max_rows" in refusal(tmp_path, "[limits]\nmax_rows = 5\n").message
