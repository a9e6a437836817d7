"""``cer-loader provider | slots | readiness | activate | reconcile``: the go-live steps around the
initial load."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from cer_loader.cli.common import (
    Argument,
    Command,
    Progress,
    _fail,
    _lang,
    _settings,
    config_path,
    debug_option,
    lang_option,
)
from cer_loader.cli.golive_send import clients, send_operations, submit_options
from cer_loader.cli.lang import bi

_PATH = click.Path(path_type=Path)


def _shared(fn: Any) -> Any:
    options = [
        click.option("--config", type=_PATH, help=bi("Konfiguracja placówki (domyślnie ./cer-loader.toml).", "Provider configuration (default ./cer-loader.toml).")),
        click.option("--as-of", "as_of", metavar="DATA", help=bi("Data stanu RRRR-MM-DD albo DD.MM.RRRR (domyślnie dziś).", "As-of date YYYY-MM-DD or DD.MM.YYYY (default today).")),
        click.option("--mus", "mus_id", metavar="ID", help=bi("Identyfikator MUŚ: księga-część VII.", "MUŚ id: register book-part VII.")),
        click.option("--scopes", type=_PATH, help=bi("Katalog zakresów (TOML).", "Scope catalogue (TOML).")),
        click.option("--golive", "golive_path", type=_PATH,
                     help=bi("Katalog go-live: rodzaje terminów, horyzont (domyślnie wbudowany).", "Go-live catalogue: slot kinds, horizon (default built in).")),
        click.option("--template-dir", "template_dir", type=_PATH, help=bi("Katalog szablonów operacji CeR.", "Folder of CeR operation templates.")),
        click.option("--schema-dir", "schema_dir", type=_PATH, help=bi("Katalog schematów XSD operacji CeR.", "Folder of CeR operation XSD schemas.")),
        lang_option,
        debug_option,
    ]  # fmt: skip
    for option in reversed(options):
        fn = option(fn)
    return fn


def _paths(opts: dict[str, Any]) -> Any:
    from cer_loader.golive.run import GoLivePaths

    base = GoLivePaths()
    return GoLivePaths(
        template_dir=opts.pop("template_dir") or base.template_dir,
        schema_dir=opts.pop("schema_dir") or base.schema_dir,
        golive=opts.pop("golive_path"),
    )


def _context(opts: dict[str, Any]) -> tuple[Any, Path | None, Any, Path]:
    """What every go-live command needs from its options: the contract paths, the config file,
    the checked settings and the MUŚ's ledger (``--ledger``, else the default beside the
    config). Pops the options it uses."""
    from cer_loader.ledger import default_ledger_path

    paths = _paths(opts)
    given = opts.pop("ledger_path", None)
    config = config_path(dict(opts))
    settings = _settings(opts).checked()
    ledger = Path(given) if given else default_ledger_path(settings.mus_id, config)
    return paths, config, settings, ledger


_LEDGER = click.option("--ledger", "ledger_path", type=_PATH,
                       help=bi("Rejestr wysyłek MUŚ (domyślnie obok cer-loader.toml).", "The MUŚ's submission ledger (default beside cer-loader.toml)."))  # fmt: skip


@click.command(
    cls=Command,
    help=bi(
        "Sprawdza wolne terminy (zapiszSloty): tylko przyszłe, bez nakładania się, pokrycie "
        "trzech miesięcy; tworzy paczki XML i raporty.",
        "Checks free slots (zapiszSloty): future only, no overlaps, three months covered; writes the XML payload and the reports.",
    ),
    epilog="Kody wyjścia: 0 wszystko przyjęte i pokrycie wystarcza · 1 są odrzucenia albo luki "
    "w pokryciu · 2 błąd użycia, konfiguracji lub pliku · 3 błąd krytyczny.\n\n"
    "Przykład: cer-loader slots sample_data/sloty.csv --provider sample_data/placowka.toml "
    "--config sample_data/cer-loader.toml --out wyniki_sloty",
)
@click.argument("inputs", nargs=-1, required=True, type=_PATH, metavar="PLIK...", cls=Argument)
@click.option(
    "--out", "out_dir", type=_PATH, required=True, help=bi("Katalog wyników.", "Output folder.")
)
@click.option(
    "--mapping", type=_PATH, help=bi("Plik mapowania terminów (TOML).", "Slot mapping file (TOML).")
)
@click.option("--provider", "provider_path", type=_PATH,
              help=bi("Plik placówki: harmonogramy, których dotyczą terminy.", "Provider file: the schedules the slots belong to."))  # fmt: skip
@click.option("--quiet", is_flag=True, help=bi("Bez paska postępu.", "No progress bar."))
@_LEDGER
@submit_options
@_shared
def slots(**opts: Any) -> None:
    from cer_loader.golive.console import format_slots
    from cer_loader.golive.run import run_slots

    lang, debug, quiet = _lang(opts["lang"]), opts.pop("debug"), opts.pop("quiet")
    inputs, out_dir = list(opts.pop("inputs")), opts.pop("out_dir")
    mapping, provider = opts.pop("mapping"), opts.pop("provider_path")
    send, target, production = opts.pop("submit"), opts.pop("target"), opts.pop("production")
    try:
        paths, config, settings, ledger = _context(opts)
        done = run_slots(inputs, settings, mapping_path=mapping, provider_path=provider, out_dir=out_dir,
                         paths=paths, progress=Progress(lang, not quiet), ledger_path=ledger)  # fmt: skip
        click.echo(format_slots(done.summary, lang, str(out_dir)))
        code = done.exit_code
        if send:
            with clients(settings, config, target, production, ledger, lang) as client:
                lines, ok = send_operations(["zapiszSloty"], client, settings, ledger, target, lang,
                                            Progress(lang, not quiet))  # fmt: skip
            click.echo("\n".join(lines))
            code = max(code, 0 if ok else 1)
    except Exception as exc:  # noqa: BLE001 - one place turns errors into exit codes
        _fail(exc, lang, debug)
        return
    sys.exit(code)


@click.command(
    cls=Command,
    help=bi(
        "Sprawdza plik placówki (dane MUŚ, punkty mobilne, harmonogramy) i tworzy paczki "
        "zapiszDaneMus, importujMobilnePunktyObslugi i zapiszHarmonogram.",
        "Checks the provider file (MUŚ data, mobile points, schedules) and writes the zapiszDaneMus, importujMobilnePunktyObslugi and zapiszHarmonogram payloads.",
    ),
    epilog="Kody wyjścia: 0 plik poprawny · 1 plik ma problemy (nic nie przygotowano) · 2 błąd "
    "użycia lub konfiguracji · 3 błąd krytyczny.\n\nPrzykład: cer-loader provider "
    "sample_data/placowka.toml --config sample_data/cer-loader.toml --out wyniki_placowka",
)
@click.argument("provider_path", type=_PATH, metavar="PLIK", cls=Argument)
@click.option(
    "--out", "out_dir", type=_PATH, required=True, help=bi("Katalog wyników.", "Output folder.")
)
@_LEDGER
@submit_options
@_shared
def provider(**opts: Any) -> None:
    from cer_loader.golive.console import format_provider
    from cer_loader.golive.run import run_provider

    lang, debug = _lang(opts["lang"]), opts.pop("debug")
    path, out_dir = opts.pop("provider_path"), opts.pop("out_dir")
    send, target, production = opts.pop("submit"), opts.pop("target"), opts.pop("production")
    try:
        paths, config, settings, ledger = _context(opts)
        done = run_provider(path, settings, out_dir=out_dir, paths=paths, ledger_path=ledger)
        rules = paths.rules("provider_rules.toml")
        problems = [(p.where, p.code, rules[p.code].message(lang).replace("{value}", p.value))
                    for p in done.problems]  # fmt: skip
        click.echo(format_provider(done.summary, problems, lang))
        code = done.exit_code
        if send and not done.problems:
            with clients(settings, config, target, production, ledger, lang) as client:
                lines, ok = send_operations(["zapiszDaneMus", "importujMobilnePunktyObslugi", "zapiszHarmonogram"],
                                            client, settings, ledger, target, lang, Progress(lang, True))  # fmt: skip
            click.echo("\n".join(lines))
            code = max(code, 0 if ok else 1)
    except Exception as exc:  # noqa: BLE001
        _fail(exc, lang, debug)
        return
    sys.exit(code)


@click.command(
    cls=Command,
    help=bi(
        "Gotowość MUŚ do aktywacji: sześć kroków przewodnika CeR według tego, co CeR przyjęło "
        "(rejestr wysyłek); wypisuje, czego brakuje i jak to uzupełnić, oraz readiness.html.",
        "The MUŚ's readiness for activation: the six steps of the CeR guide from what CeR accepted (the ledger); says what is missing and how to fix it, and writes readiness.html.",
    ),
    epilog="Kody wyjścia: 0 gotowe do aktywacji · 1 czegoś brakuje · 2 błąd użycia lub "
    "konfiguracji.\n\nPrzykład: cer-loader readiness --config sample_data/cer-loader.toml "
    "--provider sample_data/placowka.toml --out wyniki_gotowosc",
)
@click.option(
    "--provider",
    "provider_path",
    type=_PATH,
    help=bi("Plik placówki (punkty mobilne).", "Provider file (mobile points)."),
)
@click.option(
    "--out",
    "out_dir",
    type=_PATH,
    help=bi("Katalog na readiness.html.", "Folder for readiness.html."),
)
@_LEDGER
@_shared
def readiness(**opts: Any) -> None:
    import datetime as dt

    from cer_loader.golive.catalogue import load_golive
    from cer_loader.golive.provider import load_provider
    from cer_loader.golive.readiness import (
        checklist,
        format_checklist,
        gather,
        is_ready,
        readiness_html,
    )

    lang, debug = _lang(opts["lang"]), opts.pop("debug")
    provider_path, out_dir = opts.pop("provider_path"), opts.pop("out_dir")
    try:
        paths, _, settings, ledger = _context(opts)
        golive = load_golive(paths.golive)
        points, required = 0, False
        if provider_path is not None:
            prov = load_provider(provider_path)
            points = len(prov.mobile_points)
            required = bool(set(map(str, prov.mus.get("scopes", []))) & golive.mobile_point_scopes)
        facts = gather(ledger, settings.mus_id, settings.as_of, mobile_points_declared=points,
                       mobile_points_required=required)  # fmt: skip
        steps = checklist(facts, golive)
        if out_dir is not None:
            from cer_loader.files import write_private

            Path(out_dir).mkdir(parents=True, exist_ok=True)
            html = readiness_html(steps, mus_id=settings.mus_id, as_of=settings.as_of, ledger=str(ledger),
                                  lang=lang, template_dir=paths.template_dir,
                                  created=dt.datetime.now().strftime("%Y-%m-%d %H:%M"))  # fmt: skip
            write_private(Path(out_dir) / "readiness.html", html.encode("utf-8"))
    except Exception as exc:  # noqa: BLE001
        _fail(exc, lang, debug)
        return
    click.echo(format_checklist(steps, settings.mus_id, lang))
    if out_dir is not None:
        click.echo(f"{'Raport' if lang != 'en' else 'Report'}: {Path(out_dir) / 'readiness.html'}")
    sys.exit(0 if is_ready(steps) else 1)


@click.command(
    cls=Command,
    help=bi(
        "Monitorowanie zgodności: porównuje bieżący eksport z tym, co CeR przechowuje (rejestr "
        "wysyłek, a dla emulatora także jego magazyn): brak w CeR, odwołane lub przeniesione lokalnie, "
        "różne (termin, zakres, pacjent, kategoria).",
        "Sync monitoring: compares a current export with what CeR holds (the ledger, and the emulator's store): missing in CeR, cancelled or moved locally, different (start, scope, patient, category).",
    ),
    epilog="Kody wyjścia: 0 zgodne · 1 niezgodne · 2 błąd użycia, konfiguracji lub pliku.\n\n"
    "Przykład (codziennie z crona): cer-loader reconcile eksport.csv --mapping mapping.toml "
    "--config cer-loader.toml --out zgodnosc",
)
@click.argument("inputs", nargs=-1, required=True, type=_PATH, metavar="PLIK...", cls=Argument)
@click.option(
    "--mapping",
    type=_PATH,
    help=bi("Plik mapowania eksportu (TOML).", "Mapping file of the export (TOML)."),
)
@click.option(
    "--out",
    "out_dir",
    type=_PATH,
    help=bi(
        "Katalog wyników (reconcile.csv, summary.json, report.html).",
        "Output folder (reconcile.csv, summary.json, report.html).",
    ),
)
@click.option("--emulator-store", "emulator_store", type=_PATH,
              help=bi("Magazyn emulatora CeR: sprawdź też, co CeR sam wymienia.", "The CeR emulator's store: also check what CeR itself lists."))  # fmt: skip
@_LEDGER
@_shared
def reconcile(**opts: Any) -> None:
    from cer_loader.golive.reconcile import format_reconcile, run_reconcile

    lang, debug = _lang(opts["lang"]), opts.pop("debug")
    inputs, mapping, out_dir, store = (
        list(opts.pop("inputs")),
        opts.pop("mapping"),
        opts.pop("out_dir"),
        opts.pop("emulator_store"),
    )
    try:
        _, _, settings, ledger = _context(opts)
        listing = None
        if store is not None:
            from cer_loader.emulator import list_records

            listing = list_records(Path(store))
        summary = run_reconcile(inputs, mus_id=settings.mus_id, as_of=settings.as_of,
                                ledger_path=ledger, mapping_path=mapping,
                                identifiers=settings.identifiers, out_dir=out_dir, cer_listing=listing,
                                lang=lang)  # fmt: skip
    except Exception as exc:  # noqa: BLE001
        _fail(exc, lang, debug)
        return
    click.echo(format_reconcile(summary, lang))
    sys.exit(int(summary["exit_code"]))


@click.command(
    cls=Command,
    help=bi(
        "Aktywuje MUŚ w CeR (aktywujMus) - tylko gdy gotowość jest pełna, albo z --override "
        '"uzasadnienie" (wpisywane potwierdzenie MUŚ; uzasadnienie trafia do paczki i rejestru).',
        "Activates the MUŚ in CeR (aktywujMus) only when readiness is complete, or with --override REASON (typed MUŚ confirmation; the reason goes into the payload and the ledger).",
    ),
    epilog="Kody wyjścia: 0 MUŚ aktywne · 1 niegotowe lub CeR nie przyjęło · 2 błąd użycia.\n\n"
    "Przykład: cer-loader activate --config sample_data/cer-loader.toml --provider "
    "sample_data/placowka.toml --out wyniki_aktywacja",
)
@click.option(
    "--out",
    "out_dir",
    type=_PATH,
    required=True,
    help=bi("Katalog wyników (paczka aktywujMus).", "Output folder (the aktywujMus payload)."),
)
@click.option(
    "--provider",
    "provider_path",
    type=_PATH,
    help=bi("Plik placówki (punkty mobilne).", "Provider file (mobile points)."),
)
@click.option(
    "--override",
    default="",
    metavar="UZASADNIENIE",
    help=bi(
        "Uzasadnienie aktywacji mimo niepełnej gotowości.",
        "Reason for activating although readiness is incomplete.",
    ),
)
@_LEDGER
@submit_options
@_shared
def activate(**opts: Any) -> None:
    from cer_loader.golive.catalogue import load_golive
    from cer_loader.golive.provider import load_provider
    from cer_loader.golive.readiness import checklist, format_checklist, gather, is_ready
    from cer_loader.golive.run import run_activation

    lang, debug = _lang(opts["lang"]), opts.pop("debug")
    out_dir, provider_path, override = (
        opts.pop("out_dir"),
        opts.pop("provider_path"),
        opts.pop("override"),
    )
    opts.pop("submit")
    target, production = opts.pop("target"), opts.pop("production")
    try:
        paths, config, settings, ledger = _context(opts)
        golive = load_golive(paths.golive)
        points = len(load_provider(provider_path).mobile_points) if provider_path else 0
        steps = checklist(
            gather(ledger, settings.mus_id, settings.as_of, mobile_points_declared=points), golive
        )
        ready = is_ready(steps)
        if not ready:
            click.echo(format_checklist(steps, settings.mus_id, lang))
            if override:
                typed = click.prompt("Wpisz identyfikator MUŚ, aby aktywować mimo braków" if lang != "en"
                                     else "Type the MUŚ id to activate despite what is missing",
                                     default="", show_default=False, err=True)  # fmt: skip
                if str(typed).strip() != settings.mus_id:
                    from cer_loader.errors import UsageError

                    raise UsageError("nie potwierdzono identyfikatora MUŚ - nic nie wysłano",
                                     "the MUŚ id was not confirmed - nothing sent")  # fmt: skip
        run_activation(
            settings,
            out_dir=out_dir,
            ledger_path=ledger,
            ready=ready,
            override=override,
            paths=paths,
        )
        with clients(settings, config, target, production, ledger, lang) as client:
            lines, ok = send_operations(
                ["aktywujMus"], client, settings, ledger, target, lang, Progress(lang, True)
            )
        click.echo("\n".join(lines))
    except Exception as exc:  # noqa: BLE001
        _fail(exc, lang, debug)
        return
    sys.exit(0 if ok else 1)


COMMANDS = (slots, provider, readiness, reconcile, activate)
