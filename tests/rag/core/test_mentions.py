"""The one reader of names, numbers and dates (rag.core.mentions), and finding them in another text."""

from __future__ import annotations

import pytest

from rag.core.mentions import Found, dates, mentions, names, numbers
from rag.core.words import NOT_NAMES, OUTLETS


@pytest.mark.parametrize("text,expected", [
    # the words that only open a sentence are not part of the name; titles are not among its parts
    ("In Paris, President Joe Biden met Mr. Macron.", [("Paris", ()), ("President Joe Biden", ("joe", "biden")),
                                                      ("Macron", ())]),
    # a name ends at its possessive and at a full stop before a sentence opener
    ("Biden’s State of the Union ran long in the U.S. This year it began early.",
     [("Biden", ()), ("State of the Union", ("state", "union")), ("U.S.", ())]),
    # a number after a capitalised word is part of the name; a score is not; nor is a line break
    ("Super Bowl 57 ended Eagles 38-35.\nBy Ed Masley", [("Super Bowl 57", ("super", "bowl", "57")),
                                                        ("Eagles", ()), ("Ed Masley", ("ed", "masley"))]),
    # an adjective's ending and a weekday after a place are not the name ("Black Friday" is)
    ("The Pulitzer Prize-winning reporter was in Manhattan Tuesday, before Black Friday.",
     [("Pulitzer Prize", ("pulitzer", "prize")), ("Manhattan", ()), ("Black Friday", ("black", "friday"))]),
    # a role between two names, and an adjective made of a name, end the first name
    ("The senators asked TikTok CEO Shou Zi Chew and Houston-raised Beyoncé Knowles.",
     [("TikTok", ()), ("Shou Zi Chew", ("shou", "zi", "chew")), ("Houston", ()),
      ("Beyoncé Knowles", ("beyoncé", "knowles"))]),
])
def test_names(text, expected):
    got = names(text)
    assert [(n.text, n.parts if len(n.parts) > 1 else ()) for n in got] == expected
    assert all(text[n.start:n.end] == n.text for n in got)


def test_an_outlet_is_a_name_unless_the_caller_leaves_outlets_out():
    text = "Reuters said the talks ended, CNN reported."
    assert [n.text for n in names(text)] == ["Reuters", "CNN"]
    assert names(text, NOT_NAMES | OUTLETS) == []


def test_a_title_alone_is_marked_as_such():
    [president] = names("He met the President.")
    assert president.title_only and president.parts == ("president",)


@pytest.mark.parametrize("text,expected", [
    ("Super Bowl 57 drew 113 million viewers as the S&P 500 fell 3%.",
     [("57 drew", 57.0, None, True), ("113 million viewers", 113e6, None, True), ("500 fell", 500.0, None, True),
      ("3%", 3.0, "percent", True)]),
    ("It cost $4.5bn, or £2 million, over ten years and 5,800 fans paid 10 000 euros.",
     [("$4.5bn", 4.5e9, "dollar", True), ("£2 million", 2e6, "pound", True), ("ten years", 10.0, "year", True),
      ("5,800 fans", 5800.0, None, True), ("10 000 euros", 10000.0, "euro", True)]),
    # a figure inside a compound, an ordinal or a range is read whole, and is no count
    ("The 81-year-old won for the 13th time in 1797-1801.",
     [("81-year", 81.0, "year", False), ("13th time", 13.0, None, False), ("1797", 1797.0, None, False),
      ("1801", 1801.0, None, False)]),
    # "tens of thousands" and "hundreds" give no figure; "Covid-19" and "F-35" are names
    ("Tens of thousands and hundreds of people saw Covid-19 and F-35 jets.", []),
    ("twenty-one people and a dozen eggs", [("twenty-one people", 21.0, None, True), ("dozen eggs", 12.0, None, True)]),
])
def test_numbers(text, expected):
    got = numbers(text)
    assert [(n.text, n.value, n.unit, n.count) for n in got] == expected
    assert all(text[n.start:n.end] == n.text for n in got)


@pytest.mark.parametrize("text,expected", [
    ("On Jan. 10, 2023, and 5 March; in March 2021 and the 1990s.",
     [("Jan. 10, 2023", 1, 10, 2023), ("5 March", 3, 5, None), ("March 2021", 3, None, 2021), ("1990s", None, None, 1990)]),
    # a month named alone is a date (for checks), and a weekday one
    ("In March the vote moved to Tuesday.", [("March", 3, None, None), ("Tuesday", None, None, None)]),
])
def test_dates(text, expected):
    assert [(d.text, d.month, d.day, d.year) for d in dates(text)] == expected


def test_mentions_are_names_then_numbers_then_dates():
    kinds = [type(m).__name__ for m in mentions("Lumetra hired 1,200 people on Jan. 10.")]
    assert kinds == ["Name", "Number", "Number", "Date"]  # "Jan" is the date's, not a name


@pytest.mark.parametrize("claim,text,found", [
    ("Michelle Yeoh", "Yeoh won best actress.", True),  # a surname for a full name
    ("Yeoh", "Michelle Yeoh won best actress.", True),
    ("Joe Biden", "Hunter Biden met the mayor.", False),
    ("U.S.", "The United States government banned it.", True),  # an alias
    ("FDA", "The Food and Drug Administration added sesame.", True),  # an acronym for the words
    ("Drug Administration", "The DA ruled.", True),  # the words for an acronym
    ("mid-Atlantic states", "Florida and possibly mid-Atlantic states", True),  # written as it is
    ("10,000 people", "about ten thousand people", True),  # a value in words
    ("95 million dollars", "95 million euros", False),  # the same value in another unit
    ("Jan. 10", "on January 10", True),
    ("Jan. 11", "on January 10", False),
    ("in March", "the vote in March", True),
    ("on Friday", "the vote on Tuesday", False),
])
def test_found_in_another_text(claim, text, found):
    assert all(Found(text).has(m) for m in mentions(claim)) is found
