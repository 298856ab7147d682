"""What a question asks for, and the candidate answers a sentence holds (rag.core.extract)."""

from __future__ import annotations

import pytest

from rag.core.extract import DATE, NAME, NUMBER, THING, Span, analyse, fits, places, restate, spans


@pytest.mark.parametrize("question,kind,focus,person,preposition", [
    ("Who won best actress?", NAME, (), True, ""),
    ("When is the tax filing deadline?", DATE, (), False, ""),
    ("How many people died in the quake?", NUMBER, ("people",), False, ""),
    ("Which country's prime minister resigned?", NAME, ("country",), False, ""),
    # a lead-in before the question: read at the question
    ("NFL player Damar Hamlin suffered an emergency this week. He is a valued member of which team?",
     NAME, ("team",), False, "of"),
    ("Since when has she been prime minister?", DATE, (), False, "since"),
    ("What happened in Ohio?", THING, (), False, ""),
    # "Who is X?" about a person the question names asks what the sources say of them
    ("Who is Tim Scott?", THING, (), False, ""),
    ("Who is the new speaker of the House?", NAME, (), True, ""),
    # "why" and "how" (not "how many") ask for a reason or a way; a "who" or "which" after them opens a clause
    ("Why is a Dutch donor who fathered 550 children being sued?", THING, (), False, ""),
    ("How did the company which makes the drug respond?", THING, (), False, ""),
    ("How many people who live in Paris voted?", NUMBER, ("people",), False, ""),
    # "the name of X", "X's name", "X called": a name, of an X (not the owner, not a clause)
    ("What is the name of SpaceX's rocket, which exploded on its first flight?", NAME, ("rocket",), False, ""),
    ("What was the new Covid variant's name?", NAME, ("covid", "variant"), False, ""),
    ("A Trump-era policy expires on May 11. What is the policy called?", NAME, ("policy",), False, ""),
    ("Prince Harry published his memoir this week. What is the book titled?", NAME, ("book",), False, ""),
    # the X ends at its verb
    ("Which film won the award for best ensemble?", THING, ("film",), False, ""),
    ("Which bank bought Credit Suisse?", NAME, ("bank",), False, ""),
    ("Which NFL team signed Aaron Rodgers?", NAME, ("nfl", "team"), False, ""),
])
def test_the_kind_of_answer_a_question_asks_for(question, kind, focus, person, preposition):
    q = analyse(question)
    assert (q.kind, q.focus, q.person, q.preposition) == (kind, focus, person, preposition)


@pytest.mark.parametrize("sentence,expected", [
    ("Michelle Yeoh won best actress at the Golden Globes on Jan. 10.",
     [("Jan. 10", DATE), ("Michelle Yeoh", NAME), ("Golden Globes", NAME)]),
    # a name ends at its possessive; the rest of the run is a name of its own
    ("Biden’s State of the Union address ran long.", [("Biden", NAME), ("State of the Union", NAME)]),
    # a sentence opener after an abbreviation is not part of the name
    ("The crowds filled New Orleans, the biggest party in the U.S. This year it began early.",
     [("New Orleans", NAME), ("U.S.", NAME)]),
    # "the" joins a name only after "of"
    ("Bank of the West lent money; the Arizona Republic the Suns story ran.",
     [("Bank of the West", NAME), ("Arizona Republic", NAME), ("Suns", NAME)]),
    # a full stop that is no abbreviation's ends the name, and one before a sentence opener
    ("It was won by Sweden, not Russia. Ukraine won in the U.S. Since then Gov. Mike DeWine spoke.",
     [("Sweden", NAME), ("Russia", NAME), ("Ukraine", NAME), ("U.S.", NAME), ("Gov. Mike DeWine", NAME)]),
    ("The prices rose 137% to $4.25 in December.", [("137%", NUMBER), ("$4.25", NUMBER)]),
    # a name does not run across lines (a byline above the story); "None" opens, it names nothing
    ("By Ed Masley\nRihanna closed the show. None of the Heat players scored.",
     [("Ed Masley", NAME), ("Rihanna", NAME), ("Heat", NAME)]),
    ("Following LSU’s win, fans celebrated.", [("LSU", NAME)]),
    # a weekday after a place is the day, not part of its name ("Black Friday" is a name)
    ("He was arraigned in Manhattan Tuesday, before Black Friday.",
     [("Tuesday", DATE), ("Friday", DATE), ("Manhattan", NAME), ("Black Friday", NAME)]),
    # a score after a name is not part of it
    ("The Kansas City Chiefs beat the Philadelphia Eagles 38-35.", [("Kansas City Chiefs", NAME), ("Philadelphia Eagles", NAME)]),
    # a number after a capitalised word is part of a name, not a quantity
    ("Super Bowl 57 drew 113 million viewers as the S&P 500 fell 3%.",
     [("113 million viewers", NUMBER), ("3%", NUMBER), ("Super Bowl 57", NAME), ("S&P 500", NAME)]),
    # a number's unit is a word that can be one, not the next word whatever it is
    ("She was 37 when elected in 2017, with 12 ministers between them.",
     [("2017", DATE), ("37", NUMBER), ("12 ministers", NUMBER)]),
    # ... and what it counts when a word before it says what kind: "34 felony counts", not "34 felony"
    ("He denied 34 felony counts, and 12 new moons have 5,800 fans.",
     [("34 felony counts", NUMBER), ("12 new moons", NUMBER), ("5,800 fans", NUMBER)]),
    # a quoted title is a candidate whole (its capitalised run is one too)
    ("The film “Everything Everywhere All at Once” led.",
     [("Everything Everywhere All", NAME), ("Everything Everywhere All at Once", THING)]),
])
def test_candidate_answers_in_a_sentence(sentence, expected):
    assert [(s.text, s.kind) for s in spans(sentence)] == expected
    for s in spans(sentence):
        assert sentence[s.start:s.end] == s.text


def test_the_word_for_a_people_names_its_country():
    sentence = "German Chancellor Olaf Scholz met North Korean and Chinese envoys; american officials waited."
    found = [(s.text, sentence[s.start:s.end]) for s in places(sentence)]
    assert found == [("Germany", "German"), ("North Korea", "North Korean"), ("China", "Chinese")]


def test_an_x_that_is_not_a_time_or_a_quantity_is_not_answered_by_one():
    film = analyse("Which film has the most nominations for the Oscars?")
    assert film.kind == THING and film.focus == ("film",)
    assert fits(Span(0, 5, "Tár", NAME), film) and fits(Span(0, 3, "Elvis", THING), film)
    assert not fits(Span(0, 4, "2023", DATE), film) and not fits(Span(0, 2, "11", NUMBER), film)
    anything = analyse("What did the council decide?")
    assert fits(Span(0, 4, "2023", DATE), anything)


def test_an_age_or_a_count_is_not_a_share_or_a_sum():
    old = analyse("How old is Prince Harry?")
    found = {x.text: fits(x, old) for x in spans("He is 100% sure, aged 38, and paid $20 for it.")}
    assert found == {"100%": False, "38": True, "$20": False}
    much = analyse("How much did egg prices rise?")
    assert [x.text for x in spans("Prices rose 60% to $4.25.") if fits(x, much)] == ["60%", "$4.25"]


def test_who_is_answered_by_a_person_or_a_body_not_an_event():
    who = analyse("Who won the Indianapolis 500?")
    assert fits(Span(0, 15, "Josef Newgarden", NAME), who)
    assert fits(Span(0, 11, "Team Penske", NAME), who)
    assert not fits(Span(0, 11, "Daytona 500", NAME), who)
    assert not fits(Span(0, 13, "Super Bowl 57", NAME), who)
    # a number in a name answers other questions ("Which race ...?")
    assert fits(Span(0, 11, "Daytona 500", NAME), analyse("Which race did Ricky Stenhouse Jr. win?"))


@pytest.mark.parametrize("question", [
    "How many people died in the storm?", "When did the strike end?", "Who won the Indianapolis 500?",
    "Which film won best picture?", "What did the council approve?", "How old is the new prime minister?",
])
def test_spans_of_the_kinds_a_question_takes_are_the_spans_that_fit_it(question):
    from rag.core.extract import kinds_for

    qtype = analyse(question)
    sentences = [
        "On Jan. 10, 2023, the council approved 310 million euros for the tram, Mayor Elena Sorrel said.",
        "“Everything Everywhere All at Once” won best picture; Michelle Yeoh, 60, won best actress.",
        "At least 12 people died when the storm hit Port Aldine on Tuesday, 40% more than in 2019.",
        "Josef Newgarden won the Indianapolis 500 in May, and sesame seeds were recalled in 3 states.",
    ]
    for s in sentences:
        every = [x for x in spans(s, qtype.focus) if fits(x, qtype)]
        only = [x for x in spans(s, qtype.focus, kinds_for(qtype)) if fits(x, qtype)]
        assert only == every, (question, s)


@pytest.mark.parametrize("question, answer, expected", [
    ("Which automaker recalled more than 114,000 cars this week?", "Volkswagen",
     "Volkswagen recalled more than 114,000 cars this week"),
    ("In which city did the summit open?", "Geneva", "Geneva did the summit open"),
    ("How many jobs will the factory create?", "1,200", "1,200 will the factory create"),
    # The asking part of a question that opens with what happened:
    ("Jack Schlossberg is running for Congress. Who was his grandfather?", "John F. Kennedy",
     "John F. Kennedy his grandfather"),
    # No question word to replace: the answer stands before the question.
    ("The FDA approved the drug for whom?", "children", "children: The FDA approved the drug for whom?"),
])
def test_a_question_restated_with_a_candidate_as_its_answer(question, answer, expected):
    assert restate(question, answer) == expected
