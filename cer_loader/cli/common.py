"""What every command shares: bilingual command classes, the common options, the progress bar,
errors to exit codes.

Exit codes: 0 all rows accepted · 1 some rows rejected or nothing loaded · 2 usage, configuration
or input error · 3 fatal · 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

from cer_loader.cli.lang import bi, choose, click_text, lang, set_lang, tr, usage
from cer_loader.errors import CerLoaderError, printable

CONFIG_NAME = "cer-loader.toml"
UI: dict[str, dict[str, str]] = {
    "pl": {
        "error": "błąd",
        "fatal": "nieoczekiwany błąd ({kind}); szczegóły: uruchom ponownie z --debug",
        "interrupted": "przerwano (Ctrl-C); wyniki tego przebiegu nie zostały zapisane w całości "
        "- uruchom go ponownie",
    },
    "en": {
        "error": "error",
        "fatal": "unexpected error ({kind}); for details run again with --debug",
        "interrupted": "interrupted (Ctrl-C); this run's outputs were not written in full "
        "- run it again",
    },
}
STAGES: dict[str, dict[str, tuple[str, str]]] = {  # stage: label, unit
    "pl": {"read": ("Wczytywanie", " wierszy"), "read_messages": ("Wczytywanie", " wiadomości"),
           "read_files": ("Wczytywanie", " plików"),
           "validate": ("Walidacja", " wierszy"),
           "render": ("Paczki XML", " wizyt"), "report": ("Raporty", " wierszy"),
           "submit": ("Wysyłka CeR", " wizyt")},
    "en": {"read": ("Reading", " rows"), "read_messages": ("Reading", " messages"),
           "read_files": ("Reading", " files"),
           "validate": ("Validating", " rows"),
           "render": ("XML batches", " visits"), "report": ("Reports", " rows"),
           "submit": ("Sending to CeR", " visits")},
}  # fmt: skip


@contextmanager
def _translated(cmd: click.Command) -> Iterator[None]:
    """Swap our Polish texts for English ones while ``cmd`` formats help or usage."""
    objs: list[Any] = [cmd, *cmd.params]
    if isinstance(cmd, click.Group):
        objs += list(cmd.commands.values())
    saved = [(o, {k: getattr(o, k, None) for k in ("help", "short_help", "epilog", "metavar")})
             for o in objs]  # fmt: skip
    try:
        for o, attrs in saved:
            for k, v in attrs.items():
                if isinstance(v, str):
                    setattr(o, k, tr(v))
        yield
    finally:
        for o, attrs in saved:
            for k, v in attrs.items():
                if hasattr(o, k):
                    setattr(o, k, v)


@contextmanager
def _type_metavars(cmd: click.Command, ctx: click.Context) -> Iterator[None]:
    """Options without a metavar of their own show their type's name, which click translated
    when the type was built (at import, in Polish): in the current language while ``cmd``
    formats its help."""
    unset = [o for o in cmd.params if isinstance(o, click.Option) and o.metavar is None]
    try:
        for o in unset:
            o.metavar = usage(o.make_metavar(ctx))
        yield
    finally:
        for o in unset:
            o.metavar = None


class Argument(click.Argument):
    """An argument whose metavar (in usage errors too) follows ``--lang``."""

    def make_metavar(self, *args: Any, **kwargs: Any) -> str:
        return usage(super().make_metavar(*args, **kwargs))


class _Bilingual:
    """Help, usage line and metavars of a command or group follow ``--lang``."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with _translated(self), _type_metavars(self, ctx):  # type: ignore[arg-type]
            super().format_help(ctx, formatter)  # type: ignore[misc]

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return [usage(p) for p in super().collect_usage_pieces(ctx)]  # type: ignore[misc]

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option: click.Option | None = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:  # click builds it once; its text follows the language now
            option.help = click_text("Show this message and exit.")
        return option


class Command(_Bilingual, click.Command):
    """A command that speaks the chosen language."""


class Group(_Bilingual, click.Group):
    """The top-level group: picks the language from the arguments before parsing them."""

    command_class = Command

    def main(self, args: Any = None, *a: Any, **kw: Any) -> Any:
        choose(list(sys.argv[1:] if args is None else args))
        return super().main(args, *a, **kw)


def _set_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    return set_lang(value or lang())


def lang_option(fn: Any) -> Any:
    return click.option(
        "--lang", type=click.Choice(["pl", "en"]), default=None, callback=_set_lang,
        is_eager=True, metavar="[pl|en]",
        help=bi("Język komunikatów: pl (domyślnie) albo en; także zmienna CER_LOADER_LANG.",
                "Language of messages: pl (default) or en; also the CER_LOADER_LANG variable."),
    )(fn)  # fmt: skip


def debug_option(fn: Any) -> Any:
    return click.option(
        "--debug", is_flag=True,
        help=bi("Przy nieoczekiwanym błędzie pełny ślad (bez danych osobowych).",
                "On an unexpected error, the full traceback (no personal data)."),
    )(fn)  # fmt: skip


class Progress:
    """A progress bar per stage (tqdm) on stderr, only when stderr is a terminal; the
    pipeline calls it as ``progress(stage, done, total)``. A stage's bar closes when ``done``
    reaches ``total``; a repeated final call of that stage draws nothing more."""

    def __init__(self, language: str, enabled: bool, stream: Any = None) -> None:
        self.lang = language
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and (stream is not None or sys.stderr.isatty())
        self.stage = ""
        self.finished = ""  # the stage whose bar was completed last
        self.bar: Any = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or total < 1:
            return
        if self.bar is None and stage == self.finished and done >= total:
            return
        from tqdm import tqdm

        if stage != self.stage or self.bar is None:
            self.close()
            label, unit = STAGES[self.lang].get(stage, (stage, ""))
            self.stage = stage
            self.bar = tqdm(
                total=total, desc=f"{label:<12}", file=self.stream,
                unit=unit, leave=True, dynamic_ncols=True, mininterval=0.2,
            )  # fmt: skip
        if total != self.bar.total:
            self.bar.total = total
        self.bar.n = min(done, total)
        self.bar.refresh()
        if done >= total:
            self.finished = stage
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
            self.stage = ""


def _lang(value: str | None) -> str:
    return "en" if (value or lang()) == "en" else "pl"


def echo(text: str, err: bool = False) -> None:
    """Print a line we composed: control characters from file names never reach the terminal."""
    click.echo("\n".join(printable(line) for line in text.split("\n")), err=err)


def config_path(opts: dict[str, Any]) -> Path | None:
    """``--config`` (left in ``opts``), else ``./cer-loader.toml`` when the working folder has
    one."""
    config = opts.get("config")
    if config is None and Path(CONFIG_NAME).is_file():
        config = Path(CONFIG_NAME)
    return Path(config) if config is not None else None


def _settings(opts: dict[str, Any]) -> Any:
    """Settings from ``--config`` (or ./cer-loader.toml) and the options given (go-live
    commands; ``run`` lets the library decide)."""
    from cer_loader.settings import load_settings, parse_date

    config = config_path(opts)
    opts.pop("config", None)
    if opts.get("as_of"):
        opts["as_of"] = parse_date(opts["as_of"], "--as-of")
    if "lang" in opts:
        opts["lang"] = _lang(opts["lang"])
    return load_settings(config, opts)


def _fail(exc: BaseException, language: str, debug: bool) -> NoReturn:
    """The one place that turns an exception into a line on stderr and an exit code."""
    if isinstance(exc, SystemExit):
        raise exc
    if isinstance(exc, KeyboardInterrupt):
        echo(f"{UI[language]['error']}: {UI[language]['interrupted']}", err=True)
        sys.exit(130)
    if isinstance(exc, CerLoaderError):
        echo(f"{UI[language]['error']}: {exc.text(language)}", err=True)
        sys.exit(exc.exit_code)
    if debug:
        raise exc
    echo(f"{UI[language]['error']}: " + UI[language]["fatal"].format(kind=type(exc).__name__),
         err=True)  # fmt: skip
    sys.exit(3)


PATH = click.Path(path_type=Path)


def common(fn: Any) -> Any:
    """Arguments and options of ``run`` and ``validate``."""
    options: list[Callable[[Any], Any]] = [
        click.argument("inputs", nargs=-1, required=True, type=PATH, metavar="PLIK...", cls=Argument),
        click.option("--out", "out_dir", type=PATH, required=True, metavar="KATALOG",
                     help=bi("Katalog wyników (paczki, raporty, stan); nie może zawierać plików "
                             "wejściowych.",
                             "Output folder (payload, reports, state); must not hold an input.")),
        click.option("--mapping", type=PATH, metavar="PLIK",
                     help=bi("Plik mapowania kolumn (TOML); bez niego rozpoznawane są typowe "
                             "nagłówki.",
                             "Column mapping file (TOML); without it common headers are "
                             "recognised.")),
        click.option("--config", type=PATH, metavar="PLIK",
                     help=bi(f"Konfiguracja placówki (domyślnie ./{CONFIG_NAME}, jeśli jest).",
                             f"Provider configuration (default ./{CONFIG_NAME} when present).")),
        click.option("--scopes", type=PATH, metavar="PLIK",
                     help=bi("Własny katalog zakresów świadczeń (TOML).",
                             "Own catalogue of service scopes (TOML).")),
        click.option("--as-of", "as_of", metavar="DATA",
                     help=bi("Data stanu RRRR-MM-DD albo DD.MM.RRRR (domyślnie dziś); "
                             "wcześniejsze wizyty są odrzucane.",
                             "As-of date YYYY-MM-DD or DD.MM.YYYY (default today); earlier "
                             "visits are rejected.")),
        click.option("--mus", "mus_id", metavar="ID",
                     help=bi("Identyfikator MUŚ: księga rejestrowa-kod cz. VII "
                             "(000000000000-000).",
                             "MUŚ id: register book-part VII code (000000000000-000).")),
        click.option("--regon", metavar="REGON",
                     help=bi("REGON świadczeniodawcy.", "The provider's REGON.")),
        click.option("--nip", metavar="NIP", help=bi("NIP świadczeniodawcy.", "The provider's NIP.")),
        click.option("--nfz-branch", "nfz_branch", metavar="01-16",
                     help=bi("Kod oddziału NFZ (01-16).", "NFZ branch code (01-16).")),
        click.option("--template-dir", "template_dir", type=PATH, metavar="KATALOG",
                     help=bi("Własne szablony paczek XML i raportu HTML.",
                             "Own templates of the XML payload and the HTML report.")),
        click.option("--xsd", type=PATH, metavar="PLIK",
                     help=bi("Schemat XSD, którym sprawdzana jest każda paczka.",
                             "XSD schema every payload file is checked against.")),
        click.option("--batch-size", "batch_size", type=int, metavar="N",
                     help=bi("Najwięcej rekordów w jednej paczce (domyślnie 5000).",
                             "Most records in one payload file (default 5000).")),
        click.option("--ledger", "ledger_path", type=PATH, metavar="PLIK",
                     help=bi("Rejestr wysyłek MUŚ (domyślnie .cer-loader/ledger-MUŚ.sqlite obok "
                             "cer-loader.toml albo ten z report.xlsx).",
                             "The MUŚ's submission ledger (default .cer-loader/ledger-MUŚ.sqlite "
                             "beside cer-loader.toml, or the one in report.xlsx).")),
        click.option("--state", "state_path", type=PATH, hidden=True, metavar="PLIK",
                     help=bi("Przestarzałe: to samo co --ledger.", "Deprecated: same as --ledger.")),
        lang_option,
        click.option("--quiet", is_flag=True,
                     help=bi("Bez paska postępu.", "No progress bar.")),
        debug_option,
    ]  # fmt: skip
    for option in reversed(options):
        fn = option(fn)
    return fn
