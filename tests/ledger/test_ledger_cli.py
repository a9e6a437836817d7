"""The ledger found without a flag, and ``cer-loader status``."""

from __future__ import annotations

import stat
from pathlib import Path

from click.testing import CliRunner
from fake_client import MUS, FakeCeR, make_ledger

from cer_loader.cli import cli
from cer_loader.ledger import default_ledger_path, open_ledger
from cer_loader.submit.orchestrate import submit

from conftest import SAMPLE

ARGS = ["--mapping", str(SAMPLE / "mapping.toml"), "--config", str(SAMPLE / "cer-loader.toml")]


def test_default_place_is_beside_the_config_per_mus(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("CER_LOADER_LEDGER_DIR")
    cfg = tmp_path / "site" / "cer-loader.toml"
    assert default_ledger_path(MUS, cfg) == (
        tmp_path / "site" / ".cer-loader" / f"ledger-{MUS}.sqlite"
    )


def test_ledger_file_is_private_wal_full_and_owned_by_one_mus(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "l.sqlite", MUS)
    assert ledger is not None
    with ledger:
        assert stat.S_IMODE((tmp_path / "l.sqlite").stat().st_mode) == 0o600
        assert ledger._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert ledger._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    import pytest

    from cer_loader.errors import ConfigError

    with pytest.raises(ConfigError, match="000000927722-002"):
        open_ledger(tmp_path / "l.sqlite", "000000927722-002")


def test_a_new_out_folder_finds_the_same_ledger(tmp_path: Path, _own_ledgers: Path) -> None:
    r1 = CliRunner().invoke(
        cli, ["run", str(SAMPLE / "wizyty_poradnia.csv"), *ARGS, "--out", str(tmp_path / "a")]
    )
    assert r1.exit_code == 1
    path = _own_ledgers / f"ledger-{MUS}.sqlite"
    ledger = open_ledger(path, MUS)
    assert ledger is not None
    with ledger:  # CeR accepts the first run's batch (the fake client stands in)
        batch = ledger.batches()[0]
        cer = FakeCeR()
        cer.send_batch = lambda bid, xml, ctx: cer._process(  # type: ignore[method-assign]
            bid, "".join(f"{r.key},{r.appointment_id}\n" for r in ledger.records(batch)).encode()
        )
        submit(ledger, cer, target="fake", context={}, sleep=lambda s: None)
        assert [b.state for b in ledger.batches()] == ["ACCEPTED"]
    r2 = CliRunner().invoke(
        cli, ["run", str(SAMPLE / "wizyty_poradnia.csv"), *ARGS, "--out", str(tmp_path / "b")]
    )
    assert r2.exit_code == 1 and not list((tmp_path / "b" / "payload").glob("*.xml"))
    assert "przyjęte wcześniej (już w paczkach, pominięte): 27" in r2.output


def test_status_lists_batches_and_counts(tmp_path: Path) -> None:
    ledger, _ = make_ledger(tmp_path, [["A1", "A2"], ["A3"]])
    with ledger:
        submit(ledger, FakeCeR(refuse={"A3"}), target="fake", context={}, sleep=lambda s: None)
    r = CliRunner().invoke(
        cli, ["status", "--ledger", str(tmp_path / "ledger.sqlite"), "--attempts"]
    )
    assert r.exit_code == 0, r.output
    assert "B1" in r.output and "ACCEPTED" in r.output and "REFUSED" in r.output
    assert "przyjęte przez CeR 2, odrzucone przez CeR 1, oczekujące 0" in r.output
    assert "http=200" in r.output
    r = CliRunner().invoke(cli, ["status", "--mus", MUS, "--lang", "en"])
    assert r.exit_code == 0 and "no submission ledger" in r.output
