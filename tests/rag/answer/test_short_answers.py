"""Answers that say the answer: a short answer of the kind the question asks for, in bold, cited.

Small real-looking corpora, indexed with the real model and Chroma on disk, asked through the
service and the command line. These are the hand-set rules (``ANSWER_MODEL=none``, and what answers
fall back to when the learned models cannot be read); the learned judge's answers over the same kind
of corpus are tested in test_judge.py.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from rag.cli import main as cli_main
from rag.core.types import Filters
from rag.answer.conversation import condense
from rag.core.types import Turn
from rag.sources.ingest import load_corpus

from tests.conftest import write_corpus

AWARDS = {
    "globes.md": {
        "title": "Golden Globes 2023: the winners", "published": "2023-01-11", "source": "screen-daily",
        "url": "https://screen.example/globes",
        "text": (
            "The 80th Golden Globe Awards returned to NBC on Tuesday after a year off the air.\n\n"
            "Host Jerrod Carmichael opened the show with a monologue about the awards' troubled past.\n\n"
            "Steven Spielberg's film The Fabelmans won best drama.\n\n"
            "Actress in a comedy or musical\n\n"
            "Michelle Yeoh, Everything Everywhere All At Once\n\n"
            "Actor in a comedy or musical\n\n"
            "Colin Farrell, The Banshees of Inisherin\n\n"
            "More on the ceremony:Golden Globes return with jokes about the past\n\n"
            "Kevin Winter/Getty Images Jerrod Carmichael speaks onstage at the Beverly Hilton."
        ),
    },
    "yeoh.md": {
        "title": "Michelle Yeoh wins her first Golden Globe", "published": "2023-01-11", "source": "film-wire",
        "url": "https://wire.example/yeoh",
        "text": (
            "Michelle Yeoh won the Golden Globe for best actress in a musical or comedy on Tuesday for "
            "her role in Everything Everywhere All At Once.\n"
            "In her speech, Yeoh thanked the film's directors and recalled moving to Hollywood 40 years ago."
        ),
    },
    "tax.md": {
        "title": "Tax season opens: what filers need to know", "published": "2023-01-20", "source": "money-post",
        "url": "https://money.example/tax",
        "text": (
            "Tax filing deadlines to know\n\n"
            "The IRS will begin accepting returns on January 23, officials said.\n"
            "The deadline to file federal tax returns this year is April 18, because of a holiday in Washington.\n"
            "Filers who need more time can request an extension to October 16."
        ),
    },
    "ardern.md": {
        "title": "New Zealand prime minister to step down", "published": "2023-01-19", "source": "pacific-news",
        "url": "https://pacific.example/ardern",
        "text": (
            "More on the resignation:New Zealand Prime Minister Ardern resigned.\n\n"
            "Jacinda Ardern said on Thursday that she would resign as prime minister of New Zealand by "
            "February 7, saying she no longer had enough in the tank to do the job.\n"
            "Ardern has led the country since 2017, when she became the youngest female head of government "
            "in the world at the age of 37."
        ),
    },
    "ardern-wire.md": {
        "title": "Ardern quits as New Zealand leader", "published": "2023-01-19", "source": "wire-news",
        "url": "https://wire.example/ardern",
        "text": (
            "New Zealand's prime minister announced her resignation on Thursday in an emotional speech in Napier.\n"
            "Her Labour Party will choose a new leader on Sunday."
        ),
    },
    "draft.md": {
        "title": "Gamecocks dominate the WNBA draft", "published": "2023-04-11", "source": "hoops-daily",
        "url": "https://hoops.example/draft",
        "text": (
            "Aliyah Boston went first overall to the Indiana Fever in Monday's WNBA draft.\n"
            "In total, five South Carolina players were drafted on Monday, a record for the program.\n"
            "Zia Cooke was taken in the second round by the Los Angeles Sparks."
        ),
    },
}


@pytest.fixture
def settings(settings):
    return settings.replace(answer_model="none")


@pytest.fixture
def awards(service, settings):
    return indexed_with(service, settings, AWARDS)


def indexed_with(service, settings, articles: dict):
    """The service over just these articles, indexed."""
    write_corpus(settings.corpus_dir, articles)
    service.reindex()
    return service


def _quotes_are_article_text(answer, folder):
    articles, _ = load_corpus(folder)
    texts = {a.id: a.text for a in articles}
    for c in answer.citations:
        assert texts[c.article_id][c.start:c.end] == c.quote


@pytest.mark.parametrize(("question", "short", "quoted"), [
    # who: a name the question does not contain, backed by a heading's list or by a sentence
    ("Who won the award for best actress in a musical or comedy at the Golden Globes?", "Michelle Yeoh",
     "Michelle Yeoh"),
    # when: a date, not the heading that restates the question
    ("When is the tax filing deadline?", "April 18", "April 18"),
    # how many: a number with its unit
    ("In total, how many South Carolina players were drafted in the WNBA draft?", "five",
     "five South Carolina players"),
    # which X: a name of that kind, not the promo line
    ("Which country's prime minister resigned?", "New Zealand", "Jacinda Ardern said"),
])
def test_short_answer_leads_in_bold_and_is_cited(awards, settings, question, short, quoted):
    answer = awards.ask(question)
    assert not answer.refused
    assert answer.short.lower() == short.lower()
    assert answer.text.startswith(f"**{answer.short}** [1]")
    assert quoted in answer.text
    assert answer.citations[0].n == 1 and short.lower() in " ".join(c.quote.lower() for c in answer.citations)
    _quotes_are_article_text(answer, settings.corpus_dir)


def test_an_answer_from_outside_the_asked_week_says_so(awards):
    question = "Who won best actress in a musical or comedy at the Golden Globes this week?"
    then = awards.ask(question, Filters(as_of=date(2023, 1, 12)))
    assert then.short == "Michelle Yeoh" and "time the question asks about" not in then.notice
    later = awards.ask(question, Filters(as_of=date(2023, 4, 12)))  # the week of the WNBA draft
    assert later.window.startswith("this week")
    assert all(c.published < date(2023, 4, 5) for c in later.citations)
    assert "none of the quoted articles is dated 5 Apr 2023 – 12 Apr 2023, the time the question asks about" \
        in later.notice


def test_furniture_is_never_quoted(awards, settings):
    for question in ("Who won the award for best actress in a musical or comedy at the Golden Globes?",
                     "Which country's prime minister resigned?", "What happened at the Golden Globes ceremony?",
                     "Who hosted the Golden Globes?"):
        answer = awards.ask(question)
        for c in answer.citations:
            assert "More on" not in c.quote and "Getty Images" not in c.quote
            assert c.quote != "Actress in a comedy or musical" and c.quote != "Tax filing deadlines to know"
    summary = awards.summarize_article(next(a.id for a in awards.find_articles("Golden Globes 2023")))
    assert summary.citations
    for c in summary.citations:
        assert "More on" not in c.quote and "Getty Images" not in c.quote and "Actress in a" not in c.quote


def test_a_heading_that_restates_the_question_never_leads(awards):
    answer = awards.ask("When is the tax filing deadline?")
    assert "Tax filing deadlines to know" not in answer.text


def test_one_number_per_article(awards):
    answer = awards.ask("Who won the award for best actress in a musical or comedy at the Golden Globes?")
    numbers = {}
    for c in answer.citations:
        assert numbers.setdefault(c.article_id, c.n) == c.n  # the same article keeps its number
    assert sorted(set(numbers.values())) == list(range(1, len(numbers) + 1))


def test_without_a_clear_winner_no_short_answer_is_claimed(service, settings):
    indexed_with(service, settings, {
        "chair.md": {"title": "Council to name a transport chair", "published": "2024-05-01", "source": "gazette",
                     "url": "https://a.example/1",
                     "text": "Either Ana Ruiz or Tomas Brekke will chair the new transport committee of the "
                             "Riverton council, the mayor said on Monday."},
    })
    answer = service.ask("Who will chair the new transport committee of the Riverton council?")
    assert not answer.refused
    assert answer.short == "" and not answer.text.startswith("**")
    assert "do not settle" in answer.text and "Ana Ruiz" in answer.text and "Tomas Brekke" in answer.text


def test_a_refusal_says_what_was_found(service, settings):
    indexed_with(service, settings, {
        "a.md": {"title": "Cup final preview", "published": "2024-05-01", "source": "sports-a",
                 "url": "https://a.example/1",
                 "text": "Riverton Rovers and Port Aldine meet in the cup final on Saturday. Both teams are "
                         "unbeaten this season and the match is sold out."},
    })
    answer = service.ask("Did Lumetra open its battery factory in Valdoria?")  # named nowhere in the corpus
    assert answer.refused and not answer.citations
    assert answer.text == ("The corpus does not cover this: the nearest articles are “Cup final preview”, and "
                           "none of them mentions Lumetra, Valdoria.")  # what to try is each surface's to say


def test_a_refusal_names_the_clear_candidate_a_nearest_article_names(service, settings):
    """Not "the corpus does not cover this" while the nearest article's title names what the question asks
    for: the refusal names it, cited with the sentence that gives it."""
    indexed_with(service, settings, {
        "briefing.md": {"title": "Storms, Nepal, the cup final: the week in brief", "published": "2024-05-03",
                        "source": "daily-brief", "url": "https://brief.example/week",
                        "text": "Rescuers searched the wreckage of the passenger plane that crashed near Pokhara in "
                                "Nepal, killing 72 people.\nRiverton Rovers won the cup final on Saturday."},
        "storm.md": {"title": "Storms close schools in Valdoria", "published": "2024-05-02",
                     "source": "valdoria-times", "url": "https://times.example/storm",
                     "text": "Storms closed every school in Valdoria on Thursday as rivers rose."},
    })
    answer = service.ask("A deadly plane crash occurred in which South Asian country?")
    assert answer.refused  # the decision stands (no article mentions "South Asian")
    assert answer.text == ("The articles found do not answer this for certain (none of them mentions South Asian); "
                           "the nearest names Nepal [1]: “Rescuers searched the wreckage of the passenger plane that "
                           "crashed near Pokhara in Nepal, killing 72 people.” [1]")
    [c] = answer.citations
    assert c.title == "Storms, Nepal, the cup final: the week in brief" and "Nepal" in c.quote
    # A question whose candidates are not named by a nearest title is refused as before.
    other = service.ask("Which singer announced a world tour in Valdoria?")
    assert other.refused and not other.citations and other.text.startswith("The corpus does not cover this")


def test_follow_up_uses_what_the_answer_found(awards):
    first = awards.ask("Which country's prime minister resigned?")
    assert first.short == "New Zealand"
    followup = condense([Turn("Which country's prime minister resigned?", first.text)],
                        "Since when has she been prime minister?")
    assert "Ardern" in followup
    answer = awards.ask(followup)
    assert "2017" in answer.text


def test_cli_json_has_the_short_answer(awards, settings, capsys, monkeypatch):
    monkeypatch.setenv("CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ANSWER_MODEL", settings.answer_model)
    code = cli_main(["ask", "When is the tax filing deadline?", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["short_answer"]["text"] == "April 18" and out["short_answer"]["n"] == 1
    assert out["answer"].startswith("**April 18** [1]")


def test_a_one_word_winner_is_shown_in_its_full_form(service, settings):
    indexed_with(service, settings, {
        "bucks.md": {"title": "Milwaukee Bucks clinch a playoff spot", "published": "2023-03-20",
                     "source": "hoops-daily", "url": "https://hoops.example/bucks",
                     "text": "The Bucks are the first team in the league to reach 50 wins this season.\n"
                             "Giannis Antetokounmpo scored 38 points in the win over Indiana."},
        "bucks-wire.md": {"title": "Bucks first to 50 wins", "published": "2023-03-20", "source": "wire-news",
                          "url": "https://wire.example/bucks",
                          "text": "The Bucks became the first team to reach 50 wins on Sunday night."},
    })
    answer = service.ask("Which team was the first to reach 50 wins this season?")
    assert answer.short == "Milwaukee Bucks"
    assert answer.text.startswith("**Milwaukee Bucks** [1] —")


CUP = {
    "cup-2022.md": {
        "title": "Liverpool win the League Cup on penalties", "published": "2022-02-28", "source": "sport-daily",
        "text": ("Liverpool won the Carabao Cup final on Sunday, beating Chelsea 11-10 on penalties at Wembley.\n"
                 "Goalkeeper Caoimhin Kelleher scored the decisive penalty."),
    },
    "cup-2023.md": {
        "title": "Manchester United end trophy drought", "published": "2023-02-27", "source": "sport-wire",
        "text": ("Manchester United won the Carabao Cup final on Sunday, beating Newcastle 2-0 at Wembley.\n"
                 "Casemiro and Marcus Rashford scored for United."),
    },
}


def test_of_two_stories_saying_the_same_the_newer_leads(service, settings):
    """"Which team won the cup final?" means the latest final, even when the older story ranks first."""
    from rag.answer.extractive import ExtractiveAnswerer

    indexed = indexed_with(service, settings, CUP)
    question = "Which team won the Carabao Cup final on Sunday?"
    passages = sorted(indexed.search(question, Filters(as_of=date(2023, 3, 1)), k=4), key=lambda p: p.chunk.published)
    answerer = ExtractiveAnswerer(indexed.embeddings, settings.min_evidence)
    assert answerer.answer(question, passages).citations[0].published == date(2022, 2, 28)  # rank alone
    newest = answerer.answer(question, passages, latest=date(2023, 3, 1))
    assert newest.citations[0].published == date(2023, 2, 27) and "Manchester United" in newest.text.split("[1]")[0]
    # whether the corpus covers a question does not depend on the articles' age
    other = "What did Wembley stadium announce about ticket prices?"
    assert answerer.answer(other, passages).refused
    assert answerer.answer(other, passages, latest=date(2023, 2, 27)).refused


TANKS = {
    "tanks.md": {
        "title": "Berlin agrees to send battle tanks", "published": "2023-01-25", "source": "euro-wire",
        "text": ("German Chancellor Olaf Scholz announced on Wednesday that his country would send 14 Leopard 2 "
                 "tanks to Ukraine after weeks of pressure from allies.\n"
                 "The decision came hours before the White House said it would send Abrams tanks."),
    },
    "tanks-wire.md": {
        "title": "Tanks for Kyiv", "published": "2023-01-25", "source": "wire-news",
        "text": ("The German government confirmed it will send battle tanks to Ukraine, ending weeks of debate.\n"
                 "Poland welcomed the move."),
    },
}


def test_which_country_is_answered_by_the_word_for_its_people(service, settings):
    indexed = indexed_with(service, settings, TANKS)
    answer = indexed.ask("Which country said it will send battle tanks to Ukraine?", Filters(as_of=date(2023, 1, 26)))
    assert answer.short == "Germany"
    assert answer.text.startswith("**Germany** [1] — “") and "German" in answer.citations[0].quote


def test_a_candidate_a_short_line_names_best_is_still_quoted_from_its_sentence():
    """Regression: a name whose best occurrence in an article is a short line (a subhead that
    names it too) was dropped from the names an unsettled answer lists, though a sentence gives it."""
    from rag.core import extract
    from rag.answer.shorts import Candidate, Short, merge_aliases
    from rag.core.sentences import SENTENCE, SHORT
    from rag.core.types import Chunk, Passage

    text = ("Riverton teachers say they will strike\n\n"
            "The Riverton Unified School District was closed Tuesday because of a planned strike.")
    chunk = Chunk("a#0", "a", "h", 0, 0, len(text), text, "Riverton schools shut by strike")
    passage = Passage(chunk, 1.0)
    line = Candidate(passage, 0, 0, 38, text[:38], kind=SHORT)
    sentence = Candidate(passage, 0, 40, len(text), text[40:])
    full = Short("riverton unified school district", "Riverton Unified School District")
    full.add("a", (1.0, sentence, extract.Span(4, 36, "Riverton Unified School District", extract.NAME)))
    alone = Short("riverton", "Riverton")
    alone.add("a", (2.0, line, extract.Span(0, 8, "Riverton", extract.NAME)))
    [merged] = merge_aliases([full, alone])
    assert merged is full and merged.score == 2.0  # the article counts at its best occurrence
    assert merged.quotable() is sentence and sentence.kind == SENTENCE


def test_a_name_the_question_gives_with_a_possessive_is_not_its_answer(service, settings):
    from rag.answer.extractive import ExtractiveAnswerer

    indexed = indexed_with(service, settings, {
        "skate.md": {"title": "Sky Brown wins world title", "published": "2023-02-10", "source": "board-news",
                     "url": "https://board.example/brown",
                     "text": "Sky Brown has become the UK’s first skateboarding world champion at the age of 14, "
                             "winning the park final in Sharjah on Sunday."},
    })
    question = "Sky Brown has become the UK’s first world champion in which sport?"
    passages = indexed.search(question, Filters(as_of=date(2023, 2, 11)), k=4)
    answerer = ExtractiveAnswerer(indexed.embeddings, settings.min_evidence)
    hints = answerer.hints(question, answerer.evidence(question, passages, short_lines=True))
    assert "Candidates" in hints and "Sharjah" in hints
    assert "UK" not in hints.split("Candidates")[1]  # "the UK’s" is the question's own word


EXPLAINER = {
    "bank.md": {
        "title": "Riverton Savings collapse explained", "published": "2023-03-13", "source": "money-post",
        "url": "https://money.example/riverton",
        "text": ("How did Riverton Savings Bank collapse so quickly after forty years in business?\n\n"
                 "Riverton Savings Bank failed after depositors withdrew 42 billion dollars in a single day over "
                 "concerns about the bank's losses on its bond holdings.\n\n"
                 "Who is affected by the failure of Riverton Savings Bank in the valley?\n\n"
                 "Most of the bank's customers were technology start-ups whose deposits were above the insured limit.\n\n"
                 "Regulators closed the bank on Friday and took control of its deposits."),
    },
}


def test_a_question_an_article_asks_is_never_quoted(service, settings):
    """Explainers ask questions in their subheads ("How did X collapse?"): they restate the
    question and answer nothing, so answers and summaries quote the sentences that do."""
    indexed = indexed_with(service, settings, EXPLAINER)
    answer = indexed.ask("Why did Riverton Savings Bank collapse?", Filters(as_of=date(2023, 3, 14)))
    assert not answer.refused
    assert "depositors withdrew" in answer.text
    assert all(not c.quote.rstrip().endswith("?") for c in answer.citations) and "?" not in answer.text
    summary = indexed.summarize_article(answer.citations[0].article_id)
    assert summary.citations and all(not c.quote.rstrip().endswith("?") for c in summary.citations)


def test_a_winner_is_claimed_in_bold_only_when_its_sentence_matches_the_question(awards, monkeypatch):
    """A clear winner whose best sentence matches the question poorly (the passages are about
    something else) is named among what the sources mention, not claimed as the answer."""
    from rag.answer import extractive

    question = "Who won the award for best actress in a musical or comedy at the Golden Globes?"
    assert awards.ask(question).short == "Michelle Yeoh"
    monkeypatch.setattr(extractive, "SHORT_EVIDENCE", 5.0)  # no sentence matches this well
    answer = awards.ask(question)
    assert answer.short == "" and not answer.text.startswith("**")
    assert "do not settle" in answer.text and "Michelle Yeoh" in answer.text


def test_a_bulleted_sentence_is_no_heading_over_the_next():
    """Live pages open with highlights, one unpunctuated sentence a line. The first is not a heading
    whose list the second is: it was quoted as “CDC data shows ... in the country: A new study shows ...”."""
    from rag.answer.extractive import SHORT, ExtractiveAnswerer
    from rag.core.types import Chunk, Passage

    text = ("CDC data shows the omicron subvariant BA.5 has become the dominant strain in the country\n\n"
            "A new study shows COVID was the third leading cause of death in the US from March 2020 to Oct. 2021\n\n"
            "Actress in a comedy or musical\n\n"
            "Michelle Yeoh, Everything Everywhere All At Once\n\n")
    chunk = Chunk("a#0", "a", "h", 0, 0, len(text), text, "COVID updates")
    lines = [c for c in ExtractiveAnswerer(None, 0.5)._candidates([Passage(chunk, 1.0)], short_lines=True)
             if c.kind == SHORT]
    assert [c.text[:20] for c in lines] == ["CDC data shows the o", "A new study shows CO",
                                             "Actress in a comedy ", "Michelle Yeoh, Every"]
    assert [c.context for c in lines] == ["", "", "", "Actress in a comedy or musical"]


def test_a_word_capitalised_only_as_a_sentence_opens_is_no_name(service, settings):
    """“Potentially this strike could go beyond three days” names no “Potentially”: the passages write
    the word in lower case elsewhere. An acronym opening a sentence (“NATO said ...”) is still a name."""
    from rag.core import extract
    from rag.answer.extractive import ExtractiveAnswerer
    from rag.answer.shorts import common_word, short_answers

    indexed = indexed_with(service, settings, {
        "strike.md": {"title": "Riverton teachers strike", "published": "2023-03-21", "source": "valley-news",
                      "url": "https://valley.example/strike",
                      "text": ("Riverton teachers walked out on Tuesday, closing every school in the district.\n\n"
                               "Potentially this strike could go beyond three days, union leader Maria Lopez said.\n\n"
                               "NATO said nothing about it, and the mayor said a deal was potentially close.")},
    })
    question = "Who said the Riverton strike could go beyond three days?"
    passages = indexed.search(question, Filters(as_of=date(2023, 3, 22)), k=4)
    answerer = ExtractiveAnswerer(indexed.embeddings, settings.min_evidence)
    names = [s.text for s in short_answers(question, extract.analyse(question),
                                           answerer.evidence(question, passages, short_lines=True), indexed.embeddings)]
    assert "Maria Lopez" in names and "Potentially" not in names
    text = passages[0].chunk.text
    nato = text.index("NATO")
    assert not common_word(text[nato:], extract.Span(0, 4, "NATO", extract.NAME), text)
    label = "WINNERS: Every driver who has won the race, and the winners of its qualifying heats"
    assert common_word(label, extract.Span(0, 7, "WINNERS", extract.NAME), label)


def test_no_bold_answer_from_articles_about_something_else(service, settings):
    """Asked about a shooting in Valdoria, the index holds one in Riverton and a travel piece that
    names Valdoria: the answer may quote what is there, but claims no place in bold from the wrong story."""
    indexed = indexed_with(service, settings, {
        "riverton.md": {"title": "Shooting at Riverton High School", "published": "2023-05-02", "source": "valley-news",
                        "url": "https://valley.example/shooting",
                        "text": ("A school shooting happened at Riverton High School on Tuesday morning.\n\n"
                                 "The school shooting at Riverton High School left two students injured, police said.")},
        "riverton2.md": {"title": "Students injured in Riverton High School shooting", "published": "2023-05-03",
                         "source": "lake-post", "url": "https://lake.example/riverton",
                         "text": "Two students were hurt in a school shooting at Riverton High School this week."},
        "travel.md": {"title": "Spring in Valdoria", "published": "2023-04-20", "source": "travel-daily",
                      "url": "https://travel.example/valdoria",
                      "text": "Valdoria's capital fills with tourists every spring, when the river festival begins."},
    })
    question = "Where was the Valdoria school shooting?"
    answer = indexed.ask(question, Filters(as_of=date(2023, 5, 4)))
    assert not answer.refused and answer.short == ""
    assert "Riverton High School" in answer.text  # named among what the passages say, not claimed


def test_a_count_whose_unit_the_question_names_is_still_its_answer(service, settings):
    """"How many felony counts ...?" is answered by "34 felony counts": the number is what is new,
    though the question already says "felony counts"."""
    indexed = indexed_with(service, settings, {
        "court.md": {"title": "Mayor Ruiz pleads not guilty", "published": "2023-04-04", "source": "valley-news",
                     "url": "https://valley.example/ruiz",
                     "text": ("Former Riverton mayor Ana Ruiz pleaded not guilty to 34 felony counts of falsifying "
                              "business records on Tuesday.\n\n"
                              "Ruiz was charged with 34 felony counts in an indictment unsealed in Riverton.")},
        "court2.md": {"title": "Ruiz arraigned in Riverton", "published": "2023-04-05", "source": "lake-post",
                      "url": "https://lake.example/ruiz",
                      "text": "Ana Ruiz faces 34 felony counts of falsifying business records, prosecutors said."},
    })
    answer = indexed.ask("How many felony counts does Ana Ruiz face?", Filters(as_of=date(2023, 4, 6)))
    assert answer.short == "34 felony counts"
