"""``cer-loader emulator``: the local CeR for rehearsals (HTTPS on loopback), or ``--list`` of
what its store holds."""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

import click

from cer_loader.cli.common import Command, _fail, _lang, lang_option
from cer_loader.cli.lang import bi

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


@click.command(
    cls=Command,
    help=bi("Lokalny emulator CeR do prób wysyłki (HTTPS z certyfikatem klienta, tylko "
            "127.0.0.1); --list wypisuje, co przechowuje.",
            "A local CeR emulator to rehearse submission against (HTTPS with client "
            "certificates, 127.0.0.1 only); --list prints what it holds."),
)  # fmt: skip
@click.option("--port", type=click.IntRange(0, 65535), default=8443, show_default=True,
              metavar="N",
              help=bi("Port na 127.0.0.1 (0: dowolny wolny).",
                      "Port on 127.0.0.1 (0: any free one)."))  # fmt: skip
@click.option("--store", type=click.Path(path_type=Path), required=True, metavar="PLIK",
              help=bi("Plik SQLite, w którym emulator trzyma przyjęte rekordy.",
                      "SQLite file where the emulator keeps the records it accepted."))  # fmt: skip
@click.option("--faults", default="", metavar="USTERKI",
              help=bi("Usterki do wstrzyknięcia: RODZAJ:UDZIAŁ,... (latency:MS, busy, "
                      "reset-before, timeout-after, ...).",
                      "Faults to inject: KIND:RATE,... (latency:MS, busy, reset-before, "
                      "timeout-after, ...)."))  # fmt: skip
@click.option("--certs", type=click.Path(path_type=Path), default=None, metavar="KATALOG",
              help=bi("Katalog certyfikatów z cer-loader dev-certs (domyślnie tworzony obok "
                      "magazynu).",
                      "Certificate folder from cer-loader dev-certs (default: created beside "
                      "the store)."))  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True, metavar="N",
              help=bi("Ziarno losowania usterek.", "Random seed of the faults."))  # fmt: skip
@click.option("--hang", type=float, default=30.0, show_default=True, metavar="SEKUNDY",
              help=bi("Usterka timeout-after: ile sekund bez odpowiedzi.",
                      "Fault timeout-after: how many seconds without an answer."))  # fmt: skip
@click.option("--list", "list_", is_flag=True,
              help=bi("Wypisuje rekordy z magazynu (CSV) i kończy.",
                      "Prints the store's records (CSV) and exits."))  # fmt: skip
@lang_option
def emulator(
    port: int,
    store: Path,
    faults: str,
    certs: Path | None,
    seed: int,
    hang: float,
    list_: bool,
    lang: str | None,
) -> None:
    from cer_loader import emulator as emu
    from cer_loader.emulator.faults import FaultSpecError

    lang = _lang(lang)
    if list_:
        if not store.is_file():
            word = "brak magazynu" if lang == "pl" else "no such store"
            click.echo(f"{'błąd' if lang == 'pl' else 'error'}: {store}: {word}", err=True)
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
