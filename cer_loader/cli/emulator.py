"""``cer-loader emulator``: the local CeR for rehearsals (HTTPS on loopback), or ``--list`` of
what its store holds."""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

import click

from cer_loader.cli.common import _fail

TEXT = {
    "pl": {
        "up": "Emulator CeR działa: {url}\n  WSDL: {url}?wsdl\n  certyfikaty: {certs} "
        "(hasło .p12 w zmiennej {env})\n  magazyn: {store}\nCtrl-C kończy.",
        "down": "Emulator zatrzymany.",
    },
    "en": {
        "up": "CeR emulator running: {url}\n  WSDL: {url}?wsdl\n  certificates: {certs} "
        "(.p12 password in {env})\n  store: {store}\nCtrl-C stops it.",
        "down": "Emulator stopped.",
    },
}


@click.command(help="Lokalny emulator CeR (HTTPS z certyfikatem klienta, tylko 127.0.0.1).")
@click.option(
    "--port",
    type=int,
    default=8443,
    show_default=True,
    help="port na 127.0.0.1 / port on 127.0.0.1",
)
@click.option("--store", type=click.Path(path_type=Path), required=True, help="plik SQLite")
@click.option("--faults", default="", help="KIND:RATE,... (latency:MS, busy, reset-before, ...)")
@click.option("--certs", type=click.Path(path_type=Path), default=None, help="katalog dev-certs")
@click.option("--seed", type=int, default=0, help="ziarno losowania usterek")
@click.option("--hang", type=float, default=30.0, help="timeout-after: sekundy bez odpowiedzi")
@click.option("--list", "list_", is_flag=True, help="wypisz rekordy z magazynu (CSV)")
@click.option(
    "--lang", type=click.Choice(["pl", "en"]), default="pl", help="język komunikatów / language"
)
def emulator(
    port: int,
    store: Path,
    faults: str,
    certs: Path | None,
    seed: int,
    hang: float,
    list_: bool,
    lang: str,
) -> None:
    from cer_loader import emulator as emu
    from cer_loader.emulator.faults import FaultSpecError

    if list_:
        if not store.is_file():
            click.echo(f"error: {store}: no such store", err=True)
            sys.exit(2)
        out = csv.writer(sys.stdout, lineterminator="\n")
        for row in emu.list_records(store):
            out.writerow(row)
        return
    try:
        handle = emu.start_in_process(store, faults=faults, certs_dir=certs, port=port, seed=seed,
                                      hang_s=hang)  # fmt: skip
    except FaultSpecError as exc:
        raise click.BadParameter(str(exc), param_hint="--faults") from None
    except Exception as exc:  # noqa: BLE001
        _fail(exc, lang, False)
        return
    t = TEXT[lang]
    click.echo(t["up"].format(url=handle.url, certs=handle.certs.dir, env=handle.certs.password_env,
                              store=store))  # fmt: skip
    try:
        while handle.thread.is_alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()
        click.echo(t["down"])
