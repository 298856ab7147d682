"""Tests for rag.core.text: normalisation, page-furniture rules, sentence spans."""

from __future__ import annotations

import re

import pytest

from rag.core.text import (
    FURNITURE_RULES,
    MAX_FURNITURE_CHARS,
    balance_quotes,
    clean_text,
    drop_furniture,
    is_furniture,
    normalize,
    normalize_title,
    split_sentences,
)

# --------------------------------------------------------------------------- normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("caf\u0065\u0301", "café"),  # NFC: e + combining acute -> é
        ("a\u00a0b", "a b"),  # no-break space
        ("a\u2009b", "a b"),  # thin space
        ("a\u202fb", "a b"),  # narrow no-break space
        ("zero\u200bwidth", "zerowidth"),  # zero-width space removed
        ("\ufeffhello", "hello"),  # byte order mark removed
        ("soft\u00adhyphen", "softhyphen"),
        ("bell\x07char", "bellchar"),  # control characters removed
        ("a \t  b", "a b"),  # runs of spaces and tabs collapse
        ("  line  \n  next  ", "line\nnext"),  # each line stripped
        ("a\r\nb\rc", "a\nb\nc"),  # Windows and old Mac newlines
        ("a\u2028b", "a\nb"),  # line separator
        ("para one\npara two", "para one\npara two"),  # single newlines are kept
        ("a\n\n\n\nb", "a\n\nb"),  # at most one blank line
        ("a\n \n\t\n b", "a\n\nb"),  # blank-looking lines count as blank
        ("\n\n  text  \n\n", "text"),  # ends stripped
        ("", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_normalize_is_idempotent() -> None:
    raw = "  Caf\u0065\u0301\u00a0 au lait \r\n\r\n\r\n  second\tline \u200b"
    once = normalize(raw)
    assert normalize(once) == once


def test_normalize_title_joins_lines() -> None:
    assert normalize_title("  Port strike\n  ends \t today ") == "Port strike ends today"


# --------------------------------------------------------------------------- furniture

DROPPED = [
    "READ ALSO: Ghana’s Democracy at a Crossroads",
    "READ ALSO: Ghana’s Democracy at a Crossroads: CFI Urges Peace and Stability",
    "Read more: How the strike began",
    "READ MORE:",
    "More: Ten cities where rents are falling",
    "Related: Five things to know about the vote",
    "See also: Earlier coverage of the storm",
    "Also read: Why prices rose",
    "Watch: Video shows the rescue",
    "RELATED STORIES",
    "Related articles",
    "Recommended for you",
    "Read more here.",
    "Advertisement",
    "ADVERTISEMENT",
    "Story continues below advertisement",
    "Story continues below.",
    "1. How relevant is this ad to you?",
    "We use cookies to improve your experience on our site.",
    "This website uses cookies.",
    "Accept cookies",
    "Accept all cookies",
    "Sign up for our newsletter",
    "Sign up for our newsletter to get the latest news in your inbox.",
    "Subscribe to The Daily Briefing",
    "Support local journalism. Subscribe to our paper today.",
    "NEWSLETTER: Get the latest sports news straight to your inbox!",
    "Share this article",
    "Share on Facebook",
    "Share on Twitter",
    "Click to share on Twitter (Opens in new window)",
    "Copyright © 2023 Example News Ltd.",
    "© 2023 Reuters",
    "All rights reserved.",
    "Copyright 2023 The Associated Press. All rights reserved.",
    "Follow us on Twitter",
    "Follow Jane Doe on Twitter: @janedoe.",
    "Image: Getty Images",
    "Photo: Reuters",
    "Photo credit: Jane Doe",
    "(Photo by Jane Doe/AP)",
    "Getty Images",
    "   Advertisement   ",  # surrounding whitespace does not matter
]

KEPT = [
    "Researchers read more than 200 papers.",
    "Editor's note: This story was updated with new casualty figures.",
    "Editor’s Note: A version of this story appeared in our newsletter. Sign up here.",
    "Shares of Meta rose 5% on Wednesday.",
    "Share of hospitalizations from breakthrough infections is growing.",
    "The company said it would advertise more on television.",
    "Related parties were not disclosed in the filing.",
    "More than 900 people died in the floods, officials said.",
    "Photos showed extensive flooding in coastal neighborhoods.",
    "The copyright case went to trial in May.",
    "Follow the money, the senator said.",
    "Following the attacks, Congress passed a new law.",
    "Watch out for ice on the roads, officials warned.",
    "Newsletter sign-ups rose 20 percent last year.",
    "(c) the agency shall publish the rule within 90 days.",
    "Subscribers complained about the price increase.",
    "UP NEXT",
    "Decade of Conflict Intensifies",
    "Read more: " + "a very long line that reads like an actual paragraph of the story " * 4,
]


@pytest.mark.parametrize("line", DROPPED)
def test_furniture_line_is_dropped(line: str) -> None:
    assert is_furniture(line)


@pytest.mark.parametrize("line", KEPT)
def test_content_line_is_kept(line: str) -> None:
    assert not is_furniture(line)


def test_long_lines_are_never_furniture() -> None:
    line = "Advertisement " + "x" * MAX_FURNITURE_CHARS
    assert len(line) > MAX_FURNITURE_CHARS
    assert not is_furniture(line)


def test_rules_are_compiled_case_insensitive_patterns() -> None:
    assert isinstance(FURNITURE_RULES, tuple) and FURNITURE_RULES
    assert all(isinstance(r, re.Pattern) and r.flags & re.IGNORECASE for r in FURNITURE_RULES)


def test_rules_match_whole_lines_only() -> None:
    # The furniture phrase inside a sentence is not a whole-line match.
    assert not is_furniture("Officials said: Read more: this is not a link line, really.")


def test_drop_furniture_returns_text_and_dropped_lines() -> None:
    text = "First paragraph.\nAdvertisement\nSecond paragraph.\nREAD ALSO: Other story"
    cleaned, dropped = drop_furniture(text)
    assert cleaned == "First paragraph.\nSecond paragraph."
    assert dropped == ["Advertisement", "READ ALSO: Other story"]


def test_drop_furniture_without_furniture_returns_text_unchanged() -> None:
    text = "Nothing to see.\nReally."
    assert drop_furniture(text) == (text, [])


def test_clean_text_closes_gaps_left_by_dropped_lines() -> None:
    raw = "Para one.\n\nAdvertisement\n\nPara two.\n\nShare this article\n"
    assert clean_text(raw) == "Para one.\n\nPara two."


def test_clean_text_of_only_furniture_is_empty() -> None:
    assert clean_text("Advertisement\n\nRead more: elsewhere\n") == ""


# --------------------------------------------------------------------------- sentences


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two.", ["One.", "Two."]),
        ("Mr. Smith went to Washington. He arrived Monday.",
         ["Mr. Smith went to Washington.", "He arrived Monday."]),
        ("Dr. Jones met Gen. Smith and Sen. Warren. They talked.",
         ["Dr. Jones met Gen. Smith and Sen. Warren.", "They talked."]),
        ("The U.S. economy grew 3.5 percent. Analysts were surprised.",
         ["The U.S. economy grew 3.5 percent.", "Analysts were surprised."]),
        ("J. K. Rowling wrote it. Fans cheered.", ["J. K. Rowling wrote it.", "Fans cheered."]),
        ("It costs $3.50 today. Prices rose 2.5%.", ["It costs $3.50 today.", "Prices rose 2.5%."]),
        ("On Jan. 6 the Capitol was attacked. Hundreds were charged.",
         ["On Jan. 6 the Capitol was attacked.", "Hundreds were charged."]),
        ("He ranked No. 5 on the list. Then he fell.", ["He ranked No. 5 on the list.", "Then he fell."]),
        ("She said no. The rest agreed.", ["She said no.", "The rest agreed."]),
        ("Acme Inc. and Foo Corp. merged. Shares rose.", ["Acme Inc. and Foo Corp. merged.", "Shares rose."]),
        ("Fruit, e.g. Apples, etc. Are sold here.", ["Fruit, e.g. Apples, etc. Are sold here."]),
        ("Is it true? Yes! It is.", ["Is it true?", "Yes!", "It is."]),
        ("“We won,” she said. “It was close.”", ["“We won,” she said.", "“It was close.”"]),
        ('He shouted "Stop!" Then he left.', ['He shouted "Stop!"', "Then he left."]),
        ("He left (for good.) She stayed.", ["He left (for good.)", "She stayed."]),
        ("The vote was 52-48. 10 senators abstained.", ["The vote was 52-48.", "10 senators abstained."]),
        ("Wait... What happened?", ["Wait...", "What happened?"]),
        ("It ended at 5 p.m. on Monday. Next.", ["It ended at 5 p.m. on Monday.", "Next."]),
        ("lower. case follows", ["lower. case follows"]),
        ("Heading\nFirst line. Second line.", ["Heading", "First line.", "Second line."]),
        ("Line without period\nAnother one", ["Line without period", "Another one"]),
        ("Para one.\n\nPara two.", ["Para one.", "Para two."]),
        ("  Leading and trailing.   Spaces here.  ", ["Leading and trailing.", "Spaces here."]),
        ("Élan returned. Über drivers struck.", ["Élan returned.", "Über drivers struck."]),
        # A quotation that closes on its line is kept whole: no sentence opens or closes a mark it does not hold.
        ('"We did it. You all are legends," White says. Fans cheered.',
         ['"We did it. You all are legends," White says.', "Fans cheered."]),
        ("“Hamlin is far more than a player. He is a leader,” the team said. It won.",
         ["“Hamlin is far more than a player. He is a leader,” the team said.", "It won."]),
        ("He left. “It is over. Go home.” She stayed.", ["He left.", "“It is over. Go home.”", "She stayed."]),
        # A quotation running on to the next paragraph (no closing mark on its line) is split as before.
        ("“The first point. The second point.\n“The last point,” he said.",
         ["“The first point.", "The second point.", "“The last point,” he said."]),
        ("", []),
        ("   \n \n  ", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_a_quotation_too_long_to_quote_whole_is_split_inside() -> None:
    long = " ".join(["This is one of many sentences of a long statement."] * 9)  # over 400 characters
    text = f"“{long}” the mayor said."
    assert len(sentences(text)) == 9
    assert len(sentences(f"“{long[:300]}” the mayor said.")) == 1


@pytest.mark.parametrize(("sentence", "shown"), [
    ('"Damar Hamlin is far more than just a football player.',
     '"Damar Hamlin is far more than just a football player."'),
    ('You all are legends," White says.', '"You all are legends," White says.'),
    ("You should plant a rosebush,” a woman said.", "“You should plant a rosebush,” a woman said."),
    ("“The first point.", "“The first point.”"),
    ("« Tout va bien.", "« Tout va bien.»"),
    # Balanced already: unchanged.
    ("“Hi,” he said.", "“Hi,” he said."),
    ('He called it "fake", then left.', 'He called it "fake", then left.'),
    ('He shouted "Stop!" Then he left.', 'He shouted "Stop!" Then he left.'),
    ("It was “big” and “bold”.", "It was “big” and “bold”."),
    ("No quotation at all.", "No quotation at all."),
])
def test_balance_quotes_closes_what_a_piece_of_a_quotation_leaves_open(sentence: str, shown: str) -> None:
    assert balance_quotes(sentence) == shown


@pytest.mark.parametrize(
    "text",
    [
        "Mr. Smith went to Washington. He arrived Monday.\nHeading\n\n“Quote.” Then more!  Spaces. ",
        "  a. B. c? D! e\n\n\nF.",
    ],
)
def test_sentence_spans_round_trip(text: str) -> None:
    spans = split_sentences(text)
    assert spans == sorted(spans)
    for (s, e), nxt in zip(spans, spans[1:] + [(len(text), len(text))]):
        piece = text[s:e]
        assert piece and piece == piece.strip()
        assert e <= nxt[0]  # in order, no overlap
    # Nothing but whitespace is left outside the spans.
    covered = set()
    for s, e in spans:
        covered.update(range(s, e))
    assert all(text[i].isspace() for i in range(len(text)) if i not in covered)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\x1b[31mBreaking\x1b[0m news", "Breaking news"),  # terminal colour codes
        ("\x1b[1;38;5;196mbold red\x1b[m text", "bold red text"),
        ("\x1b]0;window title\x07Story", "Story"),  # a terminal title sequence
        ("\x9b32mgreen\x9b0m", "green"),  # the one-byte form of ESC[
        ("user\u202egnp.exe", "usergnp.exe"),  # right-to-left override
        ("a\u202ab\u202cc\u2066d\u2069e\u200ff\u061cg", "abcdefg"),  # other bidi controls
        ("visible\U000e0049\U000e0047\U000e004e\U000e004f\U000e0052\U000e0045 text", "visible text"),  # tags
        ("lone \ud800surrogate\udce9", "lone surrogate"),
        ("[31m stays when it is plain text", "[31m stays when it is plain text"),
    ],
)
def test_normalize_removes_what_can_disguise_text(raw: str, expected: str) -> None:
    assert normalize(raw) == expected
    assert clean_text(raw) == expected
    normalize(raw).encode("utf-8")  # storable
