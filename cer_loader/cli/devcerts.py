"""``cer-loader dev-certs DIR``: throwaway CA, server and client certificates for rehearsals."""

from __future__ import annotations

from pathlib import Path

import click

from cer_loader.cli.common import Argument, Command, _fail, _lang, lang_option
from cer_loader.cli.lang import bi

TEXT = {
    "pl": "Certyfikaty testowe (tylko do prób z emulatorem) w {dir}; hasło .p12: zmienna {env} "
    "(wartość domyślna: {pw}). W cer-loader.toml:",
    "en": "Test certificates (emulator rehearsals only) in {dir}; .p12 password: variable {env} "
    "(default value: {pw}). In cer-loader.toml:",
}


@click.command(
    "dev-certs",
    cls=Command,
    help=bi("Tworzy w KATALOG testowe CA, certyfikaty serwera i klienta (.p12) - tylko do prób "
            "z emulatorem CeR.",
            "Creates a throwaway CA, server and client certificates (.p12) in DIR - for "
            "rehearsals with the CeR emulator only."),
)  # fmt: skip
@click.argument("directory", type=click.Path(path_type=Path), metavar="KATALOG", cls=Argument)
@lang_option
def dev_certs(directory: Path, lang: str | None) -> None:
    from cer_loader.submit.devcerts import ensure_dev_certs

    lang = _lang(lang)
    try:
        c = ensure_dev_certs(directory)
    except Exception as exc:  # noqa: BLE001
        _fail(exc, lang, False)
        return
    click.echo(TEXT[lang].format(dir=c.dir, env=c.password_env, pw=c.password))
    click.echo(
        "\n[targets.emulator]\n"
        'url = "https://127.0.0.1:8443/services/CeRZasilenieWS"\n'
        f'ca_bundle = ["{c.ca_bundle}"]\n'
        f'tls_p12 = "{c.client_tls_p12}"\n'
        f'wss_p12 = "{c.client_wss_p12}"\n'
        f'tls_password_env = "{c.password_env}"\n'
        f'wss_password_env = "{c.password_env}"'
    )
