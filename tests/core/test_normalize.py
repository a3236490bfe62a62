"""Text normalisation shared by the knowledge index and incoming questions, in English, French and Dutch."""

from __future__ import annotations

import pytest

from bot.core.languages import LANGUAGES
from bot.core.normalize import STOP_WORDS, content_words, fold, guess_language, normalize, words


@pytest.mark.parametrize(
    ("word", "folded"),
    [
        ("Âgé", "age"),
        ("ÉCOLE", "ecole"),
        ("naïve", "naive"),
        ("Français", "francais"),
        ("één", "een"),
        ("coördinator", "coordinator"),
        ("Straße", "strasse"),  # casefold, not just lower
        ("ﬁche", "fiche"),  # compatibility ligature
        ("２０２０", "2020"),  # full-width digits
        ("MIRAI", "mirai"),
        ("c'est", "c'est"),  # fold keeps punctuation; normalize removes it
    ],
)
def test_fold(word, folded):
    """fold lower-cases, removes accents and unfolds compatibility characters, nothing more."""
    assert fold(word) == folded


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("Âge minimum ?", "age minimum"),
        ("age minimum", "age minimum"),
        ("AGE MINIMUM!!", "age minimum"),
        ("C'est quoi MIRAI ?", "c est quoi mirai"),
        ("C’est quoi, le JET ?", "c est quoi le jet"),  # typographic apostrophe
        ("Quel âge faut-il avoir ?", "quel age faut il avoir"),
        ("l'âge d'un étudiant", "l age d un etudiant"),
        ("« Programme JET »", "programme jet"),
        ("Wat is het JET-programma?", "wat is het jet programma"),
        ("hoger-onderwijs-instelling", "hoger onderwijs instelling"),
        ("Hoe oud moet je zijn?!", "hoe oud moet je zijn"),
        ("I'm 19, can I apply?", "i m 19 can i apply"),
        ("  many   blanks\tand\nlines  ", "many blanks and lines"),
        ("mirai.age", "mirai age"),
        ("slt c koi les conditions pr mirai", "salut c quoi les conditions pour mirai"),  # texting shorthand
        ("wa kost da, kzou graag gaan", "wat kost dat ik zou graag gaan"),
        ("kan ik ni gaan", "kan ik ni gaan"),  # "kan" is Dutch, "ni" French: neither is shorthand
        ("?!…", ""),
        ("", ""),
    ],
)
def test_normalize(text, normalized):
    """normalize folds and turns every run of punctuation or blanks into one space, trimmed."""
    assert normalize(text) == normalized


@pytest.mark.parametrize(
    "variants",
    [
        ("Âge minimum ?", "age minimum", "AGE MINIMUM!!", "âge-minimum"),
        ("Wat is het JET-programma?", "wat is het jet programma", "WAT IS HET JET PROGRAMMA"),
        ("c'est quoi", "c’est quoi", "C EST QUOI?"),
    ],
)
def test_variants_of_one_question_meet(variants):
    """Spellings that differ only in case, accents, apostrophes or punctuation normalise alike."""
    assert len({normalize(variant) for variant in variants}) == 1


def test_words_keeps_function_words():
    """words splits the normalised text and keeps every word, function words too."""
    assert words("Is het een hogeschool-student?") == ["is", "het", "een", "hogeschool", "student"]


@pytest.mark.parametrize(
    ("text", "content"),
    [
        ("How old do I have to be for MIRAI?", ["how", "old", "mirai"]),
        ("I'm 19, can I still apply?", ["19", "apply"]),  # "still" is no subject
        ("Je peux quand même postuler ?", ["postuler"]),  # "quand même" is "still", not "when"
        ("Quand même, quand est-ce que je peux postuler ?", ["quand", "postuler"]),
        ("What is the JET programme?", ["jet", "programme"]),
        ("C'est quoi le programme MIRAI ?", ["programme", "mirai"]),
        ("Quel âge faut-il avoir pour MIRAI ?", ["quel", "age", "mirai"]),
        ("Je suis française, est-ce que je peux postuler ?", ["francaise", "postuler"]),
        ("Wanneer kan ik me inschrijven?", ["wanneer", "inschrijven"]),
        ("Hoe oud moet je zijn voor het JET-programma?", ["hoe", "oud", "jet", "programma"]),
        ("Ik studeer aan een hogeschool", ["studeer", "hogeschool"]),
        ("jet JET Jet", ["jet"]),  # no repeats
        ("Hello! Bonjour, merci. Hallo, bedankt", ["hello", "bonjour", "merci", "hallo", "bedankt"]),  # greetings
        ("the and le de het", []),
    ],
)
def test_content_words(text, content):
    """content_words drops the function words of every language and repeats, keeping order and greetings."""
    assert content_words(text) == content


@pytest.mark.parametrize("lang", LANGUAGES)
def test_question_words_are_content_words(lang):
    """Question words (when, quand, wanneer…) are kept: they tell topics apart."""
    question_word = {"en": "when", "fr": "quand", "nl": "wanneer"}[lang]

    assert question_word not in STOP_WORDS[lang]
    assert content_words(f"{question_word} mirai") == [question_word, "mirai"]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("When can I apply for MIRAI?", "en"),
        ("How old do I have to be?", "en"),
        ("I'm 19, can I still apply?", "en"),
        ("what is the JET programme", "en"),
        ("Quand est-ce que je peux postuler ?", "fr"),
        ("C'est quoi le programme MIRAI ?", "fr"),
        ("Je suis française", "fr"),
        ("quel âge faut-il avoir pour le JET", "fr"),
        ("ÊTES-VOUS OUVERTS", "fr"),
        ("Wanneer kan ik me inschrijven?", "nl"),
        ("Hoe oud moet je zijn voor het JET-programma?", "nl"),
        ("ik studeer aan een hogeschool", "nl"),
        ("Wat is het MIRAI-programma?", "nl"),
    ],
)
def test_guess_language(text, lang):
    """The language whose function words a message uses most is guessed, whatever the case and accents."""
    assert guess_language(text) == lang


@pytest.mark.parametrize(
    "text",
    [
        "",
        "???",
        "MIRAI age?",  # no function words at all
        "JET CIR 2020",
        "de",  # French and Dutch both
        "en",  # French and Dutch both
        "is",  # English and Dutch both
        "a",  # English and French both
    ],
)
def test_guess_language_is_none_when_unclear(text):
    """With no function words, or as many of two languages, the language is left undecided."""
    assert guess_language(text) is None


_UNREACHABLE_STOP_WORD = ()


@pytest.mark.parametrize(
    "lang", [pytest.param(lang, marks=_UNREACHABLE_STOP_WORD) if lang == "nl" else lang for lang in LANGUAGES]
)
def test_every_stop_word_can_match_a_token(lang):
    """Every function word is written as a token (accents aside), or it could never match one."""
    assert [word for word in STOP_WORDS[lang] if normalize(word) != word and fold(word) == word] == []
