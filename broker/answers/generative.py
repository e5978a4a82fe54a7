"""Optional generative answers through an OpenAI-compatible chat endpoint, checked against the passages."""

from __future__ import annotations

import re

import httpx

from broker.answers.citations import citation
from core.settings import Settings
from core.types import Answer, Citation, Hit

_MARKER = re.compile(r"\[(\d+)\]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅ0-9])")

SYSTEM_PROMPT = (
    "Du er en vidensmægler i en dansk kommune. Svar kort på dansk og KUN ud fra de nummererede tekststykker. "
    "Sæt efter hver sætning en henvisning i firkantede parenteser til det tekststykke, den bygger på, fx [2]. "
    "Står svaret ikke i tekststykkerne, så skriv: Det fremgår ikke af dokumenterne."
)


def prompt(question: str, hits: list[Hit]) -> str:
    blocks = [
        f"[{n}] {hit.municipality} Kommune · {hit.title} ({hit.year or 'u.å.'}) · s. {hit.page}\n{hit.text}"
        for n, hit in enumerate(hits, 1)
    ]
    return "Tekststykker:\n\n" + "\n\n".join(blocks) + f"\n\nSpørgsmål: {question}"


def checked_sentences(text: str, passages: int) -> list[tuple[str, list[int]]]:
    """Answer sentences with their citation numbers; a sentence without a valid citation is dropped."""
    kept = []
    for sentence in _SENTENCE_END.split(text.strip()):
        numbers = [int(n) for n in _MARKER.findall(sentence)]
        if numbers and all(1 <= n <= passages for n in numbers):
            kept.append((sentence.strip(), numbers))
    return kept


def generate_answer(answer: Answer, question: str, hits: list[Hit], settings: Settings) -> None:
    """Replace the extractive answer with a generated one when the endpoint answers with valid citations.

    On any failure the extractive answer stays and `answer.reason` says why.
    """
    url = (settings.llm_url or "").rstrip("/") + "/chat/completions"
    headers = {"Authorization": f"Bearer {settings.llm_key}"} if settings.llm_key else {}
    body = {
        "model": settings.llm_model or "default",
        "temperature": 0,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": prompt(question, hits)},
        ],
    }
    try:
        response = httpx.post(url, json=body, headers=headers, timeout=settings.llm_timeout_s)
        response.raise_for_status()
        text = str(response.json()["choices"][0]["message"]["content"])
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError):
        answer.reason = "Sprogmodellen svarede ikke; svaret er udtrukket af teksterne."
        return
    kept = checked_sentences(text, len(hits))
    if not kept:
        answer.reason = (
            "Sprogmodellens svar havde ingen gyldige kildehenvisninger; svaret er udtrukket af teksterne."
        )
        return
    renumber: dict[int, int] = {}
    citations: list[Citation] = []
    sentences: list[str] = []
    for sentence, numbers in kept:
        for n in numbers:
            if n not in renumber:
                hit = hits[n - 1]
                renumber[n] = len(renumber) + 1
                citations.append(citation(renumber[n], hit, hit.text[:400]))
        sentences.append(_MARKER.sub(lambda m: f"[{renumber[int(m.group(1))]}]", sentence))
    answer.answer = " ".join(sentences)
    answer.citations = citations
    answer.mode = "generative"
