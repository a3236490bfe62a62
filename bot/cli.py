"""``python -m bot``: run the bot, chat in the terminal, and the staff tools."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from bot.config import Settings, settings_problem
from bot.core.engine import Engine
from bot.core.errors import BotError, KnowledgeError
from bot.core.evaluation import describe, evaluate, load_questions, outcome_table
from bot.core.languages import LANGUAGES
from bot.core.loading import load_knowledge
from bot.services.questions import QuestionService


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    command = args.command or "run"
    try:
        if command == "run":
            return _run()
        if command == "chat":
            return _chat(args.knowledge)
        if command == "check-knowledge":
            return _check_knowledge(args.directory)
        if command == "ask":
            return _ask(args)
        if command == "eval":
            return _eval(args)
        if command == "quiz-paths":
            return _quiz_paths(args)
        if command == "reload":
            return _reload(args)
        if command == "unanswered":
            return _unanswered(args)
    except KnowledgeError as exc:
        print(exc.report(), file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into `head`: the reader has all it wanted
        sys.stderr.close()
        return 0
    except BotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:  # a bad setting: one line naming it, not pydantic's traceback
        print(f"error: {settings_problem(exc)}", file=sys.stderr)
        return 2
    parser.error(f"unknown command {command!r}")
    return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="The exchange-programme assistant of the Embassy of Japan in Belgium.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="run the Telegram bot (the default; a console chat when no token is set)")
    chat = commands.add_parser("chat", help="talk to the bot in this terminal, no Telegram needed")
    chat.add_argument("--knowledge", type=Path, default=None, help="knowledge directory (default: KNOWLEDGE_DIR)")
    check = commands.add_parser("check-knowledge", help="validate the knowledge base and list every problem")
    check.add_argument("directory", nargs="?", type=Path, default=None, help="default: KNOWLEDGE_DIR")
    ask = commands.add_parser("ask", help="match one question and print what the bot would answer")
    ask.add_argument("question")
    ask.add_argument("--lang", choices=LANGUAGES, default=None, help="the user's chosen language")
    ask.add_argument(
        "--app-lang",
        choices=LANGUAGES,
        default=None,
        help="the language the user's Telegram app reports (default: none)",
    )
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--knowledge", type=Path, default=None)
    ev = commands.add_parser("eval", help="measure matching accuracy on a labelled question file")
    ev.add_argument("file", type=Path)
    ev.add_argument("--json", action="store_true", help="end with one JSON object of the figures")
    ev.add_argument("--knowledge", type=Path, default=None)
    paths = commands.add_parser("quiz-paths", help="print a quiz's questions, outcomes and every path with its verdict")
    paths.add_argument("programme", nargs="?", default=None, help="a programme id (default: every quiz)")
    paths.add_argument("--lang", choices=LANGUAGES, default="en")
    paths.add_argument("--all", action="store_true", help="list every path even when there are many")
    paths.add_argument("--knowledge", type=Path, default=None)
    reload = commands.add_parser("reload", help="check the knowledge base, then make the running bot reload it")
    reload.add_argument("--knowledge", type=Path, default=None)
    unanswered = commands.add_parser(
        "unanswered", help="what students asked that the bot could not answer, grouped, most asked first"
    )
    unanswered.add_argument("--days", type=int, default=30)
    unanswered.add_argument("--csv", action="store_true", help="write CSV (count, languages, example, nearest entry)")
    unanswered.add_argument("--limit", type=int, default=200, help="at most this many groups")
    return parser


def _unanswered(args: argparse.Namespace) -> int:
    import asyncio
    import csv

    from bot.core.unanswered import Group
    from bot.services.staff import StaffService
    from bot.storage import Database, Storage

    settings = Settings()
    engine = Engine(settings.knowledge_dir)

    async def fetch() -> list[Group]:
        async with Database(settings.database_url, data_dir=settings.data_dir) as database:
            await database.upgrade()
            # The report /unanswered shows, over the days and the number of groups asked for here.
            return await StaffService(engine, Storage(database)).unanswered(args.days, limit=args.limit)

    groups = asyncio.run(fetch())
    if args.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["count", "languages", "example", "nearest_entry", "nearest_score"])
        for group in groups:
            writer.writerow(
                [group.count, "/".join(sorted(group.langs)), group.example, group.nearest or "", group.nearest_score]
            )
        return 0
    if not groups:
        print(f"No unanswered questions in the last {args.days} days.")
    for group in groups:
        nearest = f"  (nearest: {group.nearest})" if group.nearest else ""
        print(f"{group.count:5d}  [{'/'.join(sorted(group.langs))}] {group.example}{nearest}")
    return 0


def _reload(args: argparse.Namespace) -> int:
    import os
    import signal

    from bot.process import PID_FILE

    settings = Settings()
    knowledge = load_knowledge(_knowledge_dir(args.knowledge))  # refuse before disturbing the bot
    pid_file = settings.data_dir / PID_FILE
    try:
        pid = int(pid_file.read_text(encoding="ascii").strip())
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError) as exc:
        raise BotError(
            f"no running bot found through {pid_file} ({exc}); the knowledge base is valid "
            f"(version {knowledge.version}) and will be used at the next start"
        ) from exc
    print(f"The knowledge base is valid (version {knowledge.version}); the bot (pid {pid}) is reloading it.")
    return 0


def _quiz_paths(args: argparse.Namespace) -> int:
    from bot.core.quiz_review import review

    knowledge = load_knowledge(_knowledge_dir(args.knowledge))
    quizzes = [q for q in knowledge.quizzes if args.programme in (None, q.programme)]
    if not quizzes:
        known = ", ".join(q.programme for q in knowledge.quizzes) or "none"
        raise BotError(f"no quiz for {args.programme!r}; quizzes: {known}")
    for index, quiz in enumerate(quizzes):
        if index:
            print()
        for line in review(knowledge, quiz, args.lang, all_paths=args.all):
            print(line)
    return 0


def _knowledge_dir(override: Path | None) -> Path:
    return override if override is not None else Settings().knowledge_dir


def _check_knowledge(directory: Path | None) -> int:
    path = _knowledge_dir(directory)
    knowledge = load_knowledge(path)
    examples = sum(len(entry.questions[lang]) for entry in knowledge.entries for lang in LANGUAGES)
    print(
        f"OK: {path} holds {len(knowledge.entries)} entries in {len(knowledge.programmes)} programmes, "
        f"{examples} example questions (version {knowledge.version})."
    )
    return 0


def _ask(args: argparse.Namespace) -> int:
    from bot.core.rendering import reply_as_text

    # The Telegram bot's own question service (without a question log): the same reply, in the same language.
    answered = QuestionService(Engine(_knowledge_dir(args.knowledge))).answer(
        args.question, chosen=args.lang, app_lang=args.app_lang
    )
    described = describe(answered.result)
    described["lang"] = answered.lang
    if args.json:
        print(json.dumps(described, ensure_ascii=False))
    else:
        print(reply_as_text(answered.reply))
    return 0


def _eval(args: argparse.Namespace) -> int:
    engine = Engine(_knowledge_dir(args.knowledge))
    service = QuestionService(engine)
    report = evaluate(
        engine.snapshot.matcher, load_questions(args.file), match=lambda question: service.answer(question).result
    )
    figures = report.as_dict()
    print(f"questions: {report.total}   correct: {report.correct}   accuracy: {report.accuracy:.3f}")
    for lang, value in figures["accuracy_by_lang"].items():
        print(f"  {lang}: {value:.3f} ({report.correct_by_lang[lang]}/{report.by_lang[lang]})")
    if figures["in_scope_accuracy"] is not None:
        print(f"in-scope accuracy: {figures['in_scope_accuracy']:.3f} ({report.in_scope_correct}/{report.in_scope})")
    if figures["out_of_scope_rejection"] is not None:
        print(
            f"out-of-scope rejection: {figures['out_of_scope_rejection']:.3f} "
            f"({report.out_of_scope_rejected}/{report.out_of_scope})"
        )
    print(f"answered with a wrong entry: {report.confident_wrong}")
    print(outcome_table(report))
    if report.misses:
        print(f"misses ({len(report.misses)}):")
        for miss in report.misses:
            extra = f" suggested {', '.join(miss.suggestions)}" if miss.suggestions else ""
            print(
                f"  [{miss.item.lang}] expect {miss.item.expect or 'none'}, got {miss.got or 'none'} "
                f"({miss.score:.0f}){extra}: {miss.item.question}"
            )
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    return 0


def _run() -> int:
    from bot.process import run

    return run(Settings())


def _chat(knowledge: Path | None) -> int:
    from bot.console import chat

    return chat(Settings(), knowledge_dir=knowledge)
