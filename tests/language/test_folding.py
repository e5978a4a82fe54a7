"""One fold: the service and the web page fold names and words by the same rule."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from language.folding import fold
from language.registry import municipalities

STATE_JS = Path(__file__).resolve().parents[2] / "api" / "static" / "state.js"
WORDS = [
    "Hjørring", "hjoerring", "HJØRRING", "Høje-Taastrup", "Høje Tåstrup", "Lyngby-Taarbæk", "Aabenraa",
    "Åbenrå", "Ærø", "Ærøskøbing", "København", "Københavns Kommune", "Frederiksberg", "Gentofte",
    "Ringkøbing-Skjern", "Faaborg-Midtfyn", "Region Sjælland", "café", "Müller", "Straße", "Þór",
    "§ 52, stk. 3", "børne- og ungeudvalget", "  mellemrum  ", "", "øæå-ÆØÅ", "naïve", "İstanbul",
]  # fmt: skip


def test_the_fold_ignores_case_aeoeaa_accents_and_spacing() -> None:
    assert fold("Hjørring") == fold("hjoerring") == fold("HJORRING") == "hjorring"
    assert fold("Høje-Taastrup") == fold("høje tåstrup") == "hojetastrup"
    assert fold("café") == "cafe"
    assert fold("Hjørring Kommune", collapse=False, spaces=True) == "hjoerring kommune"


def test_the_web_page_folds_exactly_as_the_service() -> None:
    words = [*WORDS, *municipalities(), *municipalities().values()]
    script = (
        f"import {{ fold }} from {json.dumps(STATE_JS.as_uri())};"
        f"console.log(JSON.stringify({json.dumps(words)}.map(fold)));"
    )
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [fold(w) for w in words]
