"""The `behaviourbot` command line."""

from __future__ import annotations

import argparse
import errno
import gc
import getpass
import io
import logging
import os
import stat
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from adapters import logs
from adapters.teams.package import Developer
from bot import __version__
from bot.frameworks import (
    FrameworkError,
    Problem,
    builtin_dir,
    check_sources,
    framework_files,
    load_all,
    load_file,
)
from bot.settings import Settings, is_loopback
from bot.text import plural

EXIT_PROBLEMS = 1
EXIT_CONFIG = 2
EXIT_TRY_AGAIN = 75  # EX_TEMPFAIL: another process kept the database locked
DEFAULT_PORT = 3000


def _whole_number(text: str, low: int, high: int, what: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what} ({low} to {high})")
    return number


def port_number(text: str) -> int:
    """A TCP port to listen on, 1 to 65535."""
    return _whole_number(text, 1, 65535, "a port number")


def word_limit(text: str) -> int:
    """A word limit for `review`: 50 to 2,000, as a draft's target."""
    return _whole_number(text, 50, 2000, "a word limit")


def retention_days(text: str) -> int:
    """How many days closed 360 requests are kept: 0 to 36,500."""
    return _whole_number(text, 0, 36_500, "a number of days")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="behaviourbot",
        description=(
            "Look up behaviour and competency definitions in the terminal, Slack and Teams."
        ),
    )
    parser.add_argument("--version", action="version", version=f"behaviourbot {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens (stderr)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    chat = commands.add_parser("chat", help="chat with the bot in the terminal")
    chat.add_argument("--user", help="who is speaking (default: your login name)")
    _db_option(chat)

    export = commands.add_parser(
        "export",
        help="write one of your STAR drafts to a file, or to standard output",
        description="Write a STAR draft you wrote in the terminal chat: as plain text, ready"
        " to paste into an application form, or as Markdown with the review.",
    )
    export.add_argument("draft", type=int, help="the draft's number, as `drafts` lists them")
    export.add_argument(
        "--markdown", action="store_true", help="Markdown with the review (default: plain text)"
    )
    export.add_argument(
        "--out",
        type=Path,
        help="the file to write (default: standard output); replaced if it exists",
    )
    export.add_argument("--user", help="whose draft (default: your login name, as in chat)")
    _db_option(export)

    review = commands.add_parser(
        "review",
        help="review a written STAR answer, as the chat does (a file, or standard input)",
        description="Review one written answer (labelled or not) before you paste it into an"
        ' application form: the STAR parts found, length against the limit, "I" and'
        ' "we", evidence, vague wording, and, with --behaviour and --level, the'
        " behaviour's indicators and the framework's own self-check.",
    )
    review.add_argument(
        "file", nargs="?", default="-", help="the answer's file, or - for standard input (default)"
    )
    review.add_argument("--behaviour", help='the behaviour or competency, e.g. "leadership"')
    review.add_argument("--level", help='its level or grade, e.g. "4", "G7", "excellence"')
    review.add_argument(
        "--limit",
        type=word_limit,
        default=250,
        help="the word limit (default: 250)",
    )
    review.add_argument("--json", action="store_true", help="print one JSON object instead")

    advert = commands.add_parser(
        "advert",
        help="a job advert's behaviours at its grade, with your drafts against them",
        description="Read a job advert (a file, or standard input): the behaviours it will"
        " assess, each at the advert's grade, and your STAR drafts (those of the terminal"
        " chat) against them, as `advert` in the chat shows them.",
    )
    advert.add_argument(
        "file", nargs="?", default="-", help="the advert's file, or - for standard input (default)"
    )
    advert.add_argument(
        "--grade", help='the grade or level, where the advert names none, e.g. "HEO", "4"'
    )
    advert.add_argument("--user", help="whose drafts (default: your login name, as in chat)")
    _db_option(advert)

    serve = commands.add_parser(
        "serve",
        help="run the web process for Slack and Teams",
        description=(
            "Run the web process: Slack on /slack/events (and by Socket Mode with --socket),"
            " Teams on /api/messages, and /healthz. Each platform is on when its variables"
            " are set (SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN; MicrosoftAppId and"
            " MicrosoftAppPassword); the start-up log says which are on."
        ),
    )
    serve.add_argument(
        "--port", type=port_number, help=f"port to listen on (default: $PORT, or {DEFAULT_PORT})"
    )
    serve.add_argument(
        "--host", help="address to listen on (default: all; with --dev, 127.0.0.1 only)"
    )
    _db_option(serve)
    serve.add_argument(
        "--socket",
        action="store_true",
        help="also connect to Slack by Socket Mode (needs SLACK_APP_TOKEN; no public URL)",
    )
    serve.add_argument(
        "--dev",
        action="store_true",
        help="Teams local development: accept /api/messages WITHOUT authentication when"
        " MicrosoftAppId is not set (Bot Framework Emulator; never on a public address)",
    )
    serve.add_argument(
        "--log-format",
        choices=logs.FORMATS,
        help="text lines, or one JSON object a line for log collectors (default:"
        " $BEHAVIOURBOT_LOG_FORMAT, or text)",
    )

    man = commands.add_parser(
        "manifest",
        help="make the app manifest to install the bot in Slack or Teams",
        description="Make the app manifest that installs the bot in Slack (printed as JSON)"
        " or Teams (an app package, a .zip).",
    )
    man_platforms = man.add_subparsers(dest="platform", metavar="PLATFORM", required=True)
    man_slack = man_platforms.add_parser("slack", help="a Slack app manifest (JSON)")
    mode = man_slack.add_mutually_exclusive_group(required=True)
    mode.add_argument("--url", help="the public base URL of `behaviourbot serve` (HTTP mode)")
    mode.add_argument("--socket", action="store_true", help="Socket Mode: no public URL")
    man_teams = man_platforms.add_parser(
        "teams",
        help="a Teams app package (.zip: manifest and icons) to upload in Teams",
        description="Write the Teams app package (manifest.json, color.png, outline.png)"
        " to upload in Teams. The developer options are what Teams shows on the app's page:"
        " give your organisation's own when you run behaviourbot for your people.",
    )
    man_teams.add_argument(
        "--app-id", required=True, help="the bot's Microsoft App ID (a GUID), as MicrosoftAppId"
    )
    man_teams.add_argument(
        "--out",
        type=Path,
        default=Path("behaviourbot-teams.zip"),
        help="where to write it; - for standard output (default: %(default)s)",
    )
    man_teams.add_argument(
        "--app-version",
        default="1.0.0",
        help="the package version, MAJOR.MINOR.PATCH: raise it to update an installed app"
        " (default: %(default)s)",
    )
    publisher = Developer()
    man_teams.add_argument(
        "--developer", default=publisher.name, help="publisher name (default: %(default)s)"
    )
    man_teams.add_argument(
        "--website-url",
        default=publisher.website_url,
        help="publisher website, https:// (default: the project's)",
    )
    man_teams.add_argument(
        "--privacy-url",
        default=publisher.privacy_url,
        help="privacy statement, https:// (default: the README's Privacy section)",
    )
    man_teams.add_argument(
        "--terms-url",
        default=publisher.terms_url,
        help="terms of use, https:// (default: the README's Licence section)",
    )

    backup = commands.add_parser(
        "backup",
        help="copy the database to a file, safely while the server runs",
        description="Copy the database with SQLite's online backup while `serve` runs: the"
        " copy is one committed state, written beside FILE and renamed into place once it"
        " passed its integrity check, readable by its owner only (0600).",
    )
    backup.add_argument("file", type=Path, help="the backup file to write (a new file)")
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")
    _db_option(backup)

    purge = commands.add_parser(
        "purge",
        help="delete closed 360 requests after the retention period, or a person's data",
        description="Delete 360 requests closed more than DAYS ago, with their answers,"
        " messages and reminders (--closed-before, or $BEHAVIOURBOT_RETENTION_DAYS when"
        " neither option is given), and everything stored about a person (--person), but"
        " the append-only record of expectations. Prints what goes, per kind, and what is"
        " kept and why.",
    )
    purge.add_argument(
        "--closed-before",
        metavar="DAYS",
        type=retention_days,
        help="360 requests closed more than DAYS ago (default: $BEHAVIOURBOT_RETENTION_DAYS)",
    )
    purge.add_argument(
        "--person",
        metavar="ID",
        help="a user id as the bot stores it: slack:TEAM:USER, teams:TENANT:OBJECT-ID,"
        " console:local:NAME",
    )
    purge.add_argument(
        "--dry-run", action="store_true", help="print what would be deleted; delete nothing"
    )
    purge.add_argument(
        "--vacuum", action="store_true", help="then give the space back to the file system"
    )
    _db_option(purge)

    fw = commands.add_parser("frameworks", help="list or check framework files")
    fw_commands = fw.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = fw_commands.add_parser(
        "check", help="validate framework files and that their texts match their sources"
    )
    check.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="files or directories (default: the built-in frameworks and $BEHAVIOURBOT_FRAMEWORKS)",
    )
    fw_commands.add_parser("list", help="the frameworks loaded, with their counts")
    return parser


# Libraries whose debug and info logs hold what people wrote or who they are (request
# and response bodies, profiles): held at WARNING, even with --verbose.
QUIET_LOGGERS = (
    "slack_sdk",
    "slack_bolt",
    "botbuilder",
    "botframework",
    "msrest",
    "msal",
    "azure",
    "urllib3",
    "oauthlib",
    "requests_oauthlib",
    "aiohttp.access",  # every request's path and user agent: the per-request line says enough
)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings.from_env()
    log_format = getattr(args, "log_format", None) or settings.log_format or "text"
    if log_format not in logs.FORMATS:
        print(
            f"behaviourbot: BEHAVIOURBOT_LOG_FORMAT {log_format[:40]!r} is not one of"
            f" {', '.join(logs.FORMATS)}",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    logs.configure(level=logging.DEBUG if args.verbose else logging.WARNING, form=log_format)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    if args.command in (None, "chat"):
        return _chat(settings, user=getattr(args, "user", None), db=getattr(args, "db", None))
    if args.command == "export":
        return _export(settings, args)
    if args.command == "review":
        return _review(settings, args)
    if args.command == "advert":
        return _advert(settings, args)
    if args.command == "serve":
        if args.port is not None:
            port = args.port
        else:
            try:
                port = port_number(settings.port or str(DEFAULT_PORT))
            except argparse.ArgumentTypeError as exc:
                print(f"behaviourbot: PORT {exc}", file=sys.stderr)
                return EXIT_CONFIG
        host = args.host or ("127.0.0.1" if args.dev else "0.0.0.0")
        if args.dev and not settings.microsoft_app_id and not is_loopback(host):
            print(
                f"behaviourbot: --dev takes Teams requests without authentication, so it"
                f" listens on 127.0.0.1 only: drop --host {host}, or drop --dev and set"
                " MicrosoftAppId and MicrosoftAppPassword",
                file=sys.stderr,
            )
            return EXIT_CONFIG
        # each log line written by a thread of its own, off the request path; all of
        # them before the process ends
        with logs.written_by_a_thread():
            return _serve(
                settings, port=port, host=host, db=args.db, socket=args.socket, dev=args.dev
            )
    if args.command == "manifest" and args.platform == "slack":
        import json

        from adapters.slack import manifest

        if args.url and not args.url.startswith("https://"):
            print("behaviourbot: Slack needs an https:// URL", file=sys.stderr)
            return EXIT_CONFIG
        print(json.dumps(manifest(url=None if args.socket else args.url), indent=2))
        return 0
    if args.command == "manifest" and args.platform == "teams":
        from adapters.teams.package import build_package

        developer = Developer(args.developer, args.website_url, args.privacy_url, args.terms_url)
        try:
            package = build_package(args.app_id, version=args.app_version, developer=developer)
        except ValueError as exc:
            print(f"behaviourbot: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        if str(args.out) == "-":  # standard output, for a pipe or a redirect
            if sys.stdout.isatty():
                print(
                    "behaviourbot: --out - would write a zip file to the terminal; redirect"
                    " it (> behaviourbot-teams.zip) or name a file",
                    file=sys.stderr,
                )
                return EXIT_CONFIG
            sys.stdout.buffer.write(package)
            sys.stdout.flush()
            return 0
        try:
            args.out.write_bytes(package)
        except OSError as exc:
            print(f"behaviourbot: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_CONFIG
        print(f"wrote {args.out} (manifest.json, color.png, outline.png): upload it in Teams")
        return 0
    if args.command == "backup":
        return _backup(settings, args)
    if args.command == "purge":
        return _purge(settings, args)
    if args.command == "frameworks" and args.action == "check":
        return _check(args.paths or [builtin_dir(), *settings.framework_dirs])
    if args.command == "frameworks" and args.action == "list":
        return _list(settings)
    return EXIT_CONFIG


def _load(settings: Settings):  # type: ignore[no-untyped-def]
    try:
        return load_all(settings.framework_dirs)
    except FrameworkError as exc:
        print("behaviourbot: cannot start: the frameworks could not be loaded:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        print("Run `behaviourbot frameworks check` after fixing it.", file=sys.stderr)
        return None


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", type=Path, help="SQLite file (default: $BEHAVIOURBOT_DB, or a per-user file)"
    )


def _console_user(user: str | None) -> str:
    return user or os.environ.get("USER") or getpass.getuser() or "you"


def _with_terminal_person(
    settings: Settings, args: argparse.Namespace, work: Callable[[Any, str], Any]
) -> Any:
    """`work(bot, owner)` on the database of `--db` (or the settings'), for the terminal's
    person (`--user`), the database closed after; None, said on stderr, when the
    frameworks or the database cannot be opened."""
    from bot.router import Bot
    from bot.storage import Store

    frameworks = _load(settings)
    if frameworks is None:
        return None
    db_path = args.db or settings.db_path
    try:
        store = Store.open(db_path)
    except Exception as exc:
        print(f"behaviourbot: cannot open the database {db_path}: {exc}", file=sys.stderr)
        return None
    try:
        return work(Bot(frameworks, store), f"console:local:{_console_user(args.user)}")
    finally:
        store.close()


def _export(settings: Settings, args: argparse.Namespace) -> int:
    kind = "markdown" if args.markdown else "text"
    found = _with_terminal_person(
        settings, args, lambda bot, owner: (bot.star.exported(owner, args.draft, kind),)
    )
    if found is None:
        return EXIT_CONFIG
    (exported,) = found
    if exported is None:
        print(
            f"behaviourbot: you have no draft {args.draft} (`drafts` in the chat lists them)",
            file=sys.stderr,
        )
        return 1
    body, words = exported
    if args.out is None:
        sys.stdout.write(body + "\n")
        return 0
    try:
        args.out.write_text(body + "\n", encoding="utf-8")
    except OSError as exc:
        print(f"behaviourbot: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_CONFIG
    print(f"wrote draft {args.draft} to {args.out} ({words} words)", file=sys.stderr)
    return 0


MAX_STATEMENT_BYTES = 200_000  # far more than any statement: a wrong file, refused
MAX_STATEMENT_WORDS = 5_000


def _read_statement(name: str, what: str = "answer") -> str | None:
    """The answer to review (or the advert to read: `what`), from a file or standard
    input; None (with the reason on stderr) when it cannot be read."""
    shown = ascii(name)[1:-1] if not name.isprintable() else name  # never a terminal escape
    if name == "-":
        shown = "the standard input"
    try:
        if name == "-":
            if sys.stdin.isatty():
                print(f"Paste the {what}, then press Ctrl-D on a line of its own.", file=sys.stderr)
            raw = sys.stdin.buffer.read(MAX_STATEMENT_BYTES + 1)
        else:
            if not stat.S_ISREG(os.stat(name).st_mode):  # a FIFO or a device: never waited on
                print(f"behaviourbot: {shown} is not a file", file=sys.stderr)
                return None
            with open(name, "rb") as handle:
                raw = handle.read(MAX_STATEMENT_BYTES + 1)
    except OSError as exc:
        print(f"behaviourbot: cannot read {shown}: {exc.strerror or exc}", file=sys.stderr)
        return None
    if len(raw) > MAX_STATEMENT_BYTES:
        print(
            f"behaviourbot: {shown} is over {MAX_STATEMENT_BYTES // 1000} kB: give one {what}",
            file=sys.stderr,
        )
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        print(f"behaviourbot: {shown} is not UTF-8 text: save it as plain text", file=sys.stderr)
        return None


def _review(settings: Settings, args: argparse.Namespace) -> int:
    import re

    from bot.lookup import BehaviourView, Lookup, resolve_query
    from bot.star.drafting import Target, statement
    from bot.text import clean, count_words

    text = _read_statement(args.file)
    if text is None:
        return EXIT_CONFIG
    text = clean(text, keep_newlines=True, exact=True)
    if not text.strip():
        print("behaviourbot: there is no answer to review (the input is empty)", file=sys.stderr)
        return EXIT_CONFIG
    if count_words(text) > MAX_STATEMENT_WORDS:
        print(
            f"behaviourbot: {count_words(text)} words is more than one answer"
            f" (at most {MAX_STATEMENT_WORDS}): give one answer",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    target = None
    if args.level and not args.behaviour:
        print("behaviourbot: --level needs --behaviour too", file=sys.stderr)
        return EXIT_CONFIG
    if args.behaviour:
        frameworks = _load(settings)
        if frameworks is None:
            return EXIT_CONFIG
        lookup = Lookup(frameworks)
        found = resolve_query(lookup.index, clean(args.behaviour)[:200])
        if not isinstance(found, BehaviourView):
            print(
                f"behaviourbot: no behaviour or competency matches {args.behaviour[:80]!r}:"
                " `behaviourbot frameworks list` lists the frameworks, and `list behaviours`"
                " in the chat their names",
                file=sys.stderr,
            )
            return EXIT_CONFIG
        levels = [
            lv
            for lv in found.framework.levels_of(found.behaviour)
            if lv.id in found.behaviour.texts
        ]
        names = ", ".join(lv.label for lv in levels)
        chosen = levels[0] if len(levels) == 1 and not args.level else None
        if args.level:
            level = clean(args.level)[:40]
            if re.search(r"\bband\b", level, re.I) and found.framework.id == "civil-service":
                print(
                    f"behaviourbot: {level!r} is a pay band, not a Civil Service level: give"
                    f" --level as one of {names} (or a grade such as EO, HEO, G7)",
                    file=sys.stderr,
                )
                return EXIT_CONFIG
            query = f"{args.behaviour} {'level ' if level.isdigit() else ''}{level}"
            named = resolve_query(lookup.index, clean(query)[:200])
            same = isinstance(named, BehaviourView) and named.behaviour == found.behaviour
            chosen = named.level if same else None  # type: ignore[union-attr]
            if chosen is None or chosen not in levels:
                print(
                    f"behaviourbot: {found.behaviour.label} has no level {level!r}: give"
                    f" --level as one of {names}",
                    file=sys.stderr,
                )
                return EXIT_CONFIG
        if chosen is None:
            print(
                f"behaviourbot: which level of {found.behaviour.label}? Give --level: {names}",
                file=sys.stderr,
            )
            return EXIT_CONFIG
        target = Target(found.framework, found.behaviour, chosen)
    review, reply = statement(text, target, args.limit)
    try:
        _print_review(review, reply, target, as_json_object=args.json)
    except BrokenPipeError:  # `behaviourbot review FILE | head`: the reader has had enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _advert(settings: Settings, args: argparse.Namespace) -> int:
    from dataclasses import replace

    from adapters.console import format_reply
    from bot.render import compose
    from bot.text import clean

    text = _read_statement(args.file, "advert")
    if text is None:
        return EXIT_CONFIG
    if not text.strip():
        print("behaviourbot: there is no advert to read (the input is empty)", file=sys.stderr)
        return EXIT_CONFIG
    grade = clean(args.grade or "")[:40]
    found = _with_terminal_person(
        settings, args, lambda bot, owner: bot.star.advert_for(owner, text, grade)
    )
    if found is None:
        return EXIT_CONFIG
    reply, what = found
    if what == "level":  # which level: the advert's behaviours, and the levels to give
        levels = "; ".join(c.label for c in reply.choices)
        listed = compose("star/advert_levels.j2", levels=[c.label for c in reply.choices])
        asked = replace(reply, blocks=(*reply.blocks[:2], *listed.blocks), choices=())
        print(format_reply(asked) + "\n")
        print(f"behaviourbot: name the grade with --grade, one of: {levels}", file=sys.stderr)
        return 1
    # choices are the chat's commands: shown as what to type there
    typed = compose("star/advert_commands.j2", choices=reply.choices)
    reply = replace(reply, blocks=(*reply.blocks, *typed.blocks), choices=())
    try:
        print(format_reply(reply))
        sys.stdout.flush()
    except BrokenPipeError:  # `behaviourbot advert FILE | head`: the reader has had enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0 if what == "shown" else 1


def _print_review(review, reply, target, *, as_json_object: bool) -> None:  # type: ignore[no-untyped-def]
    import json

    from adapters.console import format_reply
    from bot.star.review import as_json

    if as_json_object:
        data = as_json(review)
        if target is not None:
            data = {
                "framework": target.framework.id,
                "behaviour": target.behaviour.id,
                "level": target.level.id,
                **data,
            }
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(format_reply(reply))
    sys.stdout.flush()


def _chat(settings: Settings, *, user: str | None, db: Path | None) -> int:
    from adapters.console import Console
    from bot import commands
    from bot.router import Bot
    from bot.storage import Store

    frameworks = _load(settings)
    if frameworks is None:
        return EXIT_CONFIG
    db_path = db or settings.db_path
    try:
        store = Store.open(db_path)
    except Exception as exc:  # the message is what the person needs; nothing else to clean up
        print(f"behaviourbot: cannot open the database {db_path}: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    bot = Bot(frameworks, store)
    name = _console_user(user)
    words = set(commands.completions("console"))
    for fw in frameworks:
        for b in fw.behaviours:
            words.update(w.lower().strip(",.:;") for w in b.name.split() if len(w) > 3)
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    if isinstance(sys.stdin, io.TextIOWrapper):
        # Bytes that are not valid in the terminal's encoding become U+FFFD: a stray byte
        # never ends the chat or loses what was typed before it.
        sys.stdin.reconfigure(errors="replace")
    console = Console(
        bot.handle,
        user=name,
        stdin=sys.stdin,
        stdout=sys.stdout,
        interactive=interactive,
        history=settings.history_path,
        completions=words,
        following=commands.following_words,
        inbox=lambda user: bot.mail(user, everyone=True),
        waiting=lambda user: bot.waiting(user, user),
    )
    try:
        return console.run()
    finally:
        store.close()


def _serve(
    settings: Settings, *, port: int, host: str, db: Path | None, socket: bool, dev: bool
) -> int:
    from aiohttp import web

    from adapters.web import create_app
    from bot.router import Bot
    from bot.storage import Store

    frameworks = _load(settings)
    if frameworks is None:
        return EXIT_CONFIG
    log = logging.getLogger("behaviourbot")
    log.setLevel(logging.INFO)
    # One log line per request: skip the record fields the format never shows (the
    # logging documentation's "Optimization" switches); about 2 µs a line.
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    # a write waits at most two seconds for another process's lock; then the core's
    # thread is free again, and the request is tried again (adapters.delivery.patiently)
    store = Store.open(db or settings.db_path, wait=2.0)
    try:
        app = create_app(settings, Bot(frameworks, store), socket=socket, dev=dev)
    except ValueError as exc:
        print(f"behaviourbot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    # Everything loaded so far (frameworks, indexes, templates) lives as long as the
    # process: keep it out of the garbage collector's scans of each request's objects.
    gc.collect()
    gc.freeze()
    try:
        web.run_app(
            app,
            host=host,
            port=port,
            print=lambda _: log.info("serving on http://%s:%d", host, port),  # once listening
        )
    except OSError as exc:  # the port is taken, or the address is not this machine's
        reason = "the port is in use" if exc.errno == errno.EADDRINUSE else exc.strerror or exc
        print(f"behaviourbot: cannot listen on {host}:{port}: {reason}", file=sys.stderr)
        return EXIT_CONFIG
    finally:
        store.close()
    log.info("stopped")
    return 0


def _backup(settings: Settings, args: argparse.Namespace) -> int:
    from bot.maintenance import DamagedCopy, MaintenanceError, backup

    database = args.db or settings.db_path
    try:
        done = backup(database, args.file, force=args.force)
    except MaintenanceError as exc:
        print(f"behaviourbot: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS if isinstance(exc, DamagedCopy) else EXIT_CONFIG
    print(
        f"backed up {database} to {done.path}: {done.size / 1e6:.1f} MB,"
        f" {done.pages} pages, in {done.seconds:.1f} s"
    )
    return 0


def _purge(settings: Settings, args: argparse.Namespace) -> int:
    from bot.feedback import FeedbackFlow
    from bot.lookup import Lookup
    from bot.maintenance import KEPT_WHY, Locked, MaintenanceError, check_person, purge
    from bot.storage import Store, is_busy

    days = args.closed_before
    if days is None and args.person is None:
        if settings.retention_days is None:
            print(
                "behaviourbot: nothing to purge: give --closed-before DAYS or --person ID,"
                " or set BEHAVIOURBOT_RETENTION_DAYS",
                file=sys.stderr,
            )
            return EXIT_CONFIG
        try:
            days = retention_days(settings.retention_days)
        except argparse.ArgumentTypeError as exc:
            print(f"behaviourbot: BEHAVIOURBOT_RETENTION_DAYS {exc}", file=sys.stderr)
            return EXIT_CONFIG
    try:
        person = None if args.person is None else check_person(args.person)
    except MaintenanceError as exc:
        print(f"behaviourbot: --person {exc}", file=sys.stderr)
        return EXIT_CONFIG
    database = args.db or settings.db_path
    if not Path(database).is_file():
        print(f"behaviourbot: there is no database at {database}", file=sys.stderr)
        return EXIT_CONFIG
    frameworks = _load(settings)
    if frameworks is None:
        return EXIT_CONFIG
    try:
        store = Store.open(database)
    except Exception as exc:  # the message is what the person needs; nothing else to clean up
        if is_busy(exc):  # opening it writes (its schema): another process kept it locked
            print(f"behaviourbot: {Locked()}", file=sys.stderr)
            return EXIT_TRY_AGAIN
        print(f"behaviourbot: cannot open the database {database}: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        history = FeedbackFlow(Lookup(frameworks), store).history
        purged = purge(
            store,
            closed_before=days,
            person=person,
            history=history,
            dry_run=args.dry_run,
            vacuum=args.vacuum,
        )
    except MaintenanceError as exc:
        print(f"behaviourbot: {exc}", file=sys.stderr)
        return EXIT_TRY_AGAIN if isinstance(exc, Locked) else EXIT_CONFIG
    finally:
        store.close()
    what = [f"360 requests closed more than {days} days ago"] if days is not None else []
    what += [f"the data of {person}"] if person else []
    print(
        ("would purge (dry run: nothing deleted) " if args.dry_run else "purged ")
        + " and ".join(what)
    )
    for kind, count in purged.deleted.items():
        print(f"  {'would delete' if args.dry_run else 'deleted'} {kind}: {count}")
    for kind, count in purged.changed.items():
        print(f"  {'would change' if args.dry_run else 'changed'} {kind}: {count}")
    for kind, count in purged.kept.items():
        print(f"  kept {kind}: {count} ({KEPT_WHY[kind]})")
    if args.vacuum and not args.dry_run:
        print(
            "  the file was compacted (VACUUM)"
            if purged.compacted
            else "  the file was not compacted: another process kept it locked; try --vacuum later"
        )
    nothing = not any(purged.deleted.values()) and not any(purged.changed.values())
    if person and nothing:
        print(f"  nothing is stored about {person}: ids are as the bot writes them, case and all")
    return 0


def _check(paths: Sequence[Path]) -> int:
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            files += framework_files(path)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), "(file)", "not found"))
    ids: dict[str, Path] = {}
    for file in files:
        try:
            fw = load_file(file)
        except FrameworkError as exc:
            problems.extend(exc.problems)
            continue
        found = check_sources(fw)
        if fw.id in ids:
            found.append(Problem(str(file), "id", f"{fw.id!r} is already used by {ids[fw.id]}"))
        ids.setdefault(fw.id, file)
        problems.extend(found)
        if not found:
            verbatim = "texts match the source" if fw.source else "no source to compare"
            print(
                f"ok  {file}: {fw.name}, {len(fw.behaviours)} {plural(fw.item, 2)}, "
                f"{len(fw.levels)} {plural('level', len(fw.levels))}; {verbatim}"
            )
    for problem in problems:
        print(f"ERROR  {problem}")
    if not files and not problems:
        print("no framework files found")
        return EXIT_PROBLEMS
    return EXIT_PROBLEMS if problems else 0


def _list(settings: Settings) -> int:
    frameworks = _load(settings)
    if frameworks is None:
        return EXIT_CONFIG
    for fw in frameworks:
        print(
            f"{fw.id}: {fw.name} ({fw.short_name}), {len(fw.behaviours)} {plural(fw.item, 2)}, "
            f"levels: {', '.join(lv.name for lv in fw.levels)}  [{fw.path}]"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
