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
    "pl": {"ok": "OK", "bad": "BŁĄD", "python": "Python {v} (wymagany ≥ 3.11)",
           "lib": "biblioteka {name} {v}", "missing": "brak biblioteki {name}: zainstaluj ponownie cer-loader",
           "config": "konfiguracja {path}: MUŚ {mus}", "no_config": "brak pliku konfiguracji: podaj "
           "--config albo utwórz ./cer-loader.toml", "mapping": "plik mapowania {path}",
           "write": "zapis w {path}", "disk": "wolne miejsce w {path}: {gb:.1f} GiB (zalecane ≥ 1 GiB)",
           "summary_ok": "Wszystko gotowe.", "summary_bad": "Do poprawy: {n}."},
    "en": {"ok": "OK", "bad": "FAIL", "python": "Python {v} (3.11 or later needed)",
           "lib": "library {name} {v}", "missing": "library {name} missing: reinstall cer-loader",
           "config": "configuration {path}: MUŚ {mus}", "no_config": "no configuration file: give "
           "--config or create ./cer-loader.toml", "mapping": "mapping file {path}",
           "write": "writing in {path}", "disk": "free space in {path}: {gb:.1f} GiB (1 GiB or more advised)",
           "summary_ok": "All ready.", "summary_bad": "To fix: {n}."},
}  # fmt: skip


@click.command(
    cls=Command,
    help=bi("Sprawdza komputer i konfigurację przed uruchomieniem produkcyjnym: wersje, pliki "
            "konfiguracji i mapowania, prawo zapisu, wolne miejsce.",
            "Checks the machine and the configuration before go-live: versions, configuration "
            "and mapping files, write permission, free disk."),
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
@lang_option
def doctor(config: Path | None, mapping: Path | None, out_dir: Path, lang: str | None) -> None:
    from cer_loader.errors import CerLoaderError
    from cer_loader.ledger import default_ledger_path
    from cer_loader.mapping import load_mapping
    from cer_loader.preflight import _usable_folder
    from cer_loader.settings import load_settings

    language = _lang(lang)
    t = TEXT[language]
    bad = 0

    def line(ok: bool, text: str) -> None:
        nonlocal bad
        bad += not ok
        echo(f"  [{t['ok'] if ok else t['bad']}] {text}")

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
    echo(t["summary_ok"] if not bad else t["summary_bad"].format(n=bad))
    sys.exit(1 if bad else 0)
