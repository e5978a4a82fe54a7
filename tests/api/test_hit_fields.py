"""One hit serialiser: a search hit, a compared passage and a similar document carry the same fields."""

from __future__ import annotations

import httpx


def test_compared_passages_and_similar_documents_are_shaped_like_search_hits(client: httpx.Client) -> None:
    hits = client.get("/api/search", params={"q": "socialrådgiver på skolen", "k": 3}).json()["results"]
    assert hits
    fields = set(hits[0])
    assert {"doc_id", "chunk_id", "snippet", "source", "viewer_url", "paged"} <= fields
    compared = client.get(
        "/api/compare",
        params=[("q", "socialrådgiver på skolen"), ("kommune", "Herning"), ("kommune", "Hjørring")],
    ).json()
    passages = [r for column in compared["columns"] for r in column["results"]]
    assert passages and all(set(r) == fields | {"url"} for r in passages)
    herning = client.get("/api/documents", params={"kommune": "Herning"}).json()["documents"][0]
    similar = client.get(f"/api/documents/{herning['doc_id']}/similar", params={"k": 3}).json()["results"]
    assert similar and all(set(r) == fields | {"url"} for r in similar)
    # The server's folders never reach a reader: sources are shown by source name and path inside it.
    assert all(not r["source"].startswith("/") and "absolute_path" not in r for r in [*passages, *similar])
