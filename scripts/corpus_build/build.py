"""The whole corpus: every document in its format, the agenda exports, the manifest and the judged files."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from corpus_build.export import build_export
from corpus_build.pdf import build_pdf
from corpus_build.sources import KOMMUNER_CSV, SRC, load_sources
from corpus_build.text import build_md, build_txt
from corpus_build.webpage import build_html
from corpus_build.word import build_docx

BUILDERS = {"pdf": build_pdf, "docx": build_docx, "html": build_html, "txt": build_txt, "md": build_md}


def load_regions() -> dict[str, str]:
    with KOMMUNER_CSV.open(encoding="utf-8") as f:
        return {row["kommune"]: "Region " + row["region"] for row in csv.DictReader(f)}


def build(out: Path) -> None:
    regions = load_regions()
    if out.exists():
        for child in out.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
    out.mkdir(parents=True, exist_ok=True)
    manifest: list[dict[str, object]] = []
    seen: set[str] = set()
    for src in load_sources():
        muni = src.meta["municipality"]
        if muni not in regions:
            raise SystemExit(f"{src.path}: unknown municipality {muni!r}")
        if src.file in seen:
            raise SystemExit(f"{src.path}: duplicate file {src.file}")
        seen.add(src.file)
        target = out / src.file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(BUILDERS[src.fmt](src))
        entry: dict[str, object] = {
            "file": src.file,
            "municipality": muni,
            "region": regions[muni],
            "doc_type": src.meta["doc_type"],
            "year": int(src.meta["year"]),
            "format": src.fmt,
            "title": src.meta["title"],
            "date": src.meta["date"],
        }
        if src.meta.get("encoding"):
            entry["encoding"] = src.meta["encoding"]
        if src.meta.get("scanned"):
            entry["scanned"] = src.meta["scanned"]
        elif any(b.kind == "scan" for b in src.blocks):
            entry["scanned"] = "partly"
        manifest.append(entry)
    record_ids: set[str] = set()
    for path in sorted((SRC / "eksport").glob("*.txt")):
        file, data, meta, records = build_export(path)
        muni = meta["municipality"]
        if muni not in regions:
            raise SystemExit(f"{path}: unknown municipality {muni!r}")
        (out / file).parent.mkdir(parents=True, exist_ok=True)
        (out / file).write_bytes(data)
        years = sorted({int(r["date"][:4]) for r in records})
        manifest.append(
            {
                "file": file,
                "municipality": muni,
                "region": regions[muni],
                "doc_type": meta["doc_type"],
                "year": None,
                "format": "jsonl",
                "title": meta["title"],
                "years": years,
                "records": [
                    {
                        "id": r["id"],
                        "municipality": muni,
                        "region": regions[muni],
                        "doc_type": meta["doc_type"],
                        "year": int(r["date"][:4]),
                        "date": r["date"],
                        "committee": r["committee"],
                        "title": r["title"],
                    }
                    for r in records
                ],
            }
        )
        record_ids |= {r["id"] for r in records}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", "utf-8")
    (out / ".brokerignore").write_text(
        "queries.jsonl\nmanifest.json\ncompare.jsonl\nanswers.jsonl\n", "utf-8"
    )
    # The judged comparison tasks (broker eval --compare) and answers (broker eval --answers) are written by
    # hand against the built documents.
    for judged in ("compare.jsonl", "answers.jsonl"):
        shutil.copyfile(SRC / judged, out / judged)

    files = {str(e["file"]) for e in manifest}
    lines_out = []
    for n, line in enumerate((SRC / "queries.jsonl").read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        q = json.loads(line)
        for key, grade in q["relevant"].items():
            if grade not in (1, 2):
                raise SystemExit(f"queries.jsonl:{n}: grade must be 1 or 2")
            if key not in record_ids and not any(f.endswith(key) for f in files):
                raise SystemExit(f"queries.jsonl:{n}: unknown key {key!r}")
        lines_out.append(json.dumps(q, ensure_ascii=False))
    (out / "queries.jsonl").write_text("\n".join(lines_out) + "\n", "utf-8")
