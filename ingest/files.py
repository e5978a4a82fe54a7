"""Finding input files: folders walked recursively and sorted, hidden files skipped, .brokerignore honoured."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

log = logging.getLogger(__name__)

IGNORE_FILE = ".brokerignore"
_SYSTEM_FILES = frozenset({"Thumbs.db", "desktop.ini"})


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """gitignore-style glob: "*" and "?" stay inside one folder, "**" crosses folders."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                out.append("[^" + body[1:] + "]" if body.startswith("!") else "[" + body + "]")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


class _IgnoreRules:
    """The patterns of one .brokerignore file, matched against paths relative to its folder."""

    def __init__(self, folder: Path, lines: list[str]) -> None:
        self.folder = folder
        self.rules: list[tuple[re.Pattern[str], bool, bool, bool]] = []  # regex, negated, anchored, dir_only
        for raw in lines:
            line = raw.rstrip("\n").rstrip()
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            line = line[1:] if negated else line
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            anchored = "/" in line
            self.rules.append((_glob_regex(line.lstrip("/")), negated, anchored, dir_only))

    def ignored(self, path: Path, is_dir: bool) -> bool | None:
        """True/False when a rule decides for this path (the last matching rule wins), else None."""
        rel = path.relative_to(self.folder).as_posix()
        verdict: bool | None = None
        for regex, negated, anchored, dir_only in self.rules:
            if dir_only and not is_dir:
                continue
            target = rel if anchored else rel.rsplit("/", 1)[-1]
            if regex.match(target):
                verdict = not negated
        return verdict


def _load_rules(folder: Path) -> _IgnoreRules | None:
    file = folder / IGNORE_FILE
    if not file.is_file():
        return None
    try:
        return _IgnoreRules(folder, file.read_text(encoding="utf-8", errors="replace").splitlines())
    except OSError:
        return None


def _is_ignored(path: Path, is_dir: bool, rules: list[_IgnoreRules]) -> bool:
    verdict = False
    for rule in rules:  # outer folders first; a deeper .brokerignore overrides
        decided = rule.ignored(path, is_dir)
        if decided is not None:
            verdict = decided
    return verdict


def _walk(folder: Path, rules: list[_IgnoreRules]) -> Iterator[Path]:
    own = _load_rules(folder)
    active = [*rules, own] if own else rules
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        log.warning("mappen %s kan ikke læses: %s", folder, exc)
        return
    for entry in entries:
        if entry.name.startswith(".") or entry.name.startswith("~$") or entry.name in _SYSTEM_FILES:
            continue  # hidden files, Office lock files ("~$rapport.docx"), Windows folder files
        is_dir = entry.is_dir() and not entry.is_symlink()
        if _is_ignored(entry, is_dir, active):
            continue
        if is_dir:
            yield from _walk(entry, active)
        elif entry.is_file():
            yield entry


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files under the given files and folders, recursively and sorted; hidden files and folders are
    skipped, and a folder's .brokerignore (gitignore-like patterns) applies to it and everything below."""
    seen: set[Path] = set()
    for path in paths:
        path = Path(path)
        if not path.exists():
            log.warning("stien findes ikke: %s", path)
        found = [path] if path.is_file() else _walk(path, []) if path.is_dir() else []
        for file in found:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                yield file
