"""Answering a student's free-text question, the same way on every channel.

Telegram (and so the console, which runs the same Application), ``python -m bot ask`` and ``eval`` call
``QuestionService.answer``: the text is cleaned (control characters), matched without its personal details,
answered in the language the rules choose, and counted by the same outcome. What a channel adds is only how
it shows the reply.
"""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass
from typing import Final, Protocol

from bot.core import conversation
from bot.core.anonymise import anonymise
from bot.core.engine import Engine
from bot.core.knowledge import KnowledgeBase
from bot.core.languages import Lang, resolve_lang
from bot.core.matching import Answer, MatchResult, NoMatch, Suggestions, answer_language
from bot.core.normalize import words
from bot.core.question_log import Outcome, question_outcome
from bot.core.questions import clean, match_question
from bot.core.views import Reply
from bot.storage import Storage, StorageError

log = logging.getLogger(__name__)

NO_WORDS = NoMatch(score=0.0, lang=None)
"""The result of a text with no word in it (only digits, emoji or punctuation): it is not matched at all."""
REPLIES_KEPT: Final = 1024
"""Replies kept per knowledge base: an entry's answer in each language (150 for the shipped one), the "did
you mean" choices that come up, and the fallback. A few hundred bytes each."""

ReplyKey = tuple[str, str | None, tuple[str, ...], Lang]


class QuestionQueue(Protocol):
    """Where questions wait to be written (``bot.storage.question_writer.QuestionWriter``)."""

    def submit(self, text: str, lang: Lang, outcome: Outcome, entry_id: str | None = None) -> bool: ...


@dataclass(frozen=True, slots=True)
class Answered:
    """A question answered: the reply, its language, and how the question log counts it."""

    text: str
    """The question as matched, without control characters (personal details are removed only for matching
    and for the log)."""
    reply: Reply
    lang: Lang
    result: MatchResult
    outcome: Outcome | None
    """None when staff need not review it (small talk, a text without words): it is not logged."""
    entry_id: str | None
    """The entry answered with, if any (an answer or a redirect)."""


class QuestionService:
    """Answers free-text questions from the engine's current snapshot and keeps them for staff."""

    def __init__(self, engine: Engine, *, writer: QuestionQueue | None = None, storage: Storage | None = None) -> None:
        """``writer``: the batched question log. Without it each question is written to ``storage`` on the
        reply's path (a benchmark's bot); without either, nothing is kept (``ask``, ``eval``)."""
        self.engine = engine
        self.writer = writer
        self.storage = storage
        self._replies: dict[ReplyKey, Reply] = {}
        self._replies_of: weakref.ref[KnowledgeBase] | None = None
        """The knowledge base the kept replies were built from; weak, so a reload's old one can be freed."""

    def answer(self, text: str, *, chosen: Lang | None = None, app_lang: Lang | None = None) -> Answered:
        """The reply to ``text``. ``chosen``: the user's explicit language choice (/language); ``app_lang``:
        the language their Telegram app reports, if any (English stands in when it reports none)."""
        text = clean(text)
        fallback_lang = resolve_lang(app_lang)
        if not words(text):
            lang = chosen or fallback_lang
            return Answered(text, conversation.no_words(lang), lang, NO_WORDS, None, None)
        snapshot = self.engine.snapshot  # one snapshot from match to reply, even if a reload swaps it meanwhile
        result = match_question(snapshot.matcher, text)
        lang = answer_language(result, chosen=chosen, telegram=fallback_lang)
        entry_id = result.entry.id if isinstance(result, Answer) else None
        reply = self._reply(snapshot.knowledge, result, lang)
        return Answered(text, reply, lang, result, question_outcome(result), entry_id)

    def _reply(self, knowledge: KnowledgeBase, result: MatchResult, lang: Lang) -> Reply:
        """``conversation.reply_to_question``, built once per knowledge base: the same answers are asked for
        all day, and a reply depends only on the knowledge base and ``_reply_key``."""
        if self._replies_of is None or self._replies_of() is not knowledge:  # a reload: build them all anew
            self._replies.clear()
            self._replies_of = weakref.ref(knowledge)
        key = _reply_key(result, lang)
        reply = self._replies.get(key)
        if reply is None:
            if len(self._replies) >= REPLIES_KEPT:  # only unusual suggestion lists get here: start again
                self._replies.clear()
            reply = self._replies[key] = conversation.reply_to_question(knowledge, result, lang)
        return reply

    async def log(self, answered: Answered) -> None:
        """Keep the question for staff, anonymised and unlinked to the user (small talk is not kept)."""
        if answered.outcome is None:
            return
        text = anonymise(answered.text)
        if self.writer is not None:
            self.writer.submit(text, answered.lang, answered.outcome, answered.entry_id)  # never waits; drops counted
            return
        if self.storage is None:
            return
        try:
            await self.storage.record_question(text, answered.lang, answered.outcome, answered.entry_id)
        except StorageError:  # the log is for staff: losing one question must not cost the student the answer
            log.warning("could not log a question for staff", exc_info=True)


def _reply_key(result: MatchResult, lang: Lang) -> ReplyKey:
    """What the reply to ``result`` depends on besides the knowledge base: how it answers (an entry, a choice
    of entries, which theme the choice is about, or nothing), the entries, and the language. Not the scores."""
    if isinstance(result, Answer):
        return ("answer", None, (result.entry.id,), lang)
    if isinstance(result, Suggestions):
        return ("suggest", result.theme, tuple(c.entry.id for c in result.candidates), lang)
    return ("none", None, (), lang)
