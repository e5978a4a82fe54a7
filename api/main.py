"""The ASGI entry point for uvicorn: the app for the data directory named by the environment (BROKER_DATA)."""

from __future__ import annotations

from api.app import create_app
from core.settings import Settings

app = create_app(Settings())
