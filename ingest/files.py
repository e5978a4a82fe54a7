"""Finding input files: folders walked recursively and sorted, hidden files skipped, .brokerignore honoured,
and nothing read from outside a source's root (links are not followed unless a source opts in)."""

from __future__ import annotations

import errno
import logging
import os
import re
import stat
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path

from core.types import FileFailure

log = logging.getLogger(__name__)

IGNORE_FILE = ".brokerignore"
_SYSTEM_FILES = frozenset({"Thumbs.db", "desktop.ini"})
NOT_FOLLOWED = "Symbolsk lænke følges ikke (kilden er ikke tilføjet med --follow-links)"
OUTSIDE = "Symbolsk lænke peger uden for kilden og følges ikke"


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


def _pattern_problem(exc: re.error) -> str:
    """A Danish reason for a pattern the glob translation could not compile."""
    message = str(exc)
    if "bad character range" in message:
        return "tegnintervallet går baglæns (fx [z-a])"
    if "unterminated character set" in message or "unbalanced" in message:
        return "en tom eller ufærdig tegngruppe [ ]"
    return "mønsteret kan ikke forstås"


class _IgnoreRules:
    """The patterns of one .brokerignore file, matched against paths relative to its folder.

    A line that is not a valid pattern is reported in `problems` and left out; the other lines still apply."""

    def __init__(self, folder: Path, lines: list[str], problems: list[FileFailure] | None = None) -> None:
        self.folder = folder
        self.rules: list[tuple[re.Pattern[str], bool, bool, bool]] = []  # regex, negated, anchored, dir_only
        for number, raw in enumerate(lines, 1):
            line = raw.rstrip("\n").rstrip()
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            line = line[1:] if negated else line
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            anchored = "/" in line
            try:
                regex = _glob_regex(line.lstrip("/"))
            except re.error as exc:
                _skip(
                    problems,
                    folder / IGNORE_FILE,
                    f"Linje {number}: ugyldigt mønster »{raw.strip()[:80]}« ({_pattern_problem(exc)}); "
                    "linjen ignoreres",
                    "ignore_pattern",
                )
                continue
            self.rules.append((regex, negated, anchored, dir_only))

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


def _skip(skipped: list[FileFailure] | None, path: Path, reason: str, code: str) -> None:
    if skipped is None:
        log.warning("%s: %s", path, reason)
    else:
        skipped.append(FileFailure(str(path), reason, code))


def _load_rules(folder: Path, skipped: list[FileFailure] | None) -> _IgnoreRules | None:
    file = folder / IGNORE_FILE
    try:
        if not stat.S_ISREG(file.lstat().st_mode):  # an ignore file that is a link is not read either
            return None
        return _IgnoreRules(folder, file.read_text(encoding="utf-8", errors="replace").splitlines(), skipped)
    except OSError:
        return None


def _is_ignored(path: Path, is_dir: bool, rules: list[_IgnoreRules]) -> bool:
    verdict = False
    for rule in rules:  # outer folders first; a deeper .brokerignore overrides
        decided = rule.ignored(path, is_dir)
        if decided is not None:
            verdict = decided
    return verdict


def _special(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "en navngivet pipe (fifo)"
    if stat.S_ISSOCK(mode):
        return "en socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "en enhedsfil"
    return "ikke en almindelig fil"


class _Walk:
    """One source's walk: its real root, whether links inside it are followed, and what was skipped."""

    def __init__(self, root: Path, follow: bool, skipped: list[FileFailure] | None) -> None:
        self.root = root
        self.follow = follow
        self.skipped = skipped
        self.visited: set[str] = set()

    def _inside(self, real: str) -> bool:
        return Path(real).is_relative_to(self.root)

    def walk(self, folder: Path, rules: list[_IgnoreRules]) -> Iterator[Path]:
        real_folder = os.path.realpath(folder)
        if real_folder in self.visited:  # a followed link back up the tree
            return
        self.visited.add(real_folder)
        own = _load_rules(folder, self.skipped)
        active = [*rules, own] if own else rules
        try:
            entries = sorted(folder.iterdir(), key=lambda p: p.name)
        except OSError as exc:
            log.warning("mappen %s kan ikke læses: %s", folder, exc)
            return
        for entry in entries:
            if entry.name.startswith(".") or entry.name.startswith("~$") or entry.name in _SYSTEM_FILES:
                continue  # hidden files, Office lock files ("~$rapport.docx"), Windows folder files
            try:
                mode = entry.lstat().st_mode
            except OSError:
                continue
            target = entry
            if stat.S_ISLNK(mode):
                if _is_ignored(entry, False, active):
                    continue
                if not self.follow:
                    _skip(self.skipped, entry, NOT_FOLLOWED, "symlink")
                    continue
                real = os.path.realpath(entry)
                if not self._inside(real):
                    _skip(self.skipped, entry, OUTSIDE, "outside_source")
                    continue
                try:
                    mode = os.stat(real).st_mode
                except OSError:
                    continue  # a dangling link
                target = Path(real)
            is_dir = stat.S_ISDIR(mode)
            if _is_ignored(entry, is_dir, active):
                continue
            if is_dir:
                yield from self.walk(entry, active)
            elif stat.S_ISREG(mode):
                # Under a followed link the real path is yielded: it is what gets recorded, read and served.
                yield Path(os.path.realpath(target)) if self.follow else target
            else:
                _skip(self.skipped, entry, f"Springes over: {_special(mode)}", "special_file")


def iter_files(
    paths: Iterable[Path],
    *,
    follow_links: Collection[Path] = (),
    skipped: list[FileFailure] | None = None,
) -> Iterator[Path]:
    """Files under the given files and folders, recursively and sorted; hidden files and folders are
    skipped, and a folder's .brokerignore (gitignore-like patterns) applies to it and everything below.

    Symbolic links inside a folder are not followed, except under the roots in `follow_links`, and there only
    when they point inside that root. Links, special files and bad ignore lines are appended to `skipped`
    with a reason (logged when it is None)."""
    follow = {os.path.realpath(p) for p in follow_links}
    seen: set[Path] = set()
    for path in paths:
        path = Path(path)
        if not path.exists():
            log.warning("stien findes ikke: %s", path)
        real = Path(os.path.realpath(path))  # a root the caller names is taken as it really is
        if real.is_dir():
            found: Iterable[Path] = _Walk(real, str(real) in follow, skipped).walk(real, [])
        elif real.is_file():
            found = [real]
        else:
            if path.exists():
                _skip(skipped, path, f"Springes over: {_special(path.stat().st_mode)}", "special_file")
            found = []
        for file in found:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                yield file


def open_regular(path: Path) -> int:
    """An open file descriptor for `path` only if it is a regular file reached without any symbolic link.

    The path is the real path recorded at ingest; the check runs on the opened file itself, so a file
    replaced by a link (or a folder on the way replaced by one) after indexing is refused. Raises OSError."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OSError(f"filen er en symbolsk lænke: {path.name}") from exc
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"ikke en almindelig fil: {path}")
        proc = Path(f"/proc/self/fd/{fd}")
        real = os.readlink(proc) if proc.is_symlink() else os.path.realpath(path)
        if real != os.path.abspath(path):
            raise OSError(f"stien går gennem en symbolsk lænke: {path}")
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(path: Path) -> bytes:
    """The bytes of a regular file reached without a symbolic link (see open_regular)."""
    with os.fdopen(open_regular(Path(os.path.abspath(path))), "rb") as handle:
        return handle.read()
