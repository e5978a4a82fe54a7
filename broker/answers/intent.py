"""What kind of answer a question asks for (practice, a number, a deadline), and how well a sentence fits it."""

from __future__ import annotations

import re

from broker.answers.sentences import Unit

PRACTICE, NUMBER, DEADLINE, WHICH, OTHER = "practice", "number", "deadline", "which", "other"

_KINDS = [
    (DEADLINE, re.compile(r"\b(frist\w*|hvornår|hvor hurtigt|senest|inden for hvor)\b")),
    (NUMBER, re.compile(r"\b(hvor (mange|meget|lang|længe|ofte|stor|store|høj|højt)|hvad koster|pris\w*|andel\w*)\b")),
    (WHICH, re.compile(r"\bhvilke (kommuner|steder)\b")),
    (PRACTICE, re.compile(r"\b(hvordan|hvad gør|hvem|på hvilken måde|hvor foregår|hvad består)\b")),
]  # fmt: skip

# Sentences that describe practice: who does what, how often, for how long, where, with which method.
_PRACTICE = re.compile(
    r"\b(om (ugen|måneden|dagen|året)|hver (\d+\.|anden|tredje|sjette|dag|uge|måned)|gange|timer|"
    r"måneder|uger|udføres|kommer|mødes|foregår|arbejder|deltager|tilbyder|tilbydes|holder|holdes|"
    r"i hjemmet|samtaler|består af|bruger|metode\w*|besøg\w*|træffetid\w*|følger op|ansat|varer)\b"
)
# Sentences that state a purpose, a target group or what a document is: rarely what "hvordan" asks.
_PURPOSE = re.compile(
    r"\b(formål\w*|skal styrke|skal bidrage|målgruppe\w*|er ikke målrettet|beskriver|dette dokument|"
    r"kvalitetsstandarden|politikken|strategien skal|vision\w*)\b"
)
_NUMBER = re.compile(r"\d|\b(en|et|én|to|tre|fire|fem|seks|syv|otte|ni|ti|tolv|halvt?|hver)\b")
_DEADLINE = re.compile(
    r"\b(senest|inden for|inden|frist\w*|timer|hverdage|dage|uger|måneder|dagen|straks|kl\.|"
    r"mandag|tirsdag|onsdag|torsdag|fredag|lørdag|søndag)"
)

FIT = 0.15  # the weight of a fitting kind: half a word of a three-term question (chosen on corpus/answers.jsonl)


def question_kind(question: str) -> str:
    """The kind of answer the question asks for, from its wording."""
    text = question.lower()
    for kind, pattern in _KINDS:
        if pattern.search(text):
            return kind
    return OTHER


def kind_fit(kind: str, unit: Unit) -> float:
    """A small bonus for a unit of the kind the question asks for, a small penalty for one that is not."""
    text = unit.text.lower()
    if kind == PRACTICE:
        return FIT * min(len(_PRACTICE.findall(text)), 3) / 3 * 2 - (FIT if _PURPOSE.search(text) else 0.0)
    if kind == NUMBER:
        return FIT if re.search(r"\d", text) else (FIT / 2 if _NUMBER.search(text) else -FIT)
    if kind == DEADLINE:
        has_time = bool(_DEADLINE.search(text))
        return FIT if has_time and _NUMBER.search(text) else (FIT / 2 if has_time else -FIT)
    return 0.0
