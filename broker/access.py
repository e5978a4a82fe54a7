"""API keys and roles: keys are configured as SHA-256 digests only and compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from core.errors import BrokerError, Forbidden, Unauthorized
from core.settings import Settings

Role = Literal["reader", "internal", "admin"]
ROLES: tuple[Role, ...] = ("reader", "internal", "admin")
MAX_KEY_CHARS = 512  # longer is no key of ours; refused before it is hashed
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class KeyConfigError(BrokerError):
    """The key configuration (environment or keys file) cannot be used; the service does not start."""


def hash_key(key: str) -> str:
    """The SHA-256 hex digest of a key, as it is written in the configuration."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    """A fresh random key (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class KeyEntry:
    name: str
    role: Role
    digest: bytes  # raw 32 bytes of the SHA-256


@dataclass(frozen=True)
class Principal:
    """Who is calling: a named key with its role, or an anonymous reader."""

    name: str | None = None
    role: Role | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def sees_internal(self) -> bool:
        return self.role in ("internal", "admin")


ANONYMOUS = Principal()


def _entry(name: str, role: str, digest: str, where: str) -> KeyEntry:
    digest = digest.strip().lower()
    if role not in ROLES:
        raise KeyConfigError(f"{where}: ukendt rolle »{role}« (brug {', '.join(ROLES)}).")
    if not _DIGEST.match(digest):
        raise KeyConfigError(
            f"{where}: nøglen skal angives som SHA-256 i hex (64 tegn), aldrig i klartekst. "
            "Lav den med: broker keys hash"
        )
    return KeyEntry(name=name or role, role=cast(Role, role), digest=bytes.fromhex(digest))


def _file_entries(path: Path) -> list[KeyEntry]:
    """Keys from a file: TOML ([[keys]] tables), a JSON list, or JSON Lines ('#' starts a comment)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KeyConfigError(f"Nøglefilen {path} kan ikke læses: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise KeyConfigError(f"Nøglefilen {path} kan ikke læses: den er ikke en tekstfil (UTF-8).") from exc
    if "\x00" in text:
        raise KeyConfigError(f"Nøglefilen {path} kan ikke læses: den er ikke en tekstfil (UTF-8).")
    items: list[Any]
    try:
        if path.suffix.lower() == ".toml":
            items = list(tomllib.loads(text).get("keys", []))
        elif text.lstrip().startswith("["):
            items = list(json.loads(text))
        else:
            items = [
                json.loads(line)
                for line in text.splitlines()
                if line.strip() and not line.lstrip().startswith("#")
            ]
    except (ValueError, TypeError) as exc:
        raise KeyConfigError(f"Nøglefilen {path} kan ikke læses: {exc}") from exc
    entries = []
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise KeyConfigError(f"Nøglefilen {path}, nøgle {number}: forventede {{name, role, sha256}}.")
        where = f"Nøglefilen {path}, nøgle {number}"
        entries.append(
            _entry(str(item.get("name", "")), str(item.get("role", "")), str(item.get("sha256", "")), where)
        )
    if not entries:
        # A keys file is configured to close something: without keys it would silently leave reads open.
        raise KeyConfigError(
            f"Nøglefilen {path} indeholder ingen nøgler. Tilføj en med: broker keys new, "
            "eller fjern BROKER_KEYS_FILE, hvis læsning skal være åben for alle."
        )
    return entries


class KeyRing:
    """The configured keys. Reads are open unless a reader or internal key is configured."""

    def __init__(self, entries: list[KeyEntry]) -> None:
        self.entries = entries
        self.reads_need_key = any(e.role in ("reader", "internal") for e in entries)
        self.has_admin = any(e.role == "admin" for e in entries)

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyRing:
        entries: list[KeyEntry] = []
        for role, value in (
            ("admin", settings.admin_key_sha256),
            ("reader", settings.reader_key_sha256),
            ("internal", settings.internal_key_sha256),
        ):
            if value is None:
                continue
            where = f"BROKER_{role.upper()}_KEY_SHA256"
            digests = [d for d in value.split(",") if d.strip()]
            if not digests:  # set but empty: a mistake, never a wish for open access
                raise KeyConfigError(
                    f"{where} er sat, men tom. Angiv mindst én nøgle som SHA-256 (broker keys hash), "
                    "eller fjern variablen, hvis den ikke skal bruges."
                )
            for number, digest in enumerate(digests, 1):
                entries.append(_entry(f"{role}-{number}", role, digest, where))
        if settings.keys_file is not None:
            entries += _file_entries(Path(settings.keys_file))
        return cls(entries)

    def identify(self, key: str) -> KeyEntry | None:
        """The entry the key belongs to. Every entry is compared, in constant time, whatever matches."""
        if not key or len(key) > MAX_KEY_CHARS:
            return None
        digest = hashlib.sha256(key.encode("utf-8", errors="replace")).digest()
        found = None
        for entry in self.entries:
            if hmac.compare_digest(digest, entry.digest) and found is None:
                found = entry
        return found

    def authorize(self, key: str | None, *, admin: bool = False) -> Principal:
        """The caller behind `key`, or Unauthorized (no or wrong key) / Forbidden (a key without the right)."""
        if admin and not self.has_admin:
            raise Forbidden("Ændringer via API'et er slået fra: der er ingen administratornøgle sat op.")
        if key:
            entry = self.identify(key)
            if entry is None:
                raise Unauthorized("API-nøglen er ikke gyldig.")
            principal = Principal(entry.name, entry.role)
        else:
            principal = ANONYMOUS
        if admin:
            if principal is ANONYMOUS:
                raise Unauthorized("Kræver en administratornøgle (Authorization: Bearer … eller X-API-Key).")
            if not principal.is_admin:
                raise Forbidden("Nøglen må kun læse; ændringer kræver en administratornøgle.")
        elif principal is ANONYMOUS and self.reads_need_key:
            raise Unauthorized("Kræver en API-nøgle (Authorization: Bearer … eller X-API-Key).")
        return principal
