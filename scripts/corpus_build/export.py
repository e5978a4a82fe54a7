"""The agenda export: records separated by ``===`` lines in corpus-src/eksport/*.txt, written as JSON Lines."""

from __future__ import annotations

import json
import re
from pathlib import Path

from corpus_build.sources import split_header


def build_export(path: Path) -> tuple[str, bytes, dict[str, str], list[dict[str, str]]]:
    meta, body = split_header(path.read_text(encoding="utf-8"), path)
    records: list[dict[str, str]] = []
    for chunk in re.split(r"^===+\s*$", body, flags=re.M):
        if not chunk.strip():
            continue
        rec: dict[str, str] = {}
        lines = chunk.strip("\n").split("\n")
        for i, line in enumerate(lines):
            key, _, value = line.partition(":")
            if key.strip() == "text":
                paras = "\n".join(lines[i + 1 :]).strip().split("\n\n")
                rec["text"] = "\n\n".join(" ".join(p.split()) for p in paras)
                break
            rec[key.strip()] = value.strip()
        record = {
            "id": rec["id"],
            "municipality": meta["municipality"],
            "committee": rec["committee"],
            "date": rec["date"],
            "case_number": rec["case_number"],
            "title": rec["title"],
            "text": rec["text"],
        }
        records.append(record)
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    return meta["file"], data.encode("utf-8"), meta, records
