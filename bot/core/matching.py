"""Match a student's question to a knowledge entry, or say honestly that none fits.

The design follows ``matching-notes.md``: off-the-shelf string scorers let short examples win everything,
so the scorer works at token level. Every example question of every entry, in every language, is indexed
as a set of content words. A question's words are mapped to the index vocabulary (exactly, or by
``rapidfuzz`` similarity for typos and inflections), and each example is scored by IDF-weighted soft
precision (how much of the question it explains; words the knowledge base has never seen weigh against)
and recall (how much of the example the question covers). An entry scores as its best example, plus a
boost for its keywords. Two calibrated thresholds and a margin over the runner-up decide between an
answer, "did you mean" suggestions, and no match.

All per-example work is vectorised with NumPy over an inverted index built once, so the cost of a
question grows with the number of examples that share a word with it, not with the knowledge base.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from bot.core.knowledge import Entry, KnowledgeBase
from bot.core.languages import LANGUAGES, Lang, resolve_lang
from bot.core.normalize import QUESTION_WORDS, content_words, content_words_of, language_of, normalize

FloatArray = npt.NDArray[np.float64]
_FUZZY_CACHE_SIZE: Final = 20_000
_DENSE_CELLS: Final = 8_000_000
"""Up to this many (word, example) cells, which words each example holds is also kept as a dense matrix (one
byte a cell: 6.5 MB for the shipped knowledge base): a question then reads its rows in two NumPy calls, where
the postings take a few dozen, and in the bot's process those calls cost more than the arithmetic."""
"""Question words remembered with their variants; enough for weeks of distinct words."""
IntArray = npt.NDArray[np.int64]
BoolMatrix = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class MatcherSettings:
    """The calibrated knobs of the matcher; ``benchmarks/eval`` reports what a change does to them."""

    answer_threshold: float = 0.45
    suggest_threshold: float = 0.30
    margin: float = 0.02
    """An answer needs this lead over the best other entry; a closer race becomes suggestions."""
    coverage_lead: float = 0.25
    """...unless the best entry explains this much more of the question than the runner-up does: two entries
    scoring alike are no real race when one accounts for nearly all of the question's words and the other for
    two thirds (a reminder asked "before the deadline": the subscription, not the dates). Calibrated on the dev
    set, where it decides one question; on the 600 others of the calibration sets it changes nothing."""
    suggest_window: float = 0.15
    """Suggestions are the entries scoring within this of the best one."""
    max_suggestions: int = 3
    smalltalk_coverage: float = 0.6
    """Small talk explaining less of the message than this gives way to an entry that answers the rest of
    it: a greeting followed by a question is the question."""
    fuzzy_cutoff: float = 80.0
    """``fuzz.ratio`` from which an unknown word counts as a variant of a known one."""
    fuzzy_min_length: int = 4
    """Shorter words are matched exactly only: 'alt' must not become 'age'."""
    keyword_boost: float = 0.12
    unknown_weight: float = 0.6
    """Weight of a word the knowledge base has never seen, as a fraction of the highest IDF."""
    recall_weight: float = 0.5
    """How much coverage of the example counts against coverage of the question (0..1)."""
    example_weight: float = 0.5
    """Share of the best single example in an entry's score; the rest is how much of the question the
    entry's whole vocabulary explains, which rewards questions whose words are spread over examples."""
    min_evidence: float = 2.0
    """Summed IDF of the question's known words, question words aside, below which the bot only suggests:
    one common word ("japan", "apply") is not enough to answer with confidence."""
    min_coverage: float = 0.4
    """Share of the question's weight the entry's vocabulary must explain for a confident answer: a question
    whose main subject the entry never mentions ("salary" asked of "What is JET?") gets suggestions. At 0.4
    (0.0 before 2026-12-04) the real hold-out and the third real set lose 2 confident wrong answers and gain 2
    right ones; the calibrated real set loses 5 right answers, to buttons, and the team hold-out 1."""
    min_example: float = 0.37
    """Score (0..1) the entry's best single example must reach for a confident answer. An entry with a large
    vocabulary can explain a question's words spread over many examples ("Pourquoi partir au Japon" in
    the SEA entry's "pourquoi ... ne peuvent pas" and "partir au Japon"), with no example asking it."""
    counterpart_factor: float = 0.9
    """A question naming one programme scores that programme's entry of a theme at this share of the score
    the other programme's entry of the theme gets from the question's words."""
    other_programme_factor: float = 0.5
    """When a question names exactly one programme, entries of other programmes are scaled by this."""
    max_words: int = 40
    """Only this many distinct words of a long message are considered."""


@dataclass(frozen=True, slots=True)
class Scored:
    entry: Entry
    score: float
    """0-100 for a full match; a keyword boost can take it above."""
    coverage: float = 1.0
    """The share of the question's weight that the entry's vocabulary explains (0..1)."""
    example: float = 1.0
    """The score of the entry's best single example question (0..1), before boosts."""
    lent: bool = False
    """The score is lent by another programme's entry of the same theme (see ``counterpart_factor``): the
    entry may be suggested, never answered with confidence on that score."""


@dataclass(frozen=True, slots=True)
class Answer:
    """One entry fits clearly. ``entry.kind`` tells an answer from a redirect or small talk."""

    entry: Entry
    score: float
    lang: Lang | None
    """The language the question's function words show; None when they do not tell."""
    example_lang: Lang | None = None
    """The language of the best-matching example question."""
    runners_up: tuple[Scored, ...] = ()


@dataclass(frozen=True, slots=True)
class Suggestions:
    """Several entries might fit: offer them as "did you mean"."""

    candidates: tuple[Scored, ...]
    score: float
    lang: Lang | None
    example_lang: Lang | None = None
    theme: str | None = None
    """Set when the candidates are one theme's entries, one per programme: the question clearly asks about
    that theme (an age limit, the requirements) but names no programme, and the answer differs by
    programme, so the bot asks which programme instead of guessing."""


@dataclass(frozen=True, slots=True)
class NoMatch:
    """Nothing in the knowledge base fits."""

    score: float
    lang: Lang | None
    example_lang: Lang | None = None
    nearest: Scored | None = None


MatchResult = Answer | Suggestions | NoMatch


def answer_language(result: MatchResult, *, chosen: Lang | None = None, telegram: Lang | None = None) -> Lang:
    """The language to answer in: the user's explicit choice; else the language the question is written
    in; else the Telegram app's language; else the best example's; else English.

    The Telegram language comes before the example's because a question in words shared by all three
    languages ("MIRAI info?") matches an example of an arbitrary language.
    """
    return resolve_lang(chosen, result.lang, telegram, result.example_lang)


class Matcher:
    """An index over one knowledge base; immutable, so it is swapped together with the knowledge base."""

    def __init__(self, knowledge: KnowledgeBase, settings: MatcherSettings | None = None) -> None:
        self.knowledge = knowledge
        self.settings = settings or MatcherSettings()
        self._entries: tuple[Entry, ...] = knowledge.entries
        vocabulary: dict[str, int] = {}
        example_words: list[list[int]] = []
        example_entry: list[int] = []
        example_lang: list[int] = []
        entry_keywords: dict[int, set[int]] = {}

        def word_id(word: str) -> int:
            return vocabulary.setdefault(word, len(vocabulary))

        # Examples made of function words only ("what can you do", "tu es qui") hold no word to score: they
        # are matched whole, the message normalised as they are.
        self._phrases: dict[str, tuple[int, Lang]] = {}
        for entry_index, entry in enumerate(self._entries):
            for lang, question in entry.questions.items():
                ids = sorted({word_id(word) for word in content_words(question)})
                if ids:
                    example_words.append(ids)
                    example_entry.append(entry_index)
                    example_lang.append(LANGUAGES.index(lang))
                elif phrase := normalize(question):
                    self._phrases.setdefault(phrase, (entry_index, lang))
            for keyword in entry.keywords:
                for word in content_words(keyword):
                    entry_keywords.setdefault(word_id(word), set()).add(entry_index)

        self._vocabulary = vocabulary
        self._words: list[str] = list(vocabulary)
        self._long_enough = np.array([len(w) >= self.settings.fuzzy_min_length for w in self._words], dtype=bool)
        n_words, n_entries = len(vocabulary), len(self._entries)

        # IDF over entries, not examples: a word in every MIRAI entry tells little about which one.
        entry_sets: list[set[int]] = [set() for _ in range(n_entries)]
        for ids, entry_index in zip(example_words, example_entry, strict=True):
            entry_sets[entry_index].update(ids)
        document_frequency = np.zeros(n_words)
        for words_of_entry in entry_sets:
            document_frequency[list(words_of_entry)] += 1
        self._idf: FloatArray = np.log((n_entries + 1) / (document_frequency + 0.5)) + 0.1
        self._unknown_weight = float(self._idf.max(initial=1.0)) * self.settings.unknown_weight
        self._idf_of: list[float] = self._idf.tolist()  # the same floats, without a NumPy scalar per look-up

        # Inverted indexes: which examples, and which entries, use word w (sorted, for binary search).
        self._post_start, self._post_examples = _inverted_index(example_words, n_words)
        self._entry_post_start, self._entry_post = _inverted_index([sorted(e) for e in entry_sets], n_words)
        dense = n_words * len(example_words) <= _DENSE_CELLS
        self._example_dense = _dense(self._post_start, self._post_examples, len(example_words)) if dense else None
        self._entry_dense = _dense(self._entry_post_start, self._entry_post, n_entries) if dense else None

        self._n_examples = len(example_words)
        self._example_entry: IntArray = np.array(example_entry, dtype=np.int64)
        self._example_lang: IntArray = np.array(example_lang, dtype=np.int64)
        self._example_mass: FloatArray = np.array([self._idf[ids].sum() for ids in example_words], dtype=np.float64)
        # Examples are laid out entry by entry, so an entry's best example is one reduceat away.
        starts = np.searchsorted(self._example_entry, np.arange(n_entries))
        self._entry_has_examples = np.bincount(self._example_entry, minlength=n_entries) > 0
        self._entry_starts: IntArray = starts[self._entry_has_examples].astype(np.int64)
        self._keyword_entries = {word: np.array(sorted(e), dtype=np.int64) for word, e in entry_keywords.items()}
        self._candidate_cap = max(2_000, self._n_examples // 50)
        self._every_word_rare = bool((np.diff(self._post_start) <= self._candidate_cap).all())
        # A question naming one programme ("... for mirai") is not about another programme's entries.
        programme_ids = sorted({entry.programme for entry in self._entries if entry.programme})
        self._programme_words: dict[str, str] = {}
        self._programme_phrases: list[tuple[str, str]] = []
        for programme in knowledge.programmes:
            for name in (programme.id, *programme.keywords):
                folded = normalize(name)
                if " " in folded:
                    self._programme_phrases.append((folded, programme.id))
                elif folded:
                    self._programme_words.setdefault(folded, programme.id)
        for p in programme_ids:
            self._programme_words.setdefault(normalize(p), p)
        themes: dict[str, list[Entry]] = {}
        for entry in self._entries:
            for theme in entry.theme if entry.programme is not None else ():
                themes.setdefault(theme, []).append(entry)
        order = {programme.id: position for position, programme in enumerate(knowledge.programmes)}
        self._themes: dict[str, tuple[Entry, ...]] = {
            theme: tuple(sorted(same, key=lambda e: order.get(e.programme or "", len(order))))
            for theme, same in themes.items()
        }
        index_of = {entry.id: i for i, entry in enumerate(self._entries)}
        # A programme's entry of each theme: where another programme's entry of the theme lends it a score.
        self._counterpart: dict[tuple[str, str], int] = {
            (entry.programme, theme): index_of[entry.id]
            for same in self._themes.values()
            for entry in same
            for theme in entry.theme
            if entry.programme is not None
        }
        self._entry_programme = np.array(
            [programme_ids.index(e.programme) if e.programme else -1 for e in self._entries], dtype=np.int64
        )
        self._programme_index = {p: i for i, p in enumerate(programme_ids)}
        self._fuzzy_cache: OrderedDict[str, tuple[tuple[int, float], ...]] = OrderedDict()

    # -- public API -------------------------------------------------------------------------------

    def match(self, text: str) -> MatchResult:
        """Decide what the bot should do with this question."""
        normalized = normalize(text)
        tokens = normalized.split()
        if (phrase := self._phrases.get(normalized)) is not None:
            entry_index, phrase_lang = phrase
            return Answer(self._entries[entry_index], 100.0, language_of(tokens), phrase_lang)
        ranked, example_lang, evidence, named = self._rank_words(
            normalized, tokens, limit=self.settings.max_suggestions + 4
        )
        lang = language_of(tokens)
        settings = self.settings
        if ranked and ranked[0].entry.kind == "smalltalk" and ranked[0].coverage < settings.smalltalk_coverage:
            # "Salut, c'est quoi les conditions pour MIRAI ?" greets and asks: when the rest of the message
            # makes a question an entry answers, that is the reply ("thanks a lot, that helped!" stays thanks).
            rest = [scored for scored in ranked if scored.entry.kind != "smalltalk"]
            if rest and rest[0].score >= settings.answer_threshold * 100:
                ranked = rest
        if not ranked or ranked[0].score < settings.suggest_threshold * 100:
            return NoMatch(
                score=ranked[0].score if ranked else 0.0,
                lang=lang,
                example_lang=example_lang,
                nearest=ranked[0] if ranked else None,
            )
        best = ranked[0]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        above = best.score >= settings.answer_threshold * 100
        # The same theme in another programme close behind is no doubt about the subject, so neither the
        # margin nor the evidence rule applies to asking which programme: it is a question, not an answer.
        if above and not named and (choice := self._programme_choice(best, ranked)) is not None:
            theme, entries = choice
            return Suggestions(entries, best.score, lang, example_lang, theme=theme)
        enough = (
            evidence >= settings.min_evidence
            and best.coverage >= settings.min_coverage
            and best.example >= settings.min_example
        ) or not best.entry.is_answer
        # A question about one programme is not answered from another's entry, however well its words fit
        # ("JET for just six months?" is not MIRAI's rule on past stays): that entry is at most a suggestion.
        own_programme = len(named) != 1 or best.entry.programme in (None, *named)
        lead = best.score - runner_up >= settings.margin * 100 or (
            len(ranked) > 1 and best.coverage - ranked[1].coverage >= settings.coverage_lead
        )
        if above and enough and own_programme and lead and not best.lent:
            return Answer(best.entry, best.score, lang, example_lang, runners_up=tuple(ranked[1:4]))
        floor = max(settings.suggest_threshold * 100, best.score - settings.suggest_window * 100)
        candidates = tuple(s for s in ranked if s.score >= floor and s.entry.is_answer)[: settings.max_suggestions]
        if not candidates:
            return NoMatch(score=best.score, lang=lang, example_lang=example_lang, nearest=best)
        return Suggestions(candidates=candidates, score=best.score, lang=lang, example_lang=example_lang)

    def _programme_choice(self, best: Scored, ranked: list[Scored]) -> tuple[str, tuple[Scored, ...]] | None:
        """The first of the best entry's themes that more than one programme answers, with its entries,
        one per programme."""
        scores = {s.entry.id: s.score for s in ranked}
        for theme in best.entry.theme:
            same = self._themes.get(theme, ())
            if len(same) >= 2:
                return theme, tuple(Scored(entry, scores.get(entry.id, 0.0)) for entry in same)
        return None

    def scores(self, text: str) -> list[Scored]:
        """Every entry that shares anything with the question, best first (for diagnostics and eval)."""
        return self._rank(text)[0]

    def named_programmes(self, text: str) -> frozenset[str]:
        """The programmes a question names, by name or by one of their keywords ('cir' is JET)."""
        return self._named(content_words(text), normalize(text))

    def _named(self, query: list[str], normalized: str) -> frozenset[str]:
        found = {p for word in query if (p := _programme_named(word, self._programme_words)) is not None}
        padded = f" {normalized} "
        found.update(p for phrase, p in self._programme_phrases if f" {phrase} " in padded)
        return frozenset(found)

    # -- scoring ----------------------------------------------------------------------------------

    def _rank(self, text: str, limit: int | None = None) -> tuple[list[Scored], Lang | None, float, frozenset[str]]:
        """Entries sharing anything with the question, best first (the best ``limit`` if given), the
        language of the best example, the evidence (the summed weight of the question's known words), and
        the programmes the question names."""
        normalized = normalize(text)
        return self._rank_words(normalized, normalized.split(), limit)

    def _rank_words(
        self, normalized: str, tokens: list[str], limit: int | None = None
    ) -> tuple[list[Scored], Lang | None, float, frozenset[str]]:
        """``_rank`` of the question normalised, and split into words."""
        query = content_words_of(tokens)[: self.settings.max_words]
        named = self._named(query, normalized)
        if not query or self._n_examples == 0:
            return [], None, 0.0, named
        query_mass = 0.0
        evidence = 0.0
        weighted: list[tuple[float, tuple[tuple[int, float], ...]]] = []
        covered: dict[int, float] = {}
        lookups = self._lookup_all(query)
        for word in query:
            matches = lookups[word]
            if not matches:
                query_mass += self._unknown_weight
                continue
            weight = max(self._idf_of[w] * sim for w, sim in matches)
            query_mass += weight
            if word not in QUESTION_WORDS:
                evidence += weight
            weighted.append((weight, matches))
            for w, sim in matches:
                covered[w] = max(covered.get(w, 0.0), sim)
        if not covered:
            return [], None, 0.0, named

        # Candidates: the examples sharing a word with the question. Words in a large share of all
        # examples only score candidates found through rarer words; alone they cannot make a match worth
        # showing, and skipping their postings keeps a large knowledge base fast.
        cover: IntArray = np.fromiter(covered, dtype=np.int64, count=len(covered))
        candidates: IntArray
        if self._example_dense is not None and self._every_word_rare:
            rows = self._example_dense[cover]
            candidates = np.flatnonzero(rows.any(axis=0))
            in_example = rows[:, candidates]
        else:
            lengths = self._post_start[cover + 1] - self._post_start[cover]
            rare = lengths <= self._candidate_cap
            if not rare.any():
                rare[:] = True
            marked = np.zeros(self._n_examples, dtype=bool)
            marked[_gather(self._post_examples, self._post_start[cover[rare]], lengths[rare])] = True
            candidates = np.flatnonzero(marked)
            in_example = _membership(self._post_examples, self._post_start, cover, candidates, self._n_examples)

        # One matrix operation per step rather than one per word: each question word's best variant, then
        # sums over the words in the question's order, so every score is the same float as word by word.
        variants = _Variants.of(weighted, {w: row for row, w in enumerate(covered)})
        precision_num = variants.coverage(in_example)
        coefficients = self._idf[cover] * np.fromiter(covered.values(), dtype=np.float64, count=cover.size)
        recall_num = _sum_rows(coefficients[:, None] * in_example)
        precision = precision_num / query_mass
        recall = recall_num / np.maximum(self._example_mass[candidates], 1e-9)
        alpha = self.settings.recall_weight
        # Weighted harmonic mean: zero if either side is zero, like an F-score.
        denominator = (1 - alpha) * recall + alpha * precision
        example_score = np.where(denominator > 0, precision * recall / np.maximum(denominator, 1e-12), 0.0)

        # Candidates are sorted and examples are laid out entry by entry, so entries come in runs.
        candidate_entries = self._example_entry[candidates]
        run_start = np.empty(candidate_entries.size, dtype=bool)
        run_start[:1] = True
        np.not_equal(candidate_entries[1:], candidate_entries[:-1], out=run_start[1:])
        starts = np.flatnonzero(run_start)
        entries = candidate_entries[starts]
        best_example = np.maximum.reduceat(example_score, starts)
        in_entry = (
            self._entry_dense[cover][:, entries]
            if self._entry_dense is not None
            else _membership(self._entry_post, self._entry_post_start, cover, entries, len(self._entries))
        )
        entry_coverage = variants.coverage(in_entry) / query_mass
        lam = self.settings.example_weight
        score = np.where(best_example > 0, lam * best_example + (1 - lam) * entry_coverage, 0.0)

        if named:
            # A programme's name is a precise subject even when it is the only word ("MIRAI?").
            evidence = max(evidence, self.settings.min_evidence)
        # Keywords before the named programme's rules: a subject keyword of the other programme's entry is
        # lent to its counterpart with the rest of its score, and scaled down with it.
        keyword_entries = [
            self._keyword_entries[w] for w, sim in covered.items() if sim >= 0.9 and w in self._keyword_entries
        ]
        if keyword_entries:
            with_keyword = np.zeros(len(self._entries), dtype=bool)
            for ids in keyword_entries:
                with_keyword[ids] = True
            boosted = with_keyword[entries]
            score = np.where(boosted & (score > 0), score + self.settings.keyword_boost, score)
        lent: frozenset[int] = frozenset()
        if len(named) == 1:
            programme = next(iter(named))
            own = self._programme_index[programme]
            programme_of = self._entry_programme[entries]
            other = (programme_of >= 0) & (programme_of != own)
            entries, score, entry_coverage, best_example, lent = self._lend_to_counterparts(
                programme, entries, score, entry_coverage, best_example, other
            )
            programme_of = self._entry_programme[entries]
            other = (programme_of >= 0) & (programme_of != own)
            score = np.where(other, score * self.settings.other_programme_factor, score)

        top = int(np.argmax(example_score))
        example_lang = LANGUAGES[int(self._example_lang[candidates[top]])] if example_score[top] > 0 else None
        positive = np.flatnonzero(score > 0)
        if limit is not None and positive.size > limit:
            positive = positive[np.argpartition(-score[positive], limit - 1)[:limit]]
        order = positive[np.argsort(-score[positive], kind="stable")]
        ranked = [
            Scored(self._entries[entry], round(value * 100, 1), coverage, example, entry in lent)
            for entry, value, coverage, example in zip(
                entries[order].tolist(),
                score[order].tolist(),
                entry_coverage[order].tolist(),
                best_example[order].tolist(),
                strict=True,
            )
        ]
        return ranked, example_lang, evidence, named

    def _lend_to_counterparts(
        self,
        programme: str,
        entries: IntArray,
        score: FloatArray,
        coverage: FloatArray,
        example: FloatArray,
        other: npt.NDArray[np.bool_],
    ) -> tuple[IntArray, FloatArray, FloatArray, FloatArray, frozenset[int]]:
        """A question naming one programme, whose words another programme's entry holds, scores that entry's
        counterpart of the same theme as well (a little lower than its own words would): "I have ADHD, can I
        apply for JET?" finds its words in MIRAI's health entry, and its answer in JET's criteria, which cover
        health for JET."""
        factor = self.settings.counterpart_factor
        lent: dict[int, tuple[float, float, float]] = {}
        for i in np.flatnonzero(other & (score > 0)).tolist():
            for theme in self._entries[int(entries[i])].theme:
                counterpart = self._counterpart.get((programme, theme))
                if counterpart is None:
                    continue
                value = float(score[i]) * factor
                if value > lent.get(counterpart, (0.0, 0.0, 0.0))[0]:
                    lent[counterpart] = (value, float(coverage[i]), float(example[i]))
        if not lent:
            return entries, score, coverage, example, frozenset()
        position = {entry: i for i, entry in enumerate(entries.tolist())}
        score, coverage, example = score.copy(), coverage.copy(), example.copy()
        added: list[tuple[int, float, float, float]] = []
        taken: set[int] = set()
        for counterpart, (value, cov, ex) in lent.items():
            at = position.get(counterpart)
            if at is None:
                added.append((counterpart, value, cov, ex))
                taken.add(counterpart)
            elif value > score[at]:
                if score[at] < self.settings.answer_threshold:  # not an answer on its own words
                    taken.add(counterpart)
                score[at], coverage[at], example[at] = value, cov, ex
        if added:
            entries = np.concatenate((entries, np.array([a[0] for a in added], dtype=np.int64)))
            score = np.concatenate((score, [a[1] for a in added]))
            coverage = np.concatenate((coverage, [a[2] for a in added]))
            example = np.concatenate((example, [a[3] for a in added]))
        return entries, score, coverage, example, frozenset(taken)

    def _entry_postings(self, word: int) -> IntArray:
        return self._entry_post[self._entry_post_start[word] : self._entry_post_start[word + 1]]

    def _postings(self, word: int) -> IntArray:
        return self._post_examples[self._post_start[word] : self._post_start[word + 1]]

    def _lookup_all(self, query: list[str]) -> dict[str, tuple[tuple[int, float], ...]]:
        """For each word, the vocabulary words it stands for, with their similarity (1.0 for itself).

        Words not seen before are compared with the whole vocabulary in one ``process.cdist`` call:
        at 10,000 entries one batched call costs about what two single-word scans did, so a question full
        of new words is not paid word by word."""
        found: dict[str, tuple[tuple[int, float], ...]] = {}
        missing: list[str] = []
        for word in query:
            cached = self._fuzzy_cache.get(word)
            if cached is not None:
                self._fuzzy_cache.move_to_end(word)
                found[word] = cached
            else:
                missing.append(word)
        if not missing:
            return found
        settings = self.settings
        fuzzy = [word for word in missing if len(word) >= settings.fuzzy_min_length]
        variants: dict[str, list[tuple[int, float]]] = {word: [] for word in missing}
        if fuzzy and self._words:
            scores = process.cdist(
                fuzzy, self._words, scorer=fuzz.ratio, score_cutoff=settings.fuzzy_cutoff, dtype=np.float32
            )
            for word, row in zip(fuzzy, scores, strict=True):
                hits = np.flatnonzero(row)
                hits = hits[self._long_enough[hits]]
                # The five closest, ties in vocabulary order, as process.extract would give them.
                best = hits[np.lexsort((hits, -row[hits]))][:5]
                variants[word] = [(int(index), _similarity(float(row[index]))) for index in best]
        for word in missing:
            matches: dict[int, float] = {}
            exact = self._vocabulary.get(word)
            if exact is not None:
                matches[exact] = 1.0
            for index, similarity in variants[word]:
                matches.setdefault(index, similarity)
            found[word] = self._fuzzy_cache[word] = tuple(matches.items())
        while len(self._fuzzy_cache) > _FUZZY_CACHE_SIZE:
            self._fuzzy_cache.popitem(last=False)
        return found


def _programme_named(word: str, programme_words: dict[str, str]) -> str | None:
    """The programme a question word names, as its name or keyword or their plural: "JETs" and "CIRs"
    (participants, posts) name JET as surely as "JET" and "CIR" do."""
    found = programme_words.get(word)
    if found is None and len(word) > 3 and word.endswith("s"):
        found = programme_words.get(word[:-1])
    return found


def _inverted_index(documents: list[list[int]], n_words: int) -> tuple[IntArray, IntArray]:
    """CSR layout: the documents holding word w are ``flat[start[w]:start[w + 1]]``, in ascending order."""
    postings: list[list[int]] = [[] for _ in range(n_words)]
    for document, words in enumerate(documents):
        for word in words:
            postings[word].append(document)
    lengths = np.array([len(p) for p in postings], dtype=np.int64)
    start = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    flat = np.fromiter((d for p in postings for d in p), dtype=np.int64, count=int(lengths.sum()))
    return start, flat


def _dense(start: IntArray, flat: IntArray, size: int) -> BoolMatrix:
    """The CSR postings as a matrix: row w, column d is whether document d holds word w."""
    matrix = np.zeros((start.size - 1, size), dtype=bool)
    matrix[np.repeat(np.arange(start.size - 1), np.diff(start)), flat] = True
    return matrix


def _gather(flat: IntArray, starts: IntArray, lengths: IntArray) -> IntArray:
    """``flat[starts[i]:starts[i] + lengths[i]]`` for every i, concatenated, without a slice per word."""
    total = int(lengths.sum())
    offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    found: IntArray = flat[np.arange(total, dtype=np.int64) + offsets]
    return found


def _membership(flat: IntArray, start: IntArray, words: IntArray, candidates: IntArray, size: int) -> BoolMatrix:
    """Row i, column j: whether candidate j (an example or an entry, ascending) holds ``words[i]``, from the
    CSR postings ``flat``/``start`` over ``size`` documents.

    A word's postings are gathered when they are short, looked up by binary search when they are much
    longer than the candidates (a common word at 10,000 entries): each where it is the cheaper."""
    found = np.zeros((words.size, candidates.size), dtype=bool)
    if candidates.size == 0:
        return found
    lengths = start[words + 1] - start[words]
    short = lengths <= 8 * candidates.size
    if short.any():
        rows = np.repeat(np.flatnonzero(short), lengths[short])
        position = np.full(size, -1, dtype=np.int64)
        position[candidates] = np.arange(candidates.size)
        columns = position[_gather(flat, start[words[short]], lengths[short])]
        hit = columns >= 0
        found[rows[hit], columns[hit]] = True
    for row in np.flatnonzero(~short):
        postings = flat[start[words[row]] : start[words[row] + 1]]
        positions = np.minimum(np.searchsorted(postings, candidates), postings.size - 1)
        found[row] = postings[positions] == candidates
    return found


def _sum_rows(rows: FloatArray) -> FloatArray:
    """The rows added up in order, first to last (not pairwise), as a loop adding one row at a time would."""
    total: FloatArray = np.add.reduce(rows, axis=0) if rows.shape[0] else np.zeros(rows.shape[1])
    return total


@dataclass(frozen=True, slots=True)
class _Variants:
    """The question's known words and the vocabulary words standing for each, as rows of a membership
    matrix: ``rows[i]`` with similarity ``sims[i]``, word by word from ``starts``."""

    weights: FloatArray
    rows: IntArray
    sims: FloatArray
    starts: IntArray

    several: tuple[tuple[int, int, int], ...]
    """(word, first row, end row) of each word with more than one variant."""

    @classmethod
    def of(cls, weighted: list[tuple[float, tuple[tuple[int, float], ...]]], row_of: dict[int, int]) -> _Variants:
        weights: list[float] = []
        rows: list[int] = []
        sims: list[float] = []
        starts: list[int] = []
        several: list[tuple[int, int, int]] = []
        for word, (weight, matches) in enumerate(weighted):
            weights.append(weight)
            starts.append(len(rows))
            if len(matches) > 1:
                several.append((word, len(rows), len(rows) + len(matches)))
            for w, sim in matches:
                rows.append(row_of[w])
                sims.append(sim)
        return cls(
            weights=np.array(weights, dtype=np.float64),
            rows=np.array(rows, dtype=np.int64),
            sims=np.array(sims, dtype=np.float64),
            starts=np.array(starts, dtype=np.int64),
            several=tuple(several),
        )

    def coverage(self, member: BoolMatrix) -> FloatArray:
        """Per candidate: the sum over question words of weight x the best similarity of any of the word's
        variants the candidate holds."""
        by_variant = self.sims[:, None] * member[self.rows]
        best = by_variant[self.starts]  # a word's first variant; the best of several is taken below
        for word, first, end in self.several:
            best[word] = np.maximum.reduce(by_variant[first:end], axis=0)
        return _sum_rows(self.weights[:, None] * best)


def _similarity(ratio: float) -> float:
    """Map a fuzz.ratio above the cutoff to a weight that falls faster than linear: typos are not equals."""
    return math.pow(ratio / 100.0, 2)
