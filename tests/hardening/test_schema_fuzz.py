"""Schemathesis over the OpenAPI schema, against a live uvicorn: valid and invalid requests, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from api.app import create_app
from core.settings import Settings
from index.embed import Embedder
from tests.api.conftest import LiveServer, serve
from tests.conftest import copy_index
from tests.hardening.conftest import ADMIN, with_keys

pytestmark = pytest.mark.slow

# The schema is the app's own (building the app reads no index); requests go to a live server.
schema = schemathesis.openapi.from_dict(create_app(Settings(data_dir=Path("data"))).openapi())
schema.config.generation.update(modes=list(GenerationMode))
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)


@pytest.fixture(scope="module")
def admin_live(
    small_index: tuple[Settings, Path], e5: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A server over a private copy of the small index, for the operations that change something."""
    data = tmp_path_factory.mktemp("fuzz") / "data"
    copy_index(small_index[0].data_dir, data)
    with serve(with_keys(Settings(data_dir=data), upload_max_mb=0.5, upload_parse_timeout_s=5), e5) as server:
        yield server


@schema.parametrize()
@FUZZ
def test_no_operation_fails_with_a_server_error(case: Any, live: LiveServer) -> None:
    """Every operation as an anonymous caller: reads answer, changes are refused."""
    case.call_and_validate(base_url=live.url, checks=[not_a_server_error], timeout=60)


@schema.include(tag="administration").parametrize()
@settings(FUZZ, max_examples=12)
def test_no_admin_operation_fails_with_a_server_error(case: Any, admin_live: LiveServer) -> None:
    case.call_and_validate(base_url=admin_live.url, headers=ADMIN, checks=[not_a_server_error], timeout=60)
