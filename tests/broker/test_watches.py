"""Saved searches: after a re-index, each lists exactly the new and changed documents it matches, as its owner
may see them, with the real engine and model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from broker.reindex import add_source, reindex
from broker.watches import add_watch, list_watches, remove_watch, run_watches, watch_news
from core.errors import InvalidQuery, NotFound
from core.settings import Settings
from core.types import SearchFilters
from index.embed import Embedder

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]

NEW_MATCH = (
    "Kvalitetsstandard for familiebehandling\n\nSilkeborg Kommune, 2024.\n\n"
    "Familiebehandling i hjemmet gives efter Barnets Lov § 32. En familiebehandler kommer i hjemmet og "
    "arbejder med forældrenes omsorg for børnene, rutiner og konflikter i familien.\n"
)
CHANGED = (
    "Kvalitetsstandard for familiebehandling\n\nHjørring Kommune, revideret 2024.\n\n"
    "Familiebehandling i hjemmet efter Barnets Lov § 32 skal styrke forældrenes omsorg for børnene. "
    "Familiebehandleren kommer i hjemmet to gange om ugen, og forløbet følges op hver anden måned.\n"
)
OFF_TOPIC = (
    "Notat om cykelstier\n\nRanders Kommune, 2024.\n\n"
    "Kommunen anlægger nye cykelstier langs de store indfaldsveje og fornyer belysningen ved "
    "busstoppestederne. Arbejdet udføres i sommerferien.\n"
)
INTERNAL_MATCH = (
    "Internt notat om familiebehandling\n\nGladsaxe Kommune, 2024.\n\n"
    "Familiebehandling i hjemmet: ventelisten til familiebehandlerne er nu fire måneder, og to familier "
    "har klaget over forløbet.\n"
)
QUERY = "familiebehandling i hjemmet"


def test_a_watch_lists_exactly_the_new_and_changed_matching_documents_after_a_reindex(
    private_index: tuple[Settings, Path], e5: Embedder, tmp_path: Path
) -> None:
    settings, corpus = private_index
    add_source(settings, corpus, name="korpus")
    internal = tmp_path / "intern"
    internal.mkdir()
    add_source(settings, internal, name="intern", internal=True)
    add_watch(settings, "læser", QUERY, SearchFilters(), owner="anne", role="reader")
    add_watch(settings, "intern", QUERY, SearchFilters(), owner="bo", role="internal")
    add_watch(settings, "kun-aarhus", QUERY, SearchFilters(kommuner=["Aarhus"]), owner="anne", role="reader")
    assert reindex(settings, e5).watches == [
        {"name": "kun-aarhus", "owner": "anne", "new": 0, "changed": 0},
        {"name": "læser", "owner": "anne", "new": 0, "changed": 0},
        {"name": "intern", "owner": "bo", "new": 0, "changed": 0},
    ]  # what was there before the watches were saved is not news

    (corpus / "silkeborg_kvalitetsstandard_familiebehandling_2024.txt").write_text(NEW_MATCH, "utf-8")
    (corpus / "hjoerring_kvalitetsstandard_familiebehandling_2019.txt").write_text(CHANGED, "utf-8")
    (corpus / "randers_notat_cykelstier_2024.txt").write_text(OFF_TOPIC, "utf-8")
    (internal / "gladsaxe_notat_familiebehandling_2024.txt").write_text(INTERNAL_MATCH, "utf-8")
    report = reindex(settings, e5)
    assert len(report.added) == 3 and len(report.updated) == 1

    counts = {(w["owner"], w["name"]): (w["new"], w["changed"]) for w in report.watches}
    assert counts == {("anne", "læser"): (1, 1), ("bo", "intern"): (2, 1), ("anne", "kun-aarhus"): (0, 0)}
    reader_news = watch_news(settings, "læser", "anne", since=None, include_internal=True)["news"]
    assert sorted((n["municipality"], n["kind"]) for n in reader_news) == [
        ("Hjørring", "ændret"),
        ("Silkeborg", "ny"),
    ]
    internal_news = watch_news(settings, "intern", "bo", since=None, include_internal=True)["news"]
    assert sorted((n["municipality"], n["kind"], n["internal"]) for n in internal_news) == [
        ("Gladsaxe", "ny", True),
        ("Hjørring", "ændret", False),
        ("Silkeborg", "ny", False),
    ]

    # Nothing indexed since: running again finds nothing new and keeps the last run's findings.
    assert {(w["new"], w["changed"]) for w in run_watches(settings, e5)} == {(0, 0)}
    assert len(watch_news(settings, "læser", "anne", since=None, include_internal=True)["news"]) == 2
    assert [w["new"] for w in list_watches(settings, "anne")] == [0, 2]


def test_watch_names_queries_and_removal_give_clear_danish_errors(
    private_index: tuple[Settings, Path],
) -> None:
    settings, _ = private_index
    add_watch(settings, "børnesamtale", "børnesamtalen", SearchFilters())
    with pytest.raises(InvalidQuery, match="findes allerede"):
        add_watch(settings, "børnesamtale", "noget andet", SearchFilters())
    add_watch(
        settings, "børnesamtale", "samme navn, anden ejer", SearchFilters(), owner="anne", role="reader"
    )
    with pytest.raises(InvalidQuery, match="Ugyldigt navn"):
        add_watch(settings, "../etc", "x", SearchFilters())
    with pytest.raises(InvalidQuery, match="tom"):
        add_watch(settings, "tom", "   ", SearchFilters())
    with pytest.raises(InvalidQuery, match="søgetilstand"):
        add_watch(settings, "tilstand", "x", SearchFilters(), mode="magisk")
    remove_watch(settings, "børnesamtale")
    with pytest.raises(NotFound, match="Ingen overvågning"):
        remove_watch(settings, "børnesamtale")
    assert [(w["owner"], w["name"]) for w in list_watches(settings)] == [("anne", "børnesamtale")]


def test_the_watch_commands_add_list_run_and_remove(
    private_index: tuple[Settings, Path], tmp_path: Path
) -> None:
    settings = private_index[0]

    def broker(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "broker.cli", *args, "--data", str(settings.data_dir)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=300,
        )

    assert broker("watch", "add", "aflastning", "aflastning weekend", "--kommune", "aarhus").returncode == 0
    listed = json.loads(broker("watch", "list", "--json").stdout)
    assert [(w["name"], w["owner"], w["filters"]) for w in listed] == [
        ("aflastning", "cli", {"kommuner": ["Aarhus"]})
    ]
    ran = broker("watch", "run", "--json")
    assert ran.returncode == 0, ran.stderr
    assert [(w["name"], w["news"]) for w in json.loads(ran.stdout)] == [("aflastning", [])]
    bad = broker("watch", "run", "--since", "sidste uge")
    assert bad.returncode == 2 and "Ugyldig dato" in bad.stderr and "Traceback" not in bad.stderr
    assert broker("watch", "remove", "aflastning").returncode == 0
    gone = broker("watch", "remove", "aflastning")
    assert gone.returncode != 0 and "Ingen overvågning" in gone.stderr


def test_delivery_that_fails_never_fails_the_reindex(
    private_index: tuple[Settings, Path], e5: Embedder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.api.conftest import free_port

    blocker = tmp_path / "ikke-en-mappe"
    blocker.write_text("x", "utf-8")
    base, corpus = private_index
    settings = base.model_copy(
        update={
            "watch_feed": blocker / "feed.jsonl",  # its folder is a file: the feed cannot be written
            "smtp_host": "127.0.0.1",
            "smtp_port": free_port(),  # nobody listens there
            "smtp_from": "a@kommune.example",
            "smtp_to": "b@kommune.example",
            "smtp_timeout_s": 2.0,
        }
    )
    add_source(settings, corpus, name="korpus")
    add_watch(settings, "familiebehandling", QUERY, SearchFilters())
    (corpus / "silkeborg_kvalitetsstandard_familiebehandling_2024.txt").write_text(NEW_MATCH, "utf-8")
    with caplog.at_level("WARNING", logger="vidensmaegler.watches"):
        report = reindex(settings, e5)
    assert report.watches == [{"name": "familiebehandling", "owner": "cli", "new": 1, "changed": 0}]
    problems = [r.getMessage() for r in caplog.records]
    assert any("feed" in p and "kunne ikke skrives" in p for p in problems), problems
    assert any("e-mail kunne ikke sendes" in p for p in problems), problems
