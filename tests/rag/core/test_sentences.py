"""The marks sentences get at indexing (rag.core.sentences): quotable, short line, furniture."""

from __future__ import annotations

import pytest

from rag.core.sentences import FURNITURE, SENTENCE, SHORT, mark


@pytest.mark.parametrize("line,kind", [
    ("Jacinda Ardern said on Thursday that she would resign as prime minister.", SENTENCE),
    ("Actress in a comedy or musical", SHORT),
    ("More on the resignation:New Zealand Prime Minister Ardern resigned.", FURNITURE),
    ("READ MORE: Ardern's legacy in five charts", FURNITURE),
    ("SUPER BOWL PREDICTIONS: Who will win Sunday's game", FURNITURE),
    # an all-capitals lead-in before a call to the reader, though the call ends like a sentence
    ("THE NEWS COMES TO YOU: Get the latest updates on the situation in Ukraine.", FURNITURE),
    ("STAY INFORMED: Sign up for our morning newsletter.", FURNITURE),
    # the outlet's own channels offered to the reader; a quotation that says the same is news
    ("Join our Facebook group What's Going There in Delaware and subscribe to our newsletter.", FURNITURE),
    ("Follow us on Twitter for the latest results.", FURNITURE),
    ("“Join our fight,” the union leader told the crowd on Monday.", SENTENCE),
    ("Follow the money, investigators said, and the trail leads to Valdoria.", SENTENCE),
    # a dateline or a head before a sentence of news stays a sentence; one word is a label
    ("NEW YORK: Drake is entering the new year with gratitude.", SENTENCE),
    ("WINNER: Ewan McGregor, Fargo (FX)", SHORT),
    # a sentence that points the reader elsewhere on the page says nothing itself
    ("See below for everything that happened during the coronation.", FURNITURE),
    ("Keep reading for the biggest moments of the night.", FURNITURE),
    ("Here’s a look at our coverage and what you need to know about the indictment.", FURNITURE),
    ("Here's what to know about the new booster.", FURNITURE),
    ("Read a copy of the grand jury's indictment.", FURNITURE),
    ("See the full list of winners below:", FURNITURE),
    ("“See below the surface,” the diver told reporters.", SENTENCE),
    ("Seeing the damage, officials closed the bridge on Monday.", SENTENCE),
])
def test_each_line_is_marked(line, kind):
    [(start, end, got)] = mark(line)
    assert (line[start:end], got) == (line, kind)


def test_a_pointer_to_the_page_inside_a_paragraph_is_furniture_and_its_neighbours_stay():
    text = "The king was crowned on Saturday in London. See below for everything that happened. Crowds lined the Mall."
    assert [(text[a:b], kind) for a, b, kind in mark(text)] == [
        ("The king was crowned on Saturday in London.", SENTENCE),
        ("See below for everything that happened.", FURNITURE),
        ("Crowds lined the Mall.", SENTENCE),
    ]


def test_captions_running_on_one_line_are_furniture_and_slashes_in_prose_are_not():
    gallery = ("Chris Jackson/Getty Images The King sits in the Blue Drawing Room in March 2023. "
               "Dan Kitwood/Getty Images Charles receives the St. Edward's Crown at Westminster Abbey in May 2023. "
               "Popperfoto/Getty Images Charles fishes with a wooden spear circa 1975.")
    assert [kind for _, _, kind in mark(gallery)] == [FURNITURE, FURNITURE, FURNITURE]
    prose = ("Flights were late across the region on Friday. "
             "Baltimore/Washington International Thurgood Marshall Airport had delays of 90 minutes. "
             "And HIV/AIDS was sort of thrown out of people's consciousness, he said.")
    assert [kind for _, _, kind in mark(prose)] == [SENTENCE, SENTENCE, SENTENCE]
