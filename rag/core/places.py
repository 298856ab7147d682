"""Places and what their people are called: "Germany" / "German", "US" / "United States" / "American".

Used where a name must be recognised in another form: the citation check ("Chinese officials"
is backed by a passage naming China) and short answers to "which country" ("German Chancellor
Olaf Scholz" names Germany). General English, not any data set's.
"""

from __future__ import annotations

# A place (lower case) and the words for its people, comma separated.
_PEOPLE = {
    "united states": "american, americans", "united kingdom": "british, briton, britons",
    "china": "chinese", "russia": "russian, russians", "ukraine": "ukrainian, ukrainians",
    "north korea": "north korean, north koreans", "south korea": "south korean, south koreans",
    "japan": "japanese", "germany": "german, germans", "france": "french", "india": "indian, indians",
    "israel": "israeli, israelis", "iran": "iranian, iranians", "turkey": "turkish", "syria": "syrian, syrians",
    "mexico": "mexican, mexicans", "canada": "canadian, canadians", "australia": "australian, australians",
    "brazil": "brazilian, brazilians", "italy": "italian, italians", "spain": "spanish",
    "europe": "european, europeans", "africa": "african, africans", "pakistan": "pakistani, pakistanis",
    "afghanistan": "afghan, afghans", "iraq": "iraqi, iraqis", "saudi arabia": "saudi, saudis",
    "egypt": "egyptian, egyptians", "poland": "polish", "ireland": "irish", "scotland": "scottish",
    "wales": "welsh", "taiwan": "taiwanese", "vietnam": "vietnamese", "philippines": "filipino, filipinos",
    "nigeria": "nigerian, nigerians", "peru": "peruvian, peruvians", "argentina": "argentine, argentinian",
    "venezuela": "venezuelan, venezuelans", "cuba": "cuban, cubans", "greece": "greek, greeks",
    "sweden": "swedish", "norway": "norwegian", "finland": "finnish", "switzerland": "swiss",
    "netherlands": "dutch", "new zealand": "new zealander, new zealanders",
}
_OTHER_NAMES = {
    "united states": ("us", "usa", "united states of america", "america"),
    "united kingdom": ("uk", "britain", "great britain"),
}

# Groups of names for one thing, lower case, without dots ("U.S." is "us").
ALIASES: list[frozenset[str]] = [
    *(frozenset({place, *_OTHER_NAMES.get(place, ()), *(w.strip() for w in people.split(","))})
      for place, people in _PEOPLE.items()),
    frozenset({"un", "united nations"}),
    frozenset({"eu", "european union"}),
    frozenset({"nyc", "new york city"}),
    frozenset({"uae", "united arab emirates", "emirati", "emiratis"}),
    frozenset({"covid", "covid-19", "covid 19", "coronavirus"}),
    frozenset({"tv", "television"}),
]

# The place a word for its people names, as written: "german" -> "Germany".
PLACE_OF: dict[str, str] = {
    w.strip(): " ".join(part.capitalize() for part in place.split())
    for place, people in _PEOPLE.items() for w in people.split(",")
}
