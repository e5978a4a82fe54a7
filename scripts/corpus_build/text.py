"""The plain-text and Markdown writers (a text file may be Latin-1 with CRLF line ends, as old exports are)."""

from __future__ import annotations

import re

from corpus_build.sources import Source, plain_blocks


def text_table(rows: list[list[str]]) -> list[str]:
    ncols = max(len(r) for r in rows)
    rows = [r + [""] * (ncols - len(r)) for r in rows]
    widths = [max(len(r[c]) for r in rows) for c in range(ncols)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def wrap(text: str, width: int = 90) -> list[str]:
    lines: list[str] = []
    cur = ""
    for word in text.split():
        if cur and len(cur) + 1 + len(word) > width:
            lines.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}".strip()
    if cur:
        lines.append(cur)
    return lines


def build_txt(src: Source) -> bytes:
    out: list[str] = []
    for b in plain_blocks(src.blocks):
        if b.kind == "title":
            out += [b.text, "=" * min(len(b.text), 90), ""]
        elif b.kind == "h2":
            out += ["", b.text, "-" * len(b.text), ""]
        elif b.kind == "h3":
            out += [b.text, ""]
        elif b.kind == "p":
            out += [*wrap(b.text), ""]
        elif b.kind == "ul":
            for item in b.items:
                lines = wrap(item, 86)
                out += ["  * " + lines[0]] + ["    " + ln for ln in lines[1:]]
            out.append("")
        elif b.kind == "table":
            out += [*text_table(b.rows), ""]
    text = "\n".join(out).rstrip() + "\n"
    if src.meta.get("newline") == "crlf":
        text = text.replace("\n", "\r\n")
    return text.encode(src.meta.get("encoding", "utf-8"))


def build_md(src: Source) -> bytes:
    lines = [ln for ln in src.body.split("\n") if ln.strip() not in ("[[toc]]", "[[pagebreak]]")]
    lines = [ln for ln in lines if ln.strip() not in ("[[scan]]", "[[/scan]]")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
    return text.encode("utf-8")
