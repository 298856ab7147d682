"""The corpus the committed transcript (docs/transcript.md) is recorded over: the real seed article of
corpus/ and a week of articles written for the tests (fictional towns and people, in the style of news
agencies), dated around the seed article so that "this week" holds them all; and the script of the
session over it. Their text may be committed; the bench's articles may not (see tests/cogs/transcript.py
for recording a session over other articles, locally).
"""

from __future__ import annotations

from datetime import date

from tests.conftest import ROOT

SEED = ROOT / "corpus" / "2024-09-17-bamako-faladie-attack.md"
TODAY = date(2024, 9, 17)  # the day the session is played: the seed article's

WEEK: dict[str, dict] = {
    "storm-gazette.md": {
        "title": "Storm Elin floods Riverton harbour", "published": "2024-09-11", "source": "riverton-gazette",
        "url": "https://gazette.example/storm-elin",
        "text": (
            "Storm Elin flooded the harbour district of Riverton on Tuesday night, forcing about 300 residents "
            "from their homes after a section of the sea wall gave way.\n"
            "Firefighters pumped water from cellars until dawn, and the council opened the sports hall on "
            "Mill Street as a shelter.\n"
            "\"The water came up the street faster than anyone expected. We carried our neighbours out,\" said "
            "Lena Hart, who has lived on the quay for forty years."
        ),
    },
    "storm-times.md": {
        "title": "Riverton counts the cost of Storm Elin", "published": "2024-09-12", "source": "valdoria-times",
        "url": "https://times.example/storm-elin-cost",
        "text": (
            "Riverton began counting the cost of Storm Elin on Wednesday, a day after the sea wall collapsed and "
            "floodwater filled the streets of the harbour district.\n"
            "Insurers said claims could reach 40 million euros, and the regional government promised emergency "
            "funds for families who lost their homes.\n"
            "Engineers will inspect the rest of the wall, built in 1962, before the autumn tides."
        ),
    },
    "storm-wire.md": {
        "title": "Storm Elin: hundreds evacuated in Riverton", "published": "2024-09-11", "source": "wire-news",
        "url": "https://wire.example/storm-elin",
        "text": (
            "Hundreds of people were evacuated in Riverton as Storm Elin drove the sea over the harbour wall on "
            "Tuesday, the city said.\n"
            "No one was seriously hurt. The storm is expected to weaken as it moves north on Thursday."
        ),
    },
    "roof.md": {
        "title": "Kessel stadium roof to be finished by spring, builder says", "published": "2024-09-13",
        "source": "riverton-gazette", "url": "https://gazette.example/kessel-roof",
        "text": (
            "The new roof of the Kessel stadium in Riverton will be finished by the spring, its builder said on "
            "Friday, despite two weeks lost to Storm Elin.\n"
            "\"We are on schedule. The steel is in place and the panels arrive next month,\" project manager "
            "Ines Varga told reporters at the site.\n"
            "Varga said the works would not disturb the last home games of the season.\n"
            "\"The last two games will be played with the stands half covered. We have agreed this with the "
            "league.\n"
            "\"Fans will not notice any difference, apart from the cranes,\" she added."
        ),
    },
    "strike-1.md": {
        "title": "Valdoria bus drivers walk out", "published": "2024-09-14", "source": "valdoria-times",
        "url": "https://times.example/bus-strike",
        "text": (
            "Bus drivers in Valdoria walked out on Saturday in a dispute over pay, leaving the city without "
            "public transport for the weekend.\n"
            "The drivers' union wants a rise of 8 percent; the operator, Valdoria Transit, has offered 4."
        ),
    },
    "strike-2.md": {
        "title": "Valdoria bus strike enters second day", "published": "2024-09-15", "source": "valdoria-times",
        "url": "https://times.example/bus-strike-day-two",
        "text": (
            "The strike by Valdoria's bus drivers entered its second day on Sunday with no talks planned, and "
            "schools told pupils to plan other ways to get to class on Monday.\n"
            "Valdoria Transit said it would meet the union on Tuesday."
        ),
    },
    "choir.md": {
        "title": "Port Aldine choir wins national prize", "published": "2024-09-16", "source": "coast-herald",
        "url": "https://herald.example/choir-prize",
        "text": (
            "The Port Aldine harbour choir won the national choir prize on Sunday, the first win for a coastal "
            "choir in twenty years.\n"
            "Its conductor, Tomas Lind, said the prize money would pay for a tour of the northern towns."
        ),
    },
    "tram.md": {
        "title": "Riverton council approves new tram line", "published": "2024-08-20", "source": "riverton-gazette",
        "url": "https://gazette.example/tram",
        "text": (
            "The Riverton city council voted 9 to 4 on Monday to approve a new tram line linking the harbour "
            "district to the university campus.\n"
            "The line will cost 310 million euros and is expected to open in 2027, according to the council's "
            "transport committee.\n"
            "Mayor Elena Sorrel said the tram would cut travel times across the city by a third."
        ),
    },
}

# Written into the corpus during the session, and indexed by `python -m rag index` in another process.
STRIKE_ENDS = {
    "title": "Valdoria bus strike ends with 6 percent pay deal", "published": "2024-09-17",
    "source": "valdoria-times", "url": "https://times.example/bus-strike-ends",
    "text": (
        "Valdoria's bus drivers ended their strike on Tuesday after the union accepted a pay rise of 6 percent "
        "from Valdoria Transit.\n"
        "Buses will run on the normal timetable from Wednesday morning, the operator said."
    ),
}

SCRIPT = {
    "today": TODAY.isoformat(),
    "question": "What did Ines Varga say about the stadium roof schedule?",
    "quick_question": "When will the Kessel stadium roof be finished?",
    "mention": "How many Riverton residents had to leave their homes in Storm Elin?",
    "followups": ["And how much could the insurance claims reach?", "What did Lena Hart say?"],
    "naming_question": "Militants attacked a gendarmerie school in which West African country?",
    "refused_question": "What is the boiling point of tungsten?",
    "uncovered_topic": "Mars colony",
    "new_article": STRIKE_ENDS,
    "new_question": "How did the Valdoria bus strike end?",
}
