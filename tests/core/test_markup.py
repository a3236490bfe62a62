"""The staff markup: rendered to Telegram HTML (escaping everything else) or plain text, and checked."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from bot.core.markup import literal, problems, to_html, to_plain


class _Tags(HTMLParser):
    """Collects the tags of an HTML fragment and whether they nest properly."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.started: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[str] = []
        self.balanced = True
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.started.append((tag, dict(attrs)))
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.balanced = False

    def handle_data(self, data: str) -> None:
        self.text += data


def parse(fragment: str) -> _Tags:
    """The tags and text of an HTML fragment."""
    parser = _Tags()
    parser.feed(fragment)
    parser.close()
    return parser


def well_formed(fragment: str) -> bool:
    """True when every tag is closed in the right order and no attribute value holds markup."""
    parsed = parse(fragment)
    in_attributes = any("<" in (value or "") for _, attrs in parsed.started for value in attrs.values())
    return parsed.balanced and not parsed.open and not in_attributes


# --- to_html: escaping -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("1 < 2 > 0", "1 &lt; 2 &gt; 0"),
        ("Q&A", "Q&amp;A"),
        ("Tom & Jerry <3", "Tom &amp; Jerry &lt;3"),
        ("&lt;b&gt; stays text", "&amp;lt;b&amp;gt; stays text"),
        ('He said "hello" and l\'âge', 'He said "hello" and l\'âge'),
        ("  surrounding blanks are dropped \n", "surrounding blanks are dropped"),
    ],
)
def test_to_html_escapes_special_characters(text, html):
    """<, > and & are escaped (entities too, so they show as typed); quotes and accents stay as they are."""
    assert to_html(text) == html


@pytest.mark.parametrize(
    "text",
    [
        "<b>bold</b>",
        "<a href='https://evil.example'>click</a>",
        "<script>alert(1)</script>",
        "<i>x</i><u>y</u><s>z</s><code>c</code><pre>p</pre>",
        "<tg-spoiler>secret</tg-spoiler>",
        "</b> closing first",
        "<img src=x onerror=alert(1)>",
        "<<b>>nested<</b>>",
    ],
)
def test_to_html_never_lets_typed_tags_through(text):
    """Tags typed in a text (by staff or a user) come out as visible text, never as HTML tags."""
    parsed = parse(to_html(text))

    assert [tag for tag, _ in parsed.started if tag != "a"] == []
    assert parsed.text == text  # what the reader sees is exactly what was typed


@pytest.mark.parametrize(
    ("text", "label", "href"),
    [
        ('[<b>x</b>](https://example.com/"onclick="alert(1))', "<b>x</b>", 'https://example.com/"onclick="alert(1'),
        ("[a & b](https://example.com/?x=1&y=2)", "a & b", "https://example.com/?x=1&y=2"),
        ("[label](https://example.com/<script>)", "label", "https://example.com/<script>"),
    ],
)
def test_a_link_cannot_break_out_of_its_tag(text, label, href):
    """A link's label and address are escaped: quotes and tags in them stay inside the one <a> tag."""
    parsed = parse(to_html(text))

    assert [tag for tag, _ in parsed.started] == ["a"]
    assert parsed.started[0][1] == {"href": href}
    assert parsed.text.startswith(label)


# --- to_html: the staff conventions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("Applicants must be **aged 20 or over**.", "Applicants must be <b>aged 20 or over</b>."),
        ("**one** and **two**", "<b>one</b> and <b>two</b>"),
        ("x**y**z", "x<b>y</b>z"),
        ("**a < b**", "<b>a &lt; b</b>"),
        ("a ** b ** c", "a ** b ** c"),  # '**' next to a blank is no bold
        ("**not\nacross lines**", "**not\nacross lines**"),
    ],
)
def test_bold(text, html):
    """**text** becomes <b>text</b> within a line; stray or spaced asterisks stay as typed."""
    assert to_html(text) == html


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("- one\n- two", "• one\n• two"),
        ("* one\n• two", "• one\n• two"),
        ("Requirements:\n  - Belgian nationality\n  - aged 20", "Requirements:\n• Belgian nationality\n• aged 20"),
        ("- **bold** item", "• <b>bold</b> item"),
        ("-5 degrees\nno - dash", "-5 degrees\nno - dash"),  # no blank after the dash, or not at the start
    ],
)
def test_bullets(text, html):
    """Lines starting with '- ' (or '* ', '• ') become '• ' items; other dashes stay."""
    assert to_html(text) == html


@pytest.mark.parametrize(
    ("text", "html"),
    [
        (
            "[the embassy](https://www.be.emb-japan.go.jp/itpr_en/study_exchange.html)",
            '<a href="https://www.be.emb-japan.go.jp/itpr_en/study_exchange.html">the embassy</a>',
        ),
        ("see [JET](http://jetprogramme.org) now", 'see <a href="http://jetprogramme.org">JET</a> now'),
        (
            "[**JET**](https://jetprogramme.org)",
            '<a href="https://jetprogramme.org"><b>JET</b></a>',
        ),
        (
            "[a](https://a.example) and [b](https://b.example)",
            '<a href="https://a.example">a</a> and <a href="https://b.example">b</a>',
        ),
    ],
)
def test_links(text, html):
    """[text](url) becomes an <a> tag with the url as href and the text as label."""
    assert to_html(text) == html


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("https://jetprogramme.org", '<a href="https://jetprogramme.org">https://jetprogramme.org</a>'),
        (
            "Visit https://jetprogramme.org/en/, then apply.",
            'Visit <a href="https://jetprogramme.org/en/">https://jetprogramme.org/en/</a>, then apply.',
        ),
        (
            "Is it http://example.com/a?b=1&c=2?",
            'Is it <a href="http://example.com/a?b=1&amp;c=2">http://example.com/a?b=1&amp;c=2</a>?',
        ),
        ("Write to culture@example.be", "Write to culture@example.be"),
        ("ftp://example.com is not linked", "ftp://example.com is not linked"),
    ],
)
def test_bare_urls(text, html):
    """A bare http(s) address becomes a link, without the sentence's punctuation after it."""
    assert to_html(text) == html


def test_a_links_address_is_not_linked_twice():
    """The address inside [text](url) becomes the href only; it is not turned into a second link."""
    html = to_html("[site](https://example.com) https://example.org")

    assert [attrs["href"] for _, attrs in parse(html).started] == ["https://example.com", "https://example.org"]


@pytest.mark.parametrize(
    "text",
    [
        "**MIRAI**: see [the page](https://www.be.emb-japan.go.jp/) or https://jetprogramme.org.",
        "- **one** https://a.example\n- [two](https://b.example) & more",
        "a <b> & **c** [d](https://e.example/?f=1&g=2)",
    ],
)
def test_rendered_html_is_well_formed(text):
    """Mixed markup renders to HTML whose tags all close, in order, as Telegram requires."""
    assert well_formed(to_html(text))


def test_a_bold_bare_url_renders_as_a_bold_link():
    """'**https://…**' renders as a bold link to exactly that address, in well-formed HTML."""
    html = to_html("**https://www.mofa.go.jp**")

    assert well_formed(html)
    assert [attrs["href"] for _, attrs in parse(html).started if "href" in attrs] == ["https://www.mofa.go.jp"]


def test_a_url_in_angle_brackets_links_to_the_url_only():
    """'<https://example.org>' (markdown's autolink habit) links to https://example.org, brackets as text."""
    html = to_html("See <https://example.org>.")

    assert html == 'See &lt;<a href="https://example.org">https://example.org</a>&gt;.'


# --- to_plain ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("Applicants must be **aged 20 or over**.", "Applicants must be aged 20 or over."),
        ("- one\n- two", "• one\n• two"),
        ("[the embassy](https://www.be.emb-japan.go.jp/)", "the embassy (https://www.be.emb-japan.go.jp/)"),
        ("see https://jetprogramme.org", "see https://jetprogramme.org"),
        ("1 < 2 & <b>x</b>", "1 < 2 & <b>x</b>"),  # plain text is not escaped
        ("  trimmed\n", "trimmed"),
    ],
)
def test_to_plain(text, plain):
    """Plain text drops the bold marks, keeps bullets, writes links as 'label (url)' and escapes nothing."""
    assert to_plain(text) == plain


# --- problems ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Plain text.",
        "**bold** and **bold**",
        "- item\n- [link](https://example.com) and http://example.org",
        "1 < 2 and a > b, <3",
        "a*b*c and 2 * 3",
        "",
    ],
)
def test_good_markup_has_no_problems(text):
    """Text that renders as intended has no problems, even with lone '<' or '*'."""
    assert problems(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("must be **20 or over", ["unbalanced '**': bold text needs '**' on both sides"]),
        ("**a** and **b", ["unbalanced '**': bold text needs '**' on both sides"]),
        ("** spaced **", ["unbalanced '**': bold text needs '**' on both sides"]),
        ("[site](www.example.com)", ["link 'www.example.com' must start with http:// or https://"]),
        ("[mail](mailto:a@example.com)", ["link 'mailto:a@example.com' must start with http:// or https://"]),
        ("[x](javascript:alert(1))", ["link 'javascript:alert(1' must start with http:// or https://"]),
        (
            "Be <b>20</b> or <i>over</i>",
            ["HTML tag '<b>' is shown as text; use **bold** and [text](https://…) instead"],
        ),
        (
            '<a href="https://example.com">site</a>',
            [
                "HTML tag '<a href=\"https://example.com\">' is shown as text; "
                "use **bold** and [text](https://…) instead"
            ],
        ),
        ("line<br>break", ["HTML tag '<br>' is shown as text; use **bold** and [text](https://…) instead"]),
        (
            "**x [y](ftp://z) <STRONG>",
            [
                "unbalanced '**': bold text needs '**' on both sides",
                "link 'ftp://z' must start with http:// or https://",
                "HTML tag '<STRONG>' is shown as text; use **bold** and [text](https://…) instead",
            ],
        ),
    ],
)
def test_bad_markup_is_explained(text, expected):
    """Unbalanced bold, non-web links and HTML tags are each explained with what to write instead."""
    assert problems(text) == expected


# ------------------------------------------------------------------------------------- a user's text


USER_FORMS = [
    "[click](https://evil.example)",
    "<b>bold</b>",
    "<a href='https://evil.example'>x</a>",
    "**bold**",
    "&lt;b&gt;",
    "https://evil.example/path",
    "- bullet",
    '"><b>',
]


@pytest.mark.parametrize("form", USER_FORMS)
def test_a_literal_part_is_only_escaped_never_read_as_markup(form: str) -> None:
    rendered = to_html(f"There is no programme called “{literal(form)}”. See **bold** https://example.org")
    tags = _Tags()
    tags.feed(rendered)
    assert tags.balanced
    assert f"“{form}”" in tags.text  # shown exactly as typed
    assert [tag for tag, _ in tags.started] == ["b", "a"]  # only the staff markup around it
    assert "evil.example" not in str(tags.started)


def test_a_literal_inside_a_link_address_cannot_leave_the_attribute() -> None:
    rendered = to_html(f"[see](https://example.org/{literal(chr(34) + '><b>x</b>')})")
    tags = _Tags()
    tags.feed(rendered)
    assert [tag for tag, _ in tags.started] == ["a"]


def test_literal_markers_typed_by_a_user_are_dropped() -> None:
    sneaky = "\ue000**x**\ue001 \ue0020\ue003"
    assert "<b>" not in to_html(literal(sneaky))
    assert to_plain(f"a {literal('**x**')} **b**") == "a **x** b"


def test_a_bare_url_stops_before_a_closing_quotation_mark() -> None:
    for opening, closing in (("“", "”"), ("«", "»"), ("‘", "’"), ("„", "“")):
        rendered = to_html(f"see {opening}https://example.org/page{closing}.")
        assert 'href="https://example.org/page"' in rendered, rendered
