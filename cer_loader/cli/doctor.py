"""``cer-loader doctor``: is this machine and configuration ready for go-live? Each check says
in plain words what is wrong and what to do; exit 0 all fine, 1 something to fix, 2 usage."""

from __future__ import annotations

import shutil
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import click

from cer_loader.cli.common import PATH, Command, _lang, config_path, echo, lang_option
from cer_loader.cli.lang import bi

LIBRARIES = ("pandas", "pyarrow", "lxml", "python-calamine", "openpyxl", "click", "tqdm")
MIN_FREE = 1 << 30  # 1 GiB
TEXT = {
    "pl": {"ok": "OK", "bad": "BŁĄD", "warn": "UWAGA", "skip": "POMINIĘTO",
           "no_targets": "brak [targets.*] w konfiguracji: wysyłka do wbudowanego emulatora "
           "(certyfikaty deweloperskie), certyfikatów P1 nie sprawdzono",
           "skipped": " Pominięte sprawdzenia: {n}.", "password": "Hasło do {env}", "python": "Python {v} (wymagany ≥ 3.11)",
           "lib": "biblioteka {name} {v}", "missing": "brak biblioteki {name}: zainstaluj ponownie cer-loader",
           "config": "konfiguracja {path}: MUŚ {mus}", "no_config": "brak pliku konfiguracji: podaj "
           "--config albo utwórz ./cer-loader.toml", "mapping": "plik mapowania {path}",
           "write": "zapis w {path}", "disk": "wolne miejsce w {path}: {gb:.1f} GiB (zalecane ≥ 1 GiB)",
           "summary_ok": "Wszystko gotowe.", "summary_bad": "Do poprawy: {n}."},
    "en": {"ok": "OK", "bad": "FAIL", "warn": "WARNING", "skip": "SKIPPED",
           "no_targets": "no [targets.*] in the configuration: submission goes to the embedded "
           "emulator (dev certificates), no P1 certificate checked",
           "skipped": " Checks skipped: {n}.", "password": "Password for {env}", "python": "Python {v} (3.11 or later needed)",
           "lib": "library {name} {v}", "missing": "library {name} missing: reinstall cer-loader",
           "config": "configuration {path}: MUŚ {mus}", "no_config": "no configuration file: give "
           "--config or create ./cer-loader.toml", "mapping": "mapping file {path}",
           "write": "writing in {path}", "disk": "free space in {path}: {gb:.1f} GiB (1 GiB or more advised)",
           "summary_ok": "All ready.", "summary_bad": "To fix: {n}."},
}  # fmt: skip


@click.command(
    cls=Command,
    help=bi("Sprawdza komputer i konfigurację przed uruchomieniem produkcyjnym: wersje, pliki "
            "konfiguracji i mapowania, certyfikaty celów wysyłki (daty ważności, klucz, łańcuch "
            "do pakietu CA; hasło ze zmiennej środowiska celu), prawo zapisu, wolne miejsce. "
            "Kod wyjścia 0: gotowe, 1: coś do poprawy.",
            "Checks the machine and the configuration before go-live: versions, configuration "
            "and mapping files, the submission targets' certificates (validity dates, key, "
            "chain to the CA bundle; password from the target's environment variable), write "
            "permission, free disk. Exit code 0: ready, 1: something to fix."),
)  # fmt: skip
@click.option("--config", type=PATH, metavar="PLIK",
              help=bi("Konfiguracja placówki (domyślnie ./cer-loader.toml).",
                      "Provider configuration (default ./cer-loader.toml)."))  # fmt: skip
@click.option(
    "--mapping",
    type=PATH,
    metavar="PLIK",
    help=bi("Plik mapowania do sprawdzenia.", "Mapping file to check."),
)
@click.option("--out", "out_dir", type=PATH, metavar="KATALOG", default=Path("."),
              help=bi("Katalog wyników, w którym trzeba móc pisać (domyślnie bieżący).",
                      "Output folder that must be writable (default the current one)."))  # fmt: skip
@click.option("--ask-passwords", is_flag=True,
              help=bi("Na terminalu zapytaj o hasło .p12, którego zmienna nie jest ustawiona "
                      "(bez tej opcji taki certyfikat jest pomijany).",
                      "On a terminal, ask for a .p12 password whose variable is not set "
                      "(without it such a certificate is skipped)."))  # fmt: skip
@lang_option
def doctor(
    config: Path | None, mapping: Path | None, out_dir: Path, ask_passwords: bool,
    lang: str | None,
) -> None:  # fmt: skip
    from cer_loader.errors import CerLoaderError
    from cer_loader.ledger import default_ledger_path
    from cer_loader.mapping import load_mapping
    from cer_loader.preflight import _usable_folder
    from cer_loader.settings import load_settings

    language = _lang(lang)
    t = TEXT[language]
    bad = skipped = 0

    def line(ok: bool | str, text: str) -> None:
        nonlocal bad, skipped
        status = ok if isinstance(ok, str) else ("ok" if ok else "bad")
        bad += status in ("bad", "warn")
        skipped += status == "skip"
        echo(f"  [{t[status]}] {text}")

    v = sys.version_info
    line(v >= (3, 11), t["python"].format(v=f"{v.major}.{v.minor}.{v.micro}"))
    for name in LIBRARIES:
        try:
            line(True, t["lib"].format(name=name, v=version(name)))
        except PackageNotFoundError:
            line(False, t["missing"].format(name=name))
    cfg = config_path({"config": config})
    mus = ""
    if cfg is None:
        line(False, t["no_config"])
    else:
        try:
            settings = load_settings(cfg, {}).checked()
            mus = settings.mus_id
            line(True, t["config"].format(path=cfg, mus=mus))
        except CerLoaderError as exc:
            line(False, exc.text(language))
        else:
            for status, text in _certificates(cfg, language, ask_passwords):
                line(status, text)
    if mapping is not None:
        try:
            load_mapping(mapping)
            line(True, t["mapping"].format(path=mapping))
        except CerLoaderError as exc:
            line(False, exc.text(language))
    places = [out_dir]
    if mus:
        places.append(default_ledger_path(mus, cfg).parent)
    for place in places:
        try:
            _usable_folder(place)
            line(True, t["write"].format(path=place))
        except CerLoaderError as exc:
            line(False, exc.text(language).replace("--out ", ""))
            continue
        free = shutil.disk_usage(place).free
        line(free >= MIN_FREE, t["disk"].format(path=place, gb=free / (1 << 30)))
    tail = t["skipped"].format(n=skipped) if skipped else ""
    echo((t["summary_ok"] if not bad else t["summary_bad"].format(n=bad)) + tail)
    sys.exit(1 if bad else 0)


def _certificates(cfg: Path, language: str, ask_passwords: bool) -> list[tuple[str, str]]:
    """(status, line) for every certificate of every configured target."""
    from cer_loader.errors import CerLoaderError
    from cer_loader.settings import load_config
    from cer_loader.submit.certcheck import check_target
    from cer_loader.submit.targets import load_targets

    t = TEXT[language]
    try:
        targets = load_targets(load_config(cfg), cfg.parent)
    except CerLoaderError as exc:
        return [("bad", exc.text(language))]
    if not targets:
        return [("ok", t["no_targets"])]

    def ask(env: str) -> str | None:
        value = click.prompt(t["password"].format(env=env), hide_input=True, default="",
                             show_default=False, err=True)  # fmt: skip
        return str(value) or None

    prompt = ask if ask_passwords and sys.stdin.isatty() else None
    return [
        (f.status, f.text(language))
        for target in targets.values()
        for f in check_target(target, ask=prompt)
    ]
