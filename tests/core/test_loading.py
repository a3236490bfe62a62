"""Loading the knowledge base: a valid folder loads, and every problem is reported with file, line and a fix."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.core import markup
from bot.core.errors import KnowledgeError, Problem
from bot.core.knowledge import ANSWER_MAX_CHARS, FIRST_SCREEN_CHARS
from bot.core.languages import LANGUAGES
from bot.core.loading import EMBASSY_PAGE_URL, SOURCES_DIR, load_knowledge, normalise_quote
from tests.core.fixtures import (
    REMOVE,
    SHIPPED_KNOWLEDGE,
    entry,
    line_of,
    only_problem,
    problems_of,
    programme,
    render,
    texts,
    write,
)

# The 27 ids of the table in /work/shared/knowledge-topics.md ("Knowledge topics the bot must answer"),
# copied here because that file lives outside the repository.
REQUIRED_TOPIC_IDS = (
    "programs.overview",
    "programs.timing",
    "contact.embassy",
    "mirai.about",
    "mirai.aims",
    "mirai.sns",
    "mirai.requirements",
    "mirai.nationality",
    "mirai.enrolment",
    "mirai.passport",
    "mirai.japan_stay",
    "mirai.age",
    "mirai.grades",
    "mirai.english",
    "mirai.health",
    "jet.about",
    "jet.positions",
    "jet.cir",
    "jet.alt",
    "jet.sea",
    "jet.belgian_eligibility",
    "jet.belgians_history",
    "jet.testimonials",
    "jet.websites",
    "bot.subscribe",
    "bot.eligibility_quiz",
    "bot.privacy",
)


# --- helpers: a valid minimal knowledge base, so that each test changes exactly one thing ----------------


# --- a valid knowledge base ------------------------------------------------------------------------------


def test_the_helpers_build_a_valid_knowledge_base(tmp_path):
    """The minimal files the other tests start from load without a problem, so each failure below is the change."""
    directory = write(
        tmp_path,
        {
            "general.yaml": render(entry("general.contact", related=["mirai.age"])),
            "mirai.yaml": render(entry("mirai.age", keywords=["age"]), programme=programme("mirai")),
        },
    )

    knowledge = load_knowledge(directory)

    assert [e.id for e in knowledge.entries] == ["general.contact", "mirai.age"]
    assert [p.id for p in knowledge.programmes] == ["mirai"]
    assert knowledge.entry("mirai.age").answer["fr"] == "Answer about mirai.age (fr)"


def test_entries_of_a_programme_file_belong_to_that_programme_and_general_ones_to_none(tmp_path):
    """The loader sets ``programme`` from the file's programme block, and None in a file without one."""
    directory = write(
        tmp_path,
        {
            "general.yaml": render(entry("general.contact")),
            "jet.yaml": render(entry("jet.about"), entry("jet.cir"), programme=programme("jet")),
            "mirai.yaml": render(entry("mirai.age"), programme=programme("mirai")),
        },
    )

    knowledge = load_knowledge(directory)

    assert {e.id: e.programme for e in knowledge.entries} == {
        "general.contact": None,
        "jet.about": "jet",
        "jet.cir": "jet",
        "mirai.age": "mirai",
    }
    assert [e.id for e in knowledge.topics_of("jet")] == ["jet.about", "jet.cir"]
    assert knowledge.programme("mirai") is not None
    assert knowledge.programme("mirai").name["nl"] == "MIRAI (nl)"


def test_a_year_written_as_a_number_is_kept_as_text(tmp_path):
    """Staff write ``as_of: 2019``, which YAML reads as a number; it loads as the text '2019'."""
    source = {"title": "Embassy page", "url": "https://www.be.emb-japan.go.jp/", "as_of": 2019, "quote": "Welcome"}
    directory = write(tmp_path, {"general.yaml": render(entry(sources=[source]))})

    (loaded,) = load_knowledge(directory).entries

    assert loaded.sources[0].as_of == "2019"


@pytest.mark.parametrize("as_of", ["undated page", "2019 and 2020/21", "about 2008-2014 (year not stated)"])
def test_an_as_of_in_words_must_be_written_in_each_language(tmp_path, as_of):
    """Words in ``as_of`` would be read in English under a French or Dutch answer: the file is refused at the
    source's line, with how to write it; a year, a date or a fiscal year ("JFY2019") needs no translation."""
    source = {"title": "JET site", "as_of": as_of, "quote": "Applicants must hold a degree."}
    text = render(entry(sources=[source]))
    directory = write(tmp_path, {"general.yaml": text})

    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(directory)

    (problem,) = caught.value.problems
    assert "as_of" in problem.message
    assert "{en: …, fr: …, nl: …}" in problem.message
    assert problem.line is not None
    assert abs(problem.line - line_of(text, "as_of:")) <= 1


@pytest.mark.parametrize("as_of", ["2019-2020", "JFY2019", "FY2025", "2020-04-01"])
def test_a_year_or_fiscal_year_as_of_is_one_text_for_every_language(tmp_path, as_of):
    source = {"title": "JET site", "as_of": as_of, "quote": "Applicants must hold a degree."}
    directory = write(tmp_path, {"general.yaml": render(entry(sources=[source]))})

    (loaded,) = load_knowledge(directory).entries

    assert [loaded.sources[0].as_of_in(lang) for lang in LANGUAGES] == [as_of] * 3


def test_an_as_of_in_each_language_is_shown_in_each(tmp_path):
    as_of = {"en": "undated page", "fr": "page non datée", "nl": "pagina zonder datum"}
    source = {"title": "JET site", "as_of": as_of, "quote": "Applicants must hold a degree."}
    directory = write(tmp_path, {"general.yaml": render(entry(sources=[source]))})

    (loaded,) = load_knowledge(directory).entries

    assert {lang: loaded.sources[0].as_of_in(lang) for lang in LANGUAGES} == as_of
    assert loaded.sources[0].edition == "undated page"


def test_version_is_eight_hex_digits_stable_for_the_same_files(tmp_path):
    """The version is a short digest: 8 lowercase hex digits, identical for identical files."""
    files = {"general.yaml": render(entry())}
    first = load_knowledge(write(tmp_path / "one", files)).version
    second = load_knowledge(write(tmp_path / "two", files)).version

    assert re.fullmatch(r"[0-9a-f]{8}", first)
    assert first == second


@pytest.mark.parametrize(
    ("changed_files", "why"),
    [
        ({"general.yaml": render(entry(answer=texts("A corrected answer")))}, "an answer is edited"),
        ({"general.yaml": render(entry()) + "# a comment\n"}, "only a comment is added"),
        ({"other.yaml": render(entry())}, "the same file is renamed"),
        ({"general.yaml": render(entry()), "jet.yaml": render(entry("jet.cir"))}, "a file is added"),
    ],
)
def test_version_changes_when_a_file_changes(tmp_path, changed_files, why):
    """Any change to the files (an edit, a comment, a rename, a new file) gives a new version."""
    before = load_knowledge(write(tmp_path / "before", {"general.yaml": render(entry())})).version
    after = load_knowledge(write(tmp_path / "after", changed_files)).version

    assert after != before, why


def test_only_yaml_files_are_read(tmp_path):
    """README.md and other files beside the YAML files are not knowledge and are ignored."""
    directory = write(tmp_path, {"general.yaml": render(entry()), "README.md": "# notes: [unclosed\n"})

    assert [e.id for e in load_knowledge(directory).entries] == ["general.contact"]


# --- every problem with its file, its line and what to do ------------------------------------------------


@pytest.mark.parametrize(
    ("broken", "bad_line", "message"),
    [
        ("    fr: Title: with a colon\n", "fr: Title: with a colon", "mapping values are not allowed here"),
        ("\tfr: indented with a tab\n", "indented with a tab", "found character '\\t'"),
        ("    fr: [never closed\n  answer: x\n", "answer: x", "malformed YAML"),
    ],
)
def test_malformed_yaml_is_reported_at_its_line(tmp_path, broken, bad_line, message):
    """A YAML syntax error is reported as malformed YAML at the line where the parser stumbled."""
    text = render(entry()).replace("    fr: Title of general.contact (fr)\n", broken)
    directory = write(tmp_path, {"general.yaml": text})

    problem = only_problem(directory)

    assert (problem.file, problem.line) == ("general.yaml", line_of(text, bad_line))
    assert problem.message.startswith("malformed YAML: ")
    assert message in problem.message


def test_an_unclosed_quote_is_reported_where_it_opens(tmp_path):
    """A string whose closing quote is missing is reported at the line of its opening quote."""
    text = render(entry()).replace("    fr: Title of general.contact (fr)\n", '    fr: "Title never closed\n')
    directory = write(tmp_path, {"general.yaml": text})

    problem = only_problem(directory)

    assert problem.line == line_of(text, '"Title never closed')


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_an_empty_file_is_reported(tmp_path, text):
    """A file with nothing in it (or only comments) is reported at line 1 and told it needs 'entries:'."""
    directory = write(tmp_path, {"general.yaml": render(entry()), "empty.yaml": text})

    problem = only_problem(directory)

    assert (problem.file, problem.line) == ("empty.yaml", 1)
    assert "empty" in problem.message
    assert "'entries:'" in problem.message


@pytest.mark.parametrize("text", ["- id: a.b\n", "just some text\n", "42\n", "---\n"])
def test_a_file_that_is_not_a_mapping_is_reported(tmp_path, text):
    """A file whose top level is a list, a scalar or null is told to be a mapping with 'entries:'."""
    directory = write(tmp_path, {"general.yaml": text})

    problem = only_problem(directory)

    assert (problem.file, problem.line) == ("general.yaml", 1)
    assert "mapping with 'entries:'" in problem.message


def test_a_file_that_is_not_utf8_is_reported(tmp_path):
    """A file saved in another encoding is reported with the advice to save it as UTF-8."""
    directory = write(tmp_path, {"general.yaml": render(entry())})
    (directory / "latin1.yaml").write_bytes(render(entry("general.age", title=texts("Âge"))).encode("latin-1"))

    problem = only_problem(directory)

    assert (problem.file, problem.line) == ("latin1.yaml", 1)
    assert "save the file as UTF-8" in problem.message


def test_a_duplicate_id_across_two_files_is_reported_in_the_second(tmp_path):
    """The same id in two files is reported at the second occurrence, naming the file of the first."""
    second = render(entry("jet.about"), entry("general.contact"))
    directory = write(tmp_path, {"a.yaml": render(entry("general.contact")), "b.yaml": second})

    problem = only_problem(directory)

    assert (problem.file, problem.line) == ("b.yaml", line_of(second, "- id: general.contact"))
    assert problem.message == "duplicate id 'general.contact' (also in a.yaml)"


def test_a_duplicate_id_in_one_file_is_reported_at_the_second_entry(tmp_path):
    """Two entries with the same id in one file: the second is reported, naming the same file."""
    text = render(
        entry("general.contact"),
        entry("general.contact", questions={lang: [f"another {lang} question"] for lang in LANGUAGES}),
    )
    directory = write(tmp_path, {"general.yaml": text})

    problem = only_problem(directory)

    assert problem.line == line_of(text, "- id: general.contact", after="- question nl about general.contact")
    assert problem.message == "duplicate id 'general.contact' (also in general.yaml)"


def test_a_programme_declared_in_two_files_names_the_file(tmp_path):
    """The same programme id in two files is reported in the second file, not in an unnamed one."""
    directory = write(
        tmp_path,
        {
            "a.yaml": render(entry("mirai.age"), programme=programme("mirai")),
            "b.yaml": render(entry("mirai.about"), programme=programme("mirai")),
        },
    )

    problem = only_problem(directory)

    assert problem.file == "b.yaml"
    assert "programme 'mirai'" in problem.message


@pytest.mark.parametrize(
    ("related", "message"),
    [
        (["general.nowhere"], "entry general.contact: unknown related id 'general.nowhere'"),
        (["general.contact"], "entry general.contact: lists itself as related"),
    ],
)
def test_a_bad_related_id_is_reported_at_its_list_item(tmp_path, related, message):
    """A related id that names no entry, or the entry itself, is reported at its line in the list."""
    text = render(entry("general.contact", related=related))
    directory = write(tmp_path, {"general.yaml": text})

    problem = only_problem(directory)

    assert (problem.file, problem.line) == ("general.yaml", line_of(text, f"- {related[0]}"))
    assert problem.message == message


def test_a_related_id_in_another_file_is_fine(tmp_path):
    """Related ids are checked against the whole knowledge base, not only the same file."""
    directory = write(
        tmp_path,
        {
            "a.yaml": render(entry("general.contact", related=["mirai.age"])),
            "b.yaml": render(entry("mirai.age", related=["general.contact"])),
        },
    )

    assert load_knowledge(directory).entry("general.contact").related == ("mirai.age",)


@pytest.mark.parametrize("field", ["title", "answer"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_missing_translation_is_reported_by_language(tmp_path, field, lang):
    """A text without one of its languages is reported at the text's key as a missing translation."""
    text = render(entry(**{field: texts("Some text", **{lang: REMOVE})}))
    directory = write(tmp_path, {"general.yaml": text})

    problem = only_problem(directory)

    assert (problem.file, problem.line) == ("general.yaml", line_of(text, f"  {field}:"))
    assert problem.message == f"entry general.contact, {field}.{lang}: missing translation '{lang}'"


def test_missing_example_questions_for_a_language_are_reported(tmp_path):
    """An entry with no Dutch example questions is told the 'nl' translation is missing."""
    questions = {"en": ["how old must I be"], "fr": ["quel âge faut-il avoir"]}
    directory = write(tmp_path, {"general.yaml": render(entry(questions=questions))})

    problem = only_problem(directory)

    assert problem.message == "entry general.contact, questions.nl: missing translation 'nl'"


@pytest.mark.parametrize("field", ["id", "title", "answer", "questions"])
def test_a_missing_required_key_is_reported(tmp_path, field):
    """An entry without a required key is reported at the entry, naming the key."""
    text = render(entry(**{field: REMOVE}))
    directory = write(tmp_path, {"general.yaml": text})

    problem = only_problem(directory)

    assert problem.line == 2  # the '- ' line that starts the entry
    assert problem.message.endswith(f"'{field}' is required")


@pytest.mark.parametrize("empty", ["", "   ", "\n"])
def test_an_empty_answer_is_reported(tmp_path, empty):
    """An answer that is empty or only blanks is reported at its line as 'must not be empty'."""
    text = render(entry(answer=texts("Answer", fr=empty)))
    directory = write(tmp_path, {"general.yaml": text})

    problem = only_problem(directory)

    assert (problem.file, problem.line) == ("general.yaml", line_of(text, "fr:", after="  answer:"))
    assert problem.message == "entry general.contact, answer.fr: must not be empty"


def test_an_empty_list_of_example_questions_is_reported(tmp_path):
    """An empty list of example questions is reported as 'must not be empty'."""
    text = render(entry(questions={"en": ["how old must I be"], "fr": [], "nl": ["hoe oud moet ik zijn"]}))
    directory = write(tmp_path, {"general.yaml": text})

    problem = only_problem(directory)

    assert problem.line == line_of(text, "fr: []")
    assert problem.message == "entry general.contact, questions.fr: must not be empty"


@pytest.mark.parametrize(
    ("length", "is_problem"),
    [(ANSWER_MAX_CHARS - 1, False), (ANSWER_MAX_CHARS, False), (ANSWER_MAX_CHARS + 1, True)],
)
def test_details_over_the_limit_are_reported_with_their_length(tmp_path, length, is_problem):
    """Details longer than ANSWER_MAX_CHARS (a message of their own) are reported at their line with the limit."""
    text = render(entry(details=texts("Details", nl="x" * length)))
    directory = write(tmp_path, {"general.yaml": text})

    if not is_problem:
        details = load_knowledge(directory).entries[0].details
        assert details is not None
        assert len(details["nl"]) == length
        return
    problem = only_problem(directory)
    assert (problem.file, problem.line) == ("general.yaml", line_of(text, "nl: xxx", after="  details:"))
    assert problem.message == (
        f"entry general.contact: details.nl has {length} characters; the limit is {ANSWER_MAX_CHARS}"
    )


@pytest.mark.parametrize(
    ("answer", "shown", "is_problem"),
    [
        ("x" * FIRST_SCREEN_CHARS, FIRST_SCREEN_CHARS, False),
        ("x" * (FIRST_SCREEN_CHARS + 1), FIRST_SCREEN_CHARS + 1, True),
        # Measured as shown: bold marks and a link's address are not on the screen; bullets are "• ".
        ("**" + "x" * (FIRST_SCREEN_CHARS - 4) + "**", FIRST_SCREEN_CHARS - 4, False),
        (
            "x" * (FIRST_SCREEN_CHARS - 7) + " [embassy](https://www.be.emb-japan.go.jp/itpr_en/)",
            FIRST_SCREEN_CHARS + 1,
            True,
        ),
        (
            "x" * (FIRST_SCREEN_CHARS - 10) + " [here](https://www.be.emb-japan.go.jp/itpr_en/)",
            FIRST_SCREEN_CHARS - 5,
            False,
        ),
        ("- " + "x" * (FIRST_SCREEN_CHARS - 2), FIRST_SCREEN_CHARS, False),
    ],
)
def test_an_answer_longer_than_one_phone_screen_is_reported(tmp_path, answer, shown, is_problem):
    """An answer showing more than FIRST_SCREEN_CHARS characters (after markup) is reported at its line, with
    its length, and told to move the rest into 'details'."""
    text = render(entry(answer=texts("Answer", fr=answer)))
    directory = write(tmp_path, {"general.yaml": text})

    if not is_problem:
        assert load_knowledge(directory).entries[0].answer["fr"] == answer
        return
    problem = only_problem(directory)
    assert (problem.file, problem.line) == ("general.yaml", line_of(text, "fr: ", after="  answer:"))
    assert problem.message == (
        f"entry general.contact: answer.fr shows {shown} characters, more than the {FIRST_SCREEN_CHARS} that fit "
        "one phone screen; keep what answers the question and move the rest into 'details' (see knowledge/README.md)"
    )


def test_a_long_answer_loads_once_its_rest_is_in_details(tmp_path):
    """The fix the message asks for works: a short answer with the rest in 'details' loads, details kept."""
    rest = "y" * 2000
    directory = write(tmp_path, {"general.yaml": render(entry(details=texts("More", en=rest)))})

    loaded = load_knowledge(directory).entries[0]

    assert loaded.details is not None
    assert loaded.details["en"] == rest
    assert loaded.details["nl"] == "More (nl)"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_details_need_every_language(tmp_path, lang):
    """Details are all three languages or none: a missing one is reported as a missing translation."""
    text = render(entry(details=texts("More", **{lang: REMOVE})))

    problem = only_problem(write(tmp_path, {"general.yaml": text}))

    assert problem.line == line_of(text, "details:")
    assert problem.message == f"entry general.contact, details.{lang}: missing translation '{lang}'"


def test_bad_markup_in_details_is_reported_at_its_line(tmp_path):
    """Details follow the answer's markup rules, and a broken one is reported where it is."""
    text = render(entry(details=texts("More", nl="**half bold")))

    problem = only_problem(write(tmp_path, {"general.yaml": text}))

    assert problem.line == line_of(text, "nl: '**half bold'", after="  details:")
    assert problem.message == "entry general.contact: details.nl: unbalanced '**': bold text needs '**' on both sides"


@pytest.mark.parametrize(
    ("original", "typo", "where"),
    [
        ("  answer:", "  anwser:", "entry general.contact, anwser"),
        ("    en: Title of general.contact", "    eng: Title of general.contact", "entry general.contact, title.eng"),
        ("    en: MIRAI (en)", "    eng: MIRAI (en)", "programme.name.eng"),
        ("programme:", "programmes:", "programmes"),
    ],
)
def test_an_unknown_key_is_reported_as_a_possible_typo(tmp_path, original, typo, where):
    """A key the format does not know (a typo) is reported at its line, pointing to the README."""
    text = render(entry(), programme=programme()).replace(original, typo, 1)
    directory = write(tmp_path, {"mirai.yaml": text})

    problems = problems_of(directory)
    unknown = [p for p in problems if "unknown key" in p.message]

    assert len(unknown) == 1, problems
    assert (unknown[0].file, unknown[0].line) == ("mirai.yaml", line_of(text, typo))
    key = typo.split(":")[0].strip()
    assert unknown[0].message == f"{where}: unknown key '{key}' (a typo?); see knowledge/README.md for the keys"


def test_a_typo_in_a_required_key_also_reports_the_key_as_missing(tmp_path):
    """'anwser:' is reported both as an unknown key and as a missing 'answer'."""
    text = render(entry()).replace("  answer:", "  anwser:")
    directory = write(tmp_path, {"general.yaml": text})

    messages = [p.message for p in problems_of(directory)]

    assert messages == [
        "entry general.contact, answer: 'answer' is required",
        "entry general.contact, anwser: unknown key 'anwser' (a typo?); see knowledge/README.md for the keys",
    ]


@pytest.mark.parametrize(
    ("original", "doubled", "key"),
    [
        ("    en: Title of general.contact (en)\n", "    en: Another title\n", "en"),
        ("  kind: answer\n", "  kind: redirect\n", "kind"),
    ],
)
def test_a_key_given_twice_in_a_mapping_is_reported_at_the_second(tmp_path, original, doubled, key):
    """A key written twice in one mapping is reported at its second line with 'keep one'."""
    base = render(entry(kind="answer"))
    text = base.replace(original, original + doubled, 1)
    directory = write(tmp_path, {"general.yaml": text})

    problem = only_problem(directory)

    assert (problem.file, problem.line) == ("general.yaml", line_of(text, doubled.strip()))
    assert problem.message == f"'{key}' appears twice here; keep one"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("How old must I be?", "How old must I be?"),
        ("Quel âge faut-il avoir ?", "quel age faut il avoir"),  # the same once normalised
    ],
)
def test_the_same_example_question_in_two_entries_is_reported(tmp_path, first, second):
    """An example question used by two entries is reported at the second, naming the first entry."""
    text = render(
        entry("mirai.age", questions={"en": ["minimum age"], "fr": [first], "nl": ["minimumleeftijd"]}),
        entry("jet.age", questions={"en": ["age for jet"], "fr": [second], "nl": ["leeftijd jet"]}),
    )
    directory = write(tmp_path, {"general.yaml": text})

    problem = only_problem(directory)

    assert (problem.file, problem.line) == ("general.yaml", line_of(text, f"- {second}", after="- id: jet.age"))
    assert problem.message == f"entry jet.age: example question '{second}' is also in mirai.age"


def test_the_same_question_twice_in_one_entry_is_not_a_conflict(tmp_path):
    """A question an entry lists in two languages (a name, say) is no conflict with itself."""
    directory = write(tmp_path, {"general.yaml": render(entry(questions={lang: ["MIRAI"] for lang in LANGUAGES}))})

    assert load_knowledge(directory).entries[0].questions["nl"] == ("MIRAI",)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("Applicants must be <b>20</b>.", "HTML tag '<b>' is shown as text"),
        ("Applicants must be **20 or over.", "unbalanced '**'"),
        ("See [the embassy](www.be.emb-japan.go.jp).", "link 'www.be.emb-japan.go.jp' must start with http://"),
    ],
)
def test_bad_markup_in_an_answer_is_reported_at_its_line(tmp_path, answer, message):
    """Markup the bot cannot render is reported at the answer's line, naming the language."""
    text = render(entry(answer=texts("Answer", fr=answer)))
    directory = write(tmp_path, {"general.yaml": text})

    problem = only_problem(directory)

    assert (problem.file, problem.line) == ("general.yaml", line_of(text, "fr: ", after="  answer:"))
    assert problem.message.startswith("entry general.contact: answer.fr: ")
    assert message in problem.message


@pytest.mark.parametrize("bad_id", ["Mirai.Age", "mirai age", "mirai-age", "mirai..age", "1mirai", ".mirai", "mirai."])
def test_an_invalid_id_is_reported_at_its_line(tmp_path, bad_id):
    """An id that is not lowercase words joined by dots is reported at its line, quoting it."""
    text = render(entry("general.contact"), entry(bad_id))
    directory = write(tmp_path, {"general.yaml": text})

    problem = only_problem(directory)

    assert (problem.file, problem.line) == ("general.yaml", line_of(text, "- id: ", after="- id: general.contact"))
    assert f"'{bad_id}' is not a valid value here" in problem.message


@pytest.mark.parametrize("files", [{}, {"README.md": "# notes\n", "general.yml": render(entry())}])
def test_a_folder_without_yaml_files_is_reported(tmp_path, files):
    """A folder with no *.yaml file (README only, or the .yml spelling) is refused with a clear message."""
    directory = write(tmp_path / "knowledge", files)

    problem = only_problem(directory)

    assert (problem.file, problem.line) == (str(directory), 0)
    assert problem.message == "no *.yaml knowledge files found here"


def test_a_folder_that_does_not_exist_is_reported(tmp_path):
    """A knowledge folder that does not exist is reported rather than loading as empty."""
    missing = tmp_path / "nowhere"

    problem = only_problem(missing)

    assert problem.message == "no *.yaml knowledge files found here"


def test_all_problems_of_one_load_are_reported_sorted_by_file_and_line(tmp_path):
    """Several problems in several files come in one KnowledgeError, sorted by file then line."""
    # a.yaml: problems the cross-check finds (its related problem is found before, but sits below, its
    # markup problem); b.yaml: problems of the format; c.yaml: an empty file.
    a_text = render(
        entry("general.contact", answer=texts("Answer", fr="<i>oops</i>"), related=["general.nowhere"]),
        entry("general.hours", questions={lang: [f"question {lang} about general.contact"] for lang in LANGUAGES}),
    )
    b_text = render(
        entry("jet.cir", answer=texts("Answer", nl=REMOVE)), entry("jet.alt", answer=REMOVE, anwser=texts("A"))
    )
    directory = write(tmp_path, {"c.yaml": "", "b.yaml": b_text, "a.yaml": a_text})

    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(directory)
    problems = caught.value.problems

    assert [(p.file, p.line) for p in problems] == [
        ("a.yaml", line_of(a_text, "fr: <i>oops</i>")),
        ("a.yaml", line_of(a_text, "- general.nowhere")),
        ("a.yaml", line_of(a_text, "- question en about general.contact", after="- id: general.hours")),
        ("a.yaml", line_of(a_text, "- question fr about general.contact", after="- id: general.hours")),
        ("a.yaml", line_of(a_text, "- question nl about general.contact", after="- id: general.hours")),
        ("b.yaml", line_of(b_text, "  answer:")),
        ("b.yaml", line_of(b_text, "- id: jet.alt")),  # 'answer' is required
        ("b.yaml", line_of(b_text, "  anwser:")),
        ("c.yaml", 1),
    ]
    report = str(caught.value)
    assert report.startswith(f"The knowledge base in {directory} has 9 problems:\n")
    assert report.splitlines()[1:] == [f"  {problem}" for problem in problems]


def test_one_bad_entry_does_not_hide_or_unknown_the_rest_of_its_file(tmp_path):
    """A typo in one entry is reported alone; the other entries of its file are still checked and known."""
    mirai = render(
        entry("mirai.age"),
        entry("mirai.about", answer=REMOVE, anwser=texts("A typo in the key")),
        entry("mirai.sns", answer=texts("Answer", en="Share it on <b>Facebook</b>.")),
        programme=programme("mirai"),
    )
    directory = write(tmp_path, {"mirai.yaml": mirai, "general.yaml": render(entry(related=["mirai.age"]))})

    problems = problems_of(directory)

    assert {(p.file, p.line) for p in problems} == {
        ("mirai.yaml", line_of(mirai, "- id: mirai.about")),  # 'answer' is required
        ("mirai.yaml", line_of(mirai, "  anwser:")),
        ("mirai.yaml", line_of(mirai, "en: Share it on <b>Facebook</b>.")),
    }


def test_a_problem_prints_as_file_line_message():
    """A Problem prints in the 'file:line: message' form editors and CI understand."""
    assert str(Problem("mirai.yaml", 12, "entry mirai.age: lists itself as related")) == (
        "mirai.yaml:12: entry mirai.age: lists itself as related"
    )


def test_a_full_date_as_of_is_kept_as_text(tmp_path):
    """``as_of: 2020-04-01`` (a date to YAML) loads as the text '2020-04-01', like a bare year does."""
    source = {"title": "JET guidelines", "as_of": "2020-04-01", "quote": "Applicants must hold a degree."}
    text = render(entry(sources=[source])).replace("as_of: '2020-04-01'", "as_of: 2020-04-01")
    directory = write(tmp_path, {"general.yaml": text})

    (loaded,) = load_knowledge(directory).entries

    assert loaded.sources[0].as_of == "2020-04-01"


def test_yes_and_no_keywords_stay_words(tmp_path):
    """Keywords written ``[yes, no]`` load as the words 'yes' and 'no'."""
    text = render(entry(keywords=["yes", "no"])).replace("- 'yes'\n  - 'no'", "- yes\n  - no")
    assert "- yes\n" in text
    directory = write(tmp_path, {"general.yaml": text})

    (loaded,) = load_knowledge(directory).entries

    assert loaded.keywords == ("yes", "no")


# --- quotes: each source names its sentence, checked against the repository's copy of the embassy page ---

PAGE_TEXT = (
    "Exchange Programs\n\n\n"
    "The Embassy accepts applications for exchange programs offered in Japan. Further details will appear\n"
    "on this page as the time for application approaches.\n"
    "  1. Applicants can't be \u201clate\u201d \u2013 ever.\n"
    'Belgian nationals are only eligible for a position of "CIR" - as of now.\n'
)
PAGE_COPY = f"# A copy of the page, for tests\n# URL: {EMBASSY_PAGE_URL}\n# Edition: 2019-2020\n# ---\n{PAGE_TEXT}"
OTHER_URL = "https://jetprogramme.org/en/howto/"


def quoted(quote: Any, url: str | None = EMBASSY_PAGE_URL, as_of: str = "2019-2020") -> dict[str, Any]:
    """An entry with one source: the embassy page (or ``url``), quoting ``quote`` (REMOVE: no quote at all)."""
    source: dict[str, Any] = {"title": "Exchange Programs page", "as_of": as_of}
    if url is not None:
        source["url"] = url
    if quote is not REMOVE:
        source["quote"] = quote
    return entry(sources=[source])


def with_copy(tmp_path: Path, text: str, copy: str | None = PAGE_COPY) -> Path:
    directory = write(tmp_path, {"general.yaml": text})
    if copy is not None:
        (directory / SOURCES_DIR).mkdir()
        (directory / SOURCES_DIR / "exchange-programs.txt").write_text(copy, encoding="utf-8")
    return directory


NOT_ON_THE_PAGE = "the quote is not on the page as kept in sources/exchange-programs.txt"


@pytest.mark.parametrize(
    ("quote", "url", "copy", "problem"),
    [
        pytest.param(
            "The Embassy accepts applications for exchange programs offered in Japan.",
            EMBASSY_PAGE_URL,
            PAGE_COPY,
            None,
            id="verbatim",
        ),
        pytest.param(
            "Further details will appear on this page   as the time\nfor application approaches.",
            EMBASSY_PAGE_URL,
            PAGE_COPY,
            None,
            id="across a line break of the page, other spacing",
        ),
        pytest.param(
            'Applicants can\u2019t be "late" - ever.', EMBASSY_PAGE_URL, PAGE_COPY, None, id="plain for typographic"
        ),
        pytest.param(
            "only eligible for a position of \u201cCIR\u201d \u2014 as of now.",
            EMBASSY_PAGE_URL,
            PAGE_COPY,
            None,
            id="typographic for plain",
        ),
        pytest.param(
            "the embassy accepts applications for exchange programs offered in Japan.",
            EMBASSY_PAGE_URL,
            PAGE_COPY,
            NOT_ON_THE_PAGE,
            id="case differs",
        ),
        pytest.param(
            "The Embassy accepts applications for exchange programmes offered in Japan.",
            EMBASSY_PAGE_URL,
            PAGE_COPY,
            NOT_ON_THE_PAGE,
            id="a word differs",
        ),
        pytest.param(
            "Exchange Programs The Embassy accepts", EMBASSY_PAGE_URL, PAGE_COPY, None, id="across paragraphs"
        ),
        pytest.param(
            "A URL",
            EMBASSY_PAGE_URL,
            PAGE_COPY.replace("Exchange Programs\n", "A URL\n"),
            None,
            id="the header is not text",
        ),
        pytest.param(
            "A copy of the page, for tests", EMBASSY_PAGE_URL, PAGE_COPY, NOT_ON_THE_PAGE, id="quoting the header"
        ),
        pytest.param(
            "Applicants must hold a Bachelor's degree.", OTHER_URL, PAGE_COPY, None, id="another page: kept, unchecked"
        ),
        pytest.param("Anything at all.", None, PAGE_COPY, None, id="a source without url: kept, unchecked"),
        pytest.param(
            "The Embassy accepts applications for exchange programs offered in Japan.",
            EMBASSY_PAGE_URL,
            None,
            f"no copy of {EMBASSY_PAGE_URL} in sources/ to check the quote",
            id="no copy of the embassy page",
        ),
        pytest.param(
            REMOVE,
            EMBASSY_PAGE_URL,
            PAGE_COPY,
            "has no 'quote': add the sentence of the source this answer rests on, verbatim",
            id="no quote",
        ),
        pytest.param(
            REMOVE,
            OTHER_URL,
            PAGE_COPY,
            "has no 'quote': add the sentence of the source this answer rests on, verbatim",
            id="no quote on another page",
        ),
        pytest.param("", EMBASSY_PAGE_URL, PAGE_COPY, "must not be empty", id="an empty quote"),
    ],
)
def test_a_quote_is_checked_against_the_copy_of_its_page(tmp_path, quote, url, copy, problem):
    """A quote attributed to the embassy page must be in the repository's copy (spacing and typographic quotes,
    apostrophes and dashes aside, case included); other quotes are kept for auditors; a missing quote is a
    problem at its source's line, a wrong one at its 'quote:' line."""
    text = render(quoted(quote, url))
    directory = with_copy(tmp_path, text, copy)

    if problem is None:
        (loaded,) = load_knowledge(directory).entries
        assert loaded.sources[0].quote == quote
        return
    found = only_problem(directory)
    assert found.file == "general.yaml"
    assert problem in found.message
    at_quote = quote is not REMOVE
    assert found.line == (line_of(text, "quote:") if at_quote else line_of(text, "- title:", after="sources:"))
    if "must not be empty" not in problem:
        assert found.message.startswith("entry general.contact: source 1 (Exchange Programs page)")


@pytest.mark.parametrize(
    ("as_of", "checked"), [("2019-2020", True), ("2018-2019", False)], ids=["the edition kept", "an older edition"]
)
def test_only_quotes_of_the_edition_kept_are_checked(tmp_path, as_of, checked):
    """The copy is of the 2019-2020 page: a quote of that edition must be in it; one of the 2018-2019 edition
    (which had the MIRAI deadlines) cannot be checked against it, and is kept for auditors."""
    directory = with_copy(tmp_path, render(quoted("Application deadline 7 Sep 2018.", as_of=as_of)))

    if checked:
        assert NOT_ON_THE_PAGE in only_problem(directory).message
    else:
        assert load_knowledge(directory).entries[0].sources[0].quote == "Application deadline 7 Sep 2018."


def test_a_source_copy_without_its_url_is_reported(tmp_path):
    """A file in sources/ must say which page it copies; without '# URL:' it is reported at its first line."""
    directory = with_copy(tmp_path, render(quoted("Anything.", OTHER_URL)), "# A copy\n# ---\nText\n")

    problem = only_problem(directory)

    assert (problem.file, problem.line) == ("sources/exchange-programs.txt", 1)
    assert "# URL:" in problem.message


def test_every_wrong_quote_is_reported_not_only_the_first(tmp_path):
    """Two entries with quotes that are not on the page: both are reported, each at its own line."""
    text = render(
        {**quoted("Not on the page."), "id": "general.first"},
        {**quoted("Also not there."), "id": "general.second", "questions": {lang: ["other"] for lang in LANGUAGES}},
    )

    problems = problems_of(with_copy(tmp_path, text))

    assert [(p.line, NOT_ON_THE_PAGE in p.message) for p in problems] == [
        (line_of(text, "quote: Not on the page."), True),
        (line_of(text, "quote: Also not there."), True),
    ]


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("  two\n\tlines  ", "two lines"),
        ("a\u00a0b", "a b"),
        ("\u201cquoted\u201d \u201equoted\u201c \u00abquoted\u00bb", '"quoted" "quoted" "quoted"'),
        ("it\u2019s \u2018so\u2019", "it's 'so'"),
        ("2019\u20132020 \u2014 now \u2212 1", "2019-2020 - now - 1"),
        ("Case Stays", "Case Stays"),
        ("caf\u00e9 \u00e0 la \u00ab gare \u00bb", 'caf\u00e9 \u00e0 la " gare "'),
    ],
)
def test_quotes_are_compared_with_spacing_and_typography_normalised(text, normalised):
    """normalise_quote folds whitespace and typographic quotes, apostrophes and dashes; nothing else changes."""
    assert normalise_quote(text) == normalised


# --- the knowledge base the project ships ----------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    """The project's own knowledge base."""
    return load_knowledge(SHIPPED_KNOWLEDGE)


def test_the_shipped_knowledge_base_loads(shipped):
    """knowledge/ loads without a problem and has the MIRAI and JET programmes."""
    assert {p.id for p in shipped.programmes} >= {"mirai", "jet"}


def test_every_shipped_answer_fits_one_phone_screen(shipped):
    """No shipped answer shows more than FIRST_SCREEN_CHARS characters before its source line, in any language."""
    too_long = {
        (e.id, lang): len(markup.shown(e.answer[lang].strip()))
        for e in shipped.entries
        for lang in LANGUAGES
        if len(markup.shown(e.answer[lang].strip())) > FIRST_SCREEN_CHARS
    }
    assert too_long == {}


def test_every_shipped_source_has_a_quote_and_the_embassy_page_is_kept(shipped):
    """Every source of every shipped entry quotes its sentence; the repository keeps the embassy page's copy,
    and that copy is the shared source text (when the shared source is on this machine)."""
    sources = [source for e in shipped.entries for source in e.sources]
    assert sources
    assert all(source.quote for source in sources)
    assert any(source.url == EMBASSY_PAGE_URL for source in sources)
    copy = (SHIPPED_KNOWLEDGE / SOURCES_DIR / "exchange-programs.txt").read_text(encoding="utf-8")
    assert f"# URL: {EMBASSY_PAGE_URL}" in copy
    assert "2019-2020" in copy.split("# ---", 1)[0]
    shared = Path("/work/shared/source/exchange-programs.txt")
    if shared.exists():
        assert copy.split("# ---\n", 1)[1] == shared.read_text(encoding="utf-8")


@pytest.mark.parametrize("topic_id", REQUIRED_TOPIC_IDS)
def test_the_shipped_knowledge_base_answers_every_required_topic(shipped, topic_id):
    """Every topic of the contract is an answer entry with a title, an answer and questions in en, fr, nl."""
    topic = shipped.get(topic_id)

    assert topic is not None, f"{topic_id} is missing from knowledge/"
    assert topic.is_answer
    for lang in LANGUAGES:
        assert topic.title[lang].strip()
        assert topic.answer[lang].strip()
        assert topic.questions[lang]
    programme_id = topic_id.split(".")[0]
    if programme_id in {"mirai", "jet"}:
        assert topic.programme == programme_id


# --- themes: the same subject in several programmes ------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "kept"), [("age", ("age",)), (["requirements", "studies"], ("requirements", "studies"))]
)
def test_a_theme_is_one_name_or_a_list(tmp_path, written, kept):
    """Staff write one theme, or several for an entry that covers what another programme splits up."""
    directory = write(tmp_path, {"mirai.yaml": render(entry("mirai.age", theme=written), programme=programme())})

    assert load_knowledge(directory).entry("mirai.age").theme == kept


def test_a_theme_used_twice_in_one_programme_is_reported(tmp_path):
    """Two entries of one programme on the same theme would leave the 'which programme?' choice ambiguous."""
    text = render(
        entry("mirai.age", theme="age"),
        entry("mirai.birthday", theme=["dates", "age"], questions={lang: [f"b {lang}"] for lang in LANGUAGES}),
        programme=programme(),
    )
    problem = only_problem(write(tmp_path, {"mirai.yaml": text}))

    assert problem.line == line_of(text, "- id: mirai.birthday")
    assert problem.message == "entry mirai.birthday: theme 'age' is already used by mirai.age in mirai"


def test_a_theme_outside_a_programme_file_is_reported(tmp_path):
    problem = only_problem(write(tmp_path, {"general.yaml": render(entry(theme="contact"))}))

    assert problem.message == "entry general.contact: 'theme' is for programme entries; this file has none"
