"""Every setting says what it does, in Danish, and the documentation names every one."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from core.settings import Settings, described

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_has_a_description() -> None:
    missing = [name for name, info in Settings.model_fields.items() if not (info.description or "").strip()]
    assert missing == []


def test_docs_settings_md_is_the_current_list() -> None:
    """docs/settings.md holds `broker settings --markdown` as it is now (re-run it after adding a setting)."""
    table = subprocess.run(
        [sys.executable, "-m", "broker.cli", "settings", "--markdown"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    documented = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert table.strip() in documented
    named = set(re.findall(r"`(BROKER_[A-Z0-9_]+)`", documented))
    assert {env for _, env, _, _ in described()} <= named


def test_the_readme_points_to_the_settings() -> None:
    assert "docs/settings.md" in (ROOT / "README.md").read_text(encoding="utf-8")
