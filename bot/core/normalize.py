"""Text normalisation shared by the knowledge index and incoming questions.

Both sides go through the same steps, so that "Âge minimum ?", "age minimum" and "AGE MINIMUM!!" meet:
Unicode compatibility folding, lower case, accents removed, every run of non-alphanumerics one space.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Final

from bot.core.languages import LANGUAGES, Lang

_NON_WORD: Final = re.compile(r"[^0-9a-z]+")

# Function words only: question words ("when", "who", "combien", "wanneer") and greetings ("hello",
# "merci") stay, because they tell topics apart. Kept short on purpose: IDF weighting makes
# rare function words cheap anyway.
STOP_WORDS: Final[dict[Lang, frozenset[str]]] = {
    "en": frozenset(
        """a an the and or but if of to in on at for from by with about as into than then so is are was were
        be been being am do does did done have has had having i me my mine im ive id you your youre u ur we us
        our they them their he she his her it its this that these those there here will would shall should
        can could may might must just really also very too please any some all no not still yet
        dont doesnt cant isnt arent wont didnt what s t m re ve ll d""".split()
    ),
    "fr": frozenset(
        """le la les l un une des du de d au aux et ou mais si a à en dans sur sous pour par avec sans ce cet
        cette ces c ca ça est sont etre être ete été suis es sommes etes êtes ai as avons avez ont avoir
        je j me m moi tu te t toi il elle on nous vous ils elles lui leur leurs se s sa son ses mon ma mes ton
        ta tes notre nos votre vos y qu que qui quoi ne n pas plus tres très aussi bien alors donc
        svp stp faut peut peux pouvez puis meme encore""".split()
    ),
    "nl": frozenset(
        """de het een en of maar als van voor in op aan met bij naar uit om te tot door over dan dat die dit
        deze er hier daar is zijn ben bent was waren wordt worden werd heb hebt heeft hebben had ik me mij
        mijn je jij jou jouw u uw we wij ons onze ze zij hun hen hij haar zijn het hem men kan kun kunt
        kunnen mag mogen moet moeten zal zou zouden wil wilt willen ook nog wel al niet geen even eens
        dus toch zo heel erg graag alsjeblieft aub eigenlijk""".split()
    ),
}
ALL_STOP_WORDS: Final[frozenset[str]] = frozenset().union(*STOP_WORDS.values())

QUESTION_WORDS: Final[frozenset[str]] = frozenset(
    """how when where who whom whose why which hows whens wheres whos whys
    comment quand ou pourquoi combien quel quelle quels quelles lequel laquelle
    hoe wanneer waar wie waarom welke welk wat hoeveel""".split()
)
"""Question words, folded: they tell topics apart ("when" leans to dates), so they are scored, but they name
no subject: "Pourquoi le Japon ?" asks about nothing the knowledge holds, however rare "pourquoi" is in it."""


@lru_cache(maxsize=8192)
def fold(word: str) -> str:
    """Lower case without accents: 'Âgé' -> 'age'."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


SHORTHANDS: Final[dict[str, str]] = {
    # French texting
    "pr": "pour", "koi": "quoi", "ki": "qui", "ke": "que", "qd": "quand", "cmt": "comment",
    "pk": "pourquoi", "pq": "pourquoi", "pkoi": "pourquoi", "cb": "combien", "bcp": "beaucoup", "tt": "tout",
    "tjs": "toujours", "jsuis": "je suis", "jsui": "je suis", "chui": "je suis", "jveux": "je veux",
    "jpeux": "je peux", "jpense": "je pense", "jai": "j ai", "ya": "il y a", "dc": "donc", "ds": "dans",
    "slt": "salut", "bjr": "bonjour", "mrc": "merci", "mrci": "merci",
    # Flemish and Dutch texting
    "wa": "wat", "da": "dat", "nie": "niet", "kzou": "ik zou", "kheb": "ik heb", "kben": "ik ben",
    "kga": "ik ga", "kwil": "ik wil", "kmag": "ik mag", "gij": "jij", "ge": "je",
    "hvl": "hoeveel", "wnr": "wanneer", "mss": "misschien", "ff": "even", "tis": "het is",
    # English texting
    "r": "are", "pls": "please", "plz": "please", "hw": "how", "wen": "when", "abt": "about", "bc": "because",
    "cuz": "because", "idk": "i dont know",
}  # fmt: skip
"""Texting shorthand, folded, and the words it stands for: "c koi les conditions pr mirai" asks what
"c'est quoi les conditions pour MIRAI" asks, instead of carrying words the knowledge base has never seen."""


def normalize(text: str) -> str:
    """Folded text with punctuation collapsed to single spaces, texting shorthand written out."""
    collapsed = _NON_WORD.sub(" ", fold(text)).strip()
    tokens = collapsed.split()
    if not any(token in SHORTHANDS for token in tokens):
        return collapsed
    return " ".join(SHORTHANDS.get(token, token) for token in tokens)


def words(text: str) -> list[str]:
    """All normalised words, function words included."""
    return normalize(text).split()


def content_words(text: str) -> list[str]:
    """Normalised words without function words of any supported language, in order, without repeats."""
    return content_words_of(words(text))


def content_words_of(tokens: list[str]) -> list[str]:
    """``content_words`` of text already split by ``words`` (a caller that needs both normalises once)."""
    if "quand" in tokens:
        tokens = _without_quand_meme(tokens)
    return list(dict.fromkeys(word for word in tokens if word not in ALL_STOP_WORDS))


def _without_quand_meme(tokens: list[str]) -> list[str]:
    """ "Quand même" is "still", not "when": "je peux quand même postuler ?" asks nothing about dates."""
    return [word for i, word in enumerate(tokens) if not (word == "quand" and tokens[i + 1 : i + 2] == ["meme"])]


_FOLDED_STOP_WORDS: Final[dict[Lang, frozenset[str]]] = {
    lang: frozenset(fold(word) for word in STOP_WORDS[lang]) for lang in LANGUAGES
}


_STOP_WORD_LANGUAGES: Final[dict[str, tuple[Lang, ...]]] = {
    word: tuple(lang for lang in LANGUAGES if word in _FOLDED_STOP_WORDS[lang])
    for word in frozenset().union(*_FOLDED_STOP_WORDS.values())
}


def guess_language(text: str) -> Lang | None:
    """The language whose function words the text uses most, or None when it is unclear.

    Function words are the most reliable cue in short chat messages; a tie (say "MIRAI age?") is
    left undecided for the caller to resolve from other evidence.
    """
    return language_of(words(text))


def language_of(tokens: list[str]) -> Lang | None:
    """``guess_language`` of text already split by ``words``: one look-up a word, not one a word and language."""
    counts = dict.fromkeys(LANGUAGES, 0)
    for token in tokens:
        for lang in _STOP_WORD_LANGUAGES.get(token, ()):
            counts[lang] += 1
    ranked = sorted(counts.items(), key=lambda item: item[1], reverse=True)
    (best, best_count), (_, second_count) = ranked[0], ranked[1]
    return best if best_count > second_count else None
