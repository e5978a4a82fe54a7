"""The municipality registry: the 98 municipalities, their regions, other spellings and names that are also words."""

from __future__ import annotations

import csv
import functools
from importlib import resources

from language.folding import fold

# Other spellings and official forms of a name (the CSV holds the short name).
VARIANTS: dict[str, tuple[str, ...]] = {
    "Aarhus": ("Århus",),
    "Aalborg": ("Ålborg",),
    "Aabenraa": ("Åbenrå",),
    "København": ("Københavns",),
    "Bornholm": ("Bornholms",),
    "Vesthimmerland": ("Vesthimmerlands",),
    "Guldborgsund": ("Guldborgssund",),
    "Høje-Taastrup": ("Høje Taastrup", "Høje-Tåstrup"),
    "Lyngby-Taarbæk": ("Lyngby Taarbæk",),
    "Ringkøbing-Skjern": ("Ringkøbing Skjern",),
    "Ikast-Brande": ("Ikast Brande",),
    "Faaborg-Midtfyn": ("Faaborg Midtfyn",),
    "Tårnby": ("Taarnby",),
}
# Names that are also ordinary Danish words ("Vejen frem ...", "Greve af ...", "en odder", "faxe"): in a
# document a bare mention counts only after a place preposition ("i Vejen"), in a question only when it is
# written with a capital letter or followed by "kommune".
AMBIGUOUS = frozenset({"Vejen", "Greve", "Odder", "Skive", "Varde", "Lejre", "Stevns", "Struer", "Faxe"})


@functools.lru_cache(maxsize=1)
def _rows() -> tuple[dict[str, str], ...]:
    """The rows of language/data/kommuner.csv (kommune, region, officielt_navn), read once."""
    text = resources.files("language").joinpath("data/kommuner.csv").read_text(encoding="utf-8")
    return tuple({k: v.strip() for k, v in row.items()} for row in csv.DictReader(text.splitlines()))


@functools.lru_cache(maxsize=1)
def municipalities() -> dict[str, str]:
    """{municipality: "Region X"} for the 98 municipalities in language/data/kommuner.csv."""
    return {row["kommune"]: "Region " + row["region"] for row in _rows()}


@functools.lru_cache(maxsize=1)
def regions() -> tuple[str, ...]:
    """The five regions ("Region Hovedstaden", …), in the order the registry lists them."""
    return tuple(dict.fromkeys(municipalities().values()))


@functools.lru_cache(maxsize=1)
def official_names() -> dict[str, str]:
    """The official names: "København" -> "Københavns Kommune", "Bornholm" -> "Bornholms Regionskommune"."""
    return {row["kommune"]: row["officielt_navn"] for row in _rows()}


def official_name(municipality: str) -> str:
    """The municipality's name as Danish writes it; an unknown name gets " Kommune" added."""
    return official_names().get(municipality, f"{municipality} Kommune")


def genitive(name: str) -> str:
    """Danish genitive of a name: "Herning" -> "Hernings", "Aarhus" -> "Aarhus'"."""
    return name + ("'" if name[-1:].lower() in "sxz" else "s")


def name_key(text: str) -> str:
    """The key names are compared by: case, æøå, accents, spaces and dashes do not matter."""
    return fold(text)


def is_ambiguous(name: str) -> bool:
    """Whether a municipality's name is also an ordinary Danish word."""
    return name_key(name) in _AMBIGUOUS_KEYS


_AMBIGUOUS_KEYS = frozenset(name_key(n) for n in AMBIGUOUS)


@functools.lru_cache(maxsize=1)
def web_domains() -> dict[str, str]:
    """{web domain: municipality} from language/data/kommune_domaener.csv (its source is noted there)."""
    text = resources.files("language").joinpath("data/kommune_domaener.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {row["domæne"].strip().lower(): row["kommune"].strip() for row in rows}


def municipality_for_host(host: str) -> str | None:
    """The municipality whose web domain the host is or lies under ("www.aarhus.dk" -> "Aarhus")."""
    name = host.lower().rsplit(":", 1)[0].rstrip(".")
    domains = web_domains()
    while name:
        if name in domains:
            return domains[name]
        name = name.partition(".")[2]
    return None
