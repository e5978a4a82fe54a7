"""Fixtures: the fake municipal site and a second host on loopback, and settings for a fast, polite harvest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from tests.web_sources.site import Server, Site, add_sitemap, municipal_site


@pytest.fixture
def other() -> Iterator[Site]:
    """Another host (another port on loopback): the crawl must never contact it."""
    with Server(Site()) as site:
        yield site


@pytest.fixture
def site(other: Site) -> Iterator[Site]:
    with Server(municipal_site(other.url)) as served:
        add_sitemap(served)
        yield served


@pytest.fixture
def web_settings(tmp_path: Path) -> Settings:
    """No delay between requests (the default is 1 s), a short timeout and a small size cap."""
    return Settings(data_dir=tmp_path / "data", web_delay_s=0.0, web_timeout_s=0.5, web_max_mb=0.2)
