"""Optional delivery of what the watches found: a JSON Lines feed file and an e-mail digest over SMTP."""

from __future__ import annotations

import json
import smtplib
import time
from email.message import EmailMessage
from typing import Any

from core.settings import Settings


def found_now(settings: Settings, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each watch that found something in this run, with the documents (as its owner may see them)."""
    from broker.watches import ROLES_SEEING_INTERNAL, open_watches

    watches = open_watches(settings)
    found = []
    try:
        with watches.store.snapshot():
            for result in results:
                if not (result["new"] or result["changed"]):
                    continue
                watch = watches.get(result["owner"], result["name"])
                if watch is None:
                    continue
                news = watches.news(watch, since=None, include_internal=watch.role in ROLES_SEEING_INTERNAL)
                found.append({**watch.as_dict(), "news": news})
    finally:
        watches.store.close()
    return found


def deliver(settings: Settings, results: list[dict[str, Any]]) -> list[str]:
    """Write the feed and send the digest where configured. Returns problems (Danish), never raises."""
    if settings.watch_feed is None and settings.smtp_host is None:
        return []
    found = found_now(settings, results)
    if not found:
        return []
    problems = []
    if settings.watch_feed is not None:
        try:
            write_feed(settings, found)
        except OSError as exc:
            problems.append(f"Overvågningernes feed {settings.watch_feed} kunne ikke skrives: {exc}")
    if settings.smtp_host is not None:
        try:
            send_digest(settings, found)
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            problems.append(f"Overvågningernes e-mail kunne ikke sendes via {settings.smtp_host}: {exc}")
    return problems


def write_feed(settings: Settings, found: list[dict[str, Any]]) -> None:
    """One line per document found: the watch, its owner, the document and whether it is new or changed."""
    assert settings.watch_feed is not None
    settings.watch_feed.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps(
            {"watch": w["name"], "owner": w["owner"], "query": w["query"], **item},
            ensure_ascii=False,
        )
        for w in found
        for item in w["news"]
    ]
    with settings.watch_feed.open("a", encoding="utf-8") as feed:
        feed.write("".join(line + "\n" for line in lines))


def digest_text(found: list[dict[str, Any]]) -> str:
    """The digest's body: per watch, its new and changed public documents."""
    parts = []
    for w in found:
        items = [n for n in w["news"] if not n.get("internal")]
        if not items:
            continue
        parts.append(f"Overvågning »{w['name']}« ({w['query']}): {len(items)} nye eller ændrede dokumenter")
        for n in items:
            year = f" ({n['year']})" if n.get("year") else ""
            parts.append(f"  - [{n['kind']}] {n['municipality']}: {n['title']}{year}  /vis/{n['doc_id']}")
        parts.append("")
    return "\n".join(parts)


def send_digest(settings: Settings, found: list[dict[str, Any]]) -> None:
    """Send one e-mail for the run. Documents marked internal never go into an e-mail."""
    if not settings.smtp_to or not settings.smtp_from:
        raise ValueError("BROKER_SMTP_FROM og BROKER_SMTP_TO skal sættes sammen med BROKER_SMTP_HOST")
    body = digest_text(found)
    if not body.strip():
        return
    message = EmailMessage()
    message["Subject"] = f"Vidensmægler: nyt i dine overvågninger ({time.strftime('%d.%m.%Y')})"
    message["From"] = settings.smtp_from
    message["To"] = settings.smtp_to
    message.set_content(body)
    assert settings.smtp_host is not None
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s) as smtp:
        smtp.send_message(message)
