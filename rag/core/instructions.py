"""Sentences in article text that give orders to an AI system or to the reader.

Article text is data: a sentence that tells whoever processes the page what to say, claim,
ignore, click or visit is never quoted, never shown to a language model and never accepted as
evidence. News prose reports instructions ("Police urged residents to stay indoors", "He told
reporters to ignore the rumours"); a planted instruction gives them. The detector therefore looks
for the grammar of an order, not for a list of phrasings:

- an order at the start of a clause (the sentence start, after "Please", after a short label
  such as "Note to assistants:" or after "When summarising this article,") whose verb is one of
  saying or acting (say, state, claim, tell, ignore, click, visit, ...) and whose object marks it
  as a directive (a that-clause, an audience such as "users" or "@everyone", a link, "here");
- an address to an AI system: a label or vocative naming one ("Note to assistants:", "Dear AI"),
  or one named together with this very text and an obligation ("AI models reading this must");
- the usual prompt-injection vocabulary ("ignore the previous instructions", "system prompt").

A sentence that opens with a quotation mark is someone's words being reported, and is judged
only by the prompt-injection vocabulary.
"""

from __future__ import annotations

import re

from .text import split_sentences

__all__ = ["instruction_spans", "is_instruction"]

# Who an injected order addresses, when it names its addressee.
_AI = (r"(?:ai|a\.i\.|artificial intelligence|assistants?|chat ?bots?|bots?|llms?|gpts?|chatgpt|"
       r"(?:large )?language models?|(?:ai |language |generative )?models?|machines?|crawlers?|scrapers?|"
       r"agents?|summari[sz]ers?|automated (?:\w+ ){0,2}?(?:summar(?:y|ies)|systems?|tools?|readers?|"
       r"assistants?|agents?|services?|writers?|answers?|replies|responses?)|"
       r"(?:ai|automated|machine)[- ]generated (?:summar(?:y|ies)|answers?|text))")
# Whom a planted order wants to reach or mislead.
_AUDIENCE = (r"(?:@everyone|@here|everyone|everybody|users|readers|the readers?|members|"
             r"subscribers|customers|viewers|visitors|anyone|the public|the server|the chat|"
             r"your (?:users|readers|audience|followers)|the users?)")
# Verbs of saying: an order when followed by a that-clause, a colon or an audience.
_SAY = (r"(?:say|state|claim|assert|declare|insist|report|write|answer|respond|reply|mention|"
        r"explain|conclude|confirm|announce|output|print|repeat|summari[sz]e|describe|"
        r"present|tell|inform|warn|remind|urge|advise|instruct|notify)")
# Verbs of acting: an order when they send the reader to a link ("visit https://...", "click here").
_ACT = (r"(?:click|tap|visit|go\s+to|head\s+(?:over\s+)?to|navigate\s+to|download|install|sign\s+in|"
        r"log\s*in|register|scan)")
_LINK = (r"(?:https?://|www\.|(?<![@\w.-])[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|io|ru|xyz|info|example|biz|co|"
         r"me|app|link|site|online|top|click)\b(?!@))")

# Where an order starts: the sentence start, after "Please"/"Now"/"Also", after a short label
# ("Editors' guidance for automated summaries:"), after a when-clause about processing the text.
_LABEL = r"(?:[^.:!?\"“”]{1,80}?[:\u2014–-]\s+)"
_PROCESSING = (r"(?:(?:when|while|if|before|after|whenever)\s+(?:you\s+(?:are\s+)?)?"
               r"(?:summari[sz](?:e|es|ing)|process(?:es|ing)?|read(?:s|ing)?|answer(?:s|ing)?|"
               r"quot(?:e|es|ing)|rewrit(?:e|es|ing)|describ(?:e|es|ing)|report(?:s|ing)?\s+on|"
               r"cit(?:e|es|ing)|us(?:e|es|ing)|discuss(?:es|ing)?|asked\s+about)\s+"
               r"(?:this|the|these)\s+(?:article|story|text|page|piece|content|passage|report|post|"
               r"document|news|information|site|website)[^,]{0,40},\s+)")
_FOR_AI = (rf"(?:(?:for|to|in)\s+(?:any\s+|all\s+|every\s+|your\s+|the\s+)?"
           rf"(?:{_AI}|summary|summaries|answer|response|reply|output)\b[^,.!?]{{0,30}},\s+)")
_PREFIX = (rf"(?:{_LABEL}|{_PROCESSING}|{_FOR_AI}|(?:please|now|also|instead|just|simply|always|kindly)[,\s]+)*")

_ORDER = re.compile(
    rf"^{_PREFIX}(?:"
    # say that ..., state "...", tell users ..., tell @everyone to ...
    rf"{_SAY}\s+(?:that\b|(?:to\s+)?{_AUDIENCE}(?:\s+(?:to|that|the|about|this|it|how|what)\b|\s*[:,]))"
    # click here, tap the link, visit https://..., go to evil.example
    rf"|(?:click|tap)\s+(?:here|on|to|for|the|this|below|above|through|now)\b"
    rf"|{_ACT}\b[^.!?]{{0,80}}?(?:{_LINK}|\bhere\b|\bthis link\b|\bthe link\b|\bbelow\b)"
    # claim your refund, redeem the prize
    rf"|(?:claim|redeem|collect)\s+(?:your|a|the|this)\s+(?:\w+\s+)?(?:refund|prize|reward|money|gift|voucher|"
    rf"compensation|payment|bonus|cash|winnings|tokens?|crypto|coupon)\b"
    # ignore / disregard / forget what came before
    rf"|(?:ignore|disregard|forget|override|bypass)\s+(?:all|any|everything|anything|previous|prior|above|"
    rf"earlier|preceding|your|my|these|those|other|the\s+(?:previous|prior|above|earlier|"
    rf"preceding|rest|following|article|text|story|page|facts|report|question|user|instructions|rules))\b"
    rf"|(?:do not|don't|don’t|never)\s+(?:mention|report|reveal|quote|cite|include|summari[sz]e)\b"
    rf")",
    re.IGNORECASE,
)

_ADDRESS = re.compile(
    # "Note to assistants:", "Attention AI models:", "Dear chatbot,", "Editors' guidance for automated summaries:"
    rf"^(?:\S+\s+){{0,3}}?(?:notes?|messages?|instructions?|guidance|guidelines|rules|attention|notice|memo|"
    rf"directives?|reminders?|warning|dear|hey|hello|hi|calling)\s+(?:(?:to|for)\s+)?"
    rf"(?:all\s+|any\s+|every\s+|the\s+)?{_AI}\b[^.!?:]{{0,30}}?[:,\u2014\u2013]"
    rf"|^to\s+(?:all|any|every)\s+{_AI}\b"
    # "AI models reading this must ...", "any assistant summarising this page should ..."
    rf"|\b{_AI}\s+(?:that\s+(?:are|is)\s+|who\s+(?:are|is)\s+)?(?:reading|summari[sz]ing|processing|"
    rf"parsing|indexing|scraping|crawling|ingesting|seeing|quoting|trained on|using)\s+"
    rf"(?:this|these)\b[^.!?]{{0,60}}?\b(?:must|should|shall|will|need to|needs to|have to|has to|"
    rf"are (?:instructed|required|asked|told|expected) to|is (?:instructed|required|asked|told|expected) to)\b"
    # "If you are an AI, ...", "As an AI model, you must ..."
    rf"|\b(?:if|since)\s+you\s+(?:are|'re|\u2019re)\s+(?:an?\s+)?{_AI}\b"
    rf"|^as\s+an?\s+{_AI}\s*,\s*you\b",
    re.IGNORECASE,
)

# The vocabulary of prompt injection, judged anywhere in a sentence.
_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:of\s+)?"
    r"(?:your|the\s+(?:previous|above|prior|earlier|preceding|original)|previous|prior|above|earlier|these|my|"
    r"preceding|other)\s+(?:\w+\s+)?(?:instructions?|rules|prompts?|guidelines|directions|directives|orders)\b"
    r"|\b(?:system prompt|developer message)\b"
    r"|\b(?:you are now|from now on,? you|you (?:will |must |should |shall )?act as an?|"
    r"pretend (?:to be|you are) an?)\b"
    r"[^.!?\n]{0,30}\b(?:ai|assistant|bot|model)\b",
    re.IGNORECASE,
)
_QUOTE_OPEN = "\"“‘'«"


def is_instruction(sentence: str) -> bool:
    """Whether one sentence gives an order to an AI system or to the reader."""
    s = " ".join(sentence.split())
    if _INJECTION.search(s):
        return True
    if not s or s[0] in _QUOTE_OPEN:
        return False  # someone's words, reported
    s = s.lstrip("([*•-– ")
    return bool(_ORDER.search(s) or _ADDRESS.search(s))


def instruction_spans(text: str) -> list[tuple[int, int]]:
    """Spans (from :func:`rag.core.text.split_sentences`) of the sentences that are instructions."""
    return [(a, b) for a, b in split_sentences(text) if is_instruction(text[a:b])]
