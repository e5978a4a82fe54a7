"""The report's sections and plot for the lexical engines (FTS5 against Tantivy), 3M chunks, the IVF lists and
quality per kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.markdown import percentiles, table


def engine_rows(lexical: dict[str, Any] | None, national: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One row per (size, engine) measured: in-process figures, with the load while measuring."""
    rows = []
    for run in (lexical or {}).get("runs", []):
        for engine in ("tantivy", "fts5"):
            if engine in run:
                rows.append({"chunks": run["chunks"], "engine": engine, **run[engine], "build": run["build"]})
    if national and "in_process" in national:
        rows.append({"chunks": national["chunks"], "engine": "tantivy", **national["in_process"]})
    return rows


def engines_section(lexical: dict[str, Any] | None, national: dict[str, Any] | None) -> str:
    rows = [
        [
            f"{r['chunks']:,}",
            r["engine"],
            percentiles(r.get("lexical")),
            percentiles(r.get("lexical_retrieval_only")),
            percentiles(r.get("hybrid")),
            r.get("first_search_ms", "–"),
            r.get("load_average_start", "–"),
        ]
        for r in engine_rows(lexical, national)
    ]
    header = ["chunks", "engine", "lexical", "lexical retrieval only", "hybrid", "first search ms", "load"]
    return "## Lexical engines: FTS5 against Tantivy (p50 / p95 / p99 ms, in-process)\n\n" + table(
        header, rows
    )


def serving_section(lexical: dict[str, Any] | None, national: dict[str, Any] | None) -> str:
    runs = [r for r in (lexical or {}).get("runs", []) if "http" in r]
    if national and "http" in national:
        runs.append(national)
    rows = []
    for run in runs:
        http = run["http"]
        inp = run.get("tantivy") or run.get("in_process") or {}
        conc = http.get("concurrent", {})
        rows.append(
            [
                f"{run['chunks']:,}",
                percentiles(inp.get("lexical")),
                percentiles(http.get("lexical")),
                percentiles(inp.get("hybrid")),
                percentiles(http.get("hybrid")),
                f"{conc.get('clients', '–')} × {conc.get('seconds', '–')} s: {conc.get('requests', '–')} requests, "
                f"{conc.get('errors', '–')} errors, {conc.get('requests_per_s', '–')}/s, "
                f"{conc.get('p50_ms', '–')} / {conc.get('p95_ms', '–')} / {conc.get('p99_ms', '–')} ms",
                http.get("after_concurrent", http.get("after_one_client", {})).get("rss_mb", "–"),
                http.get("startup_s", "–"),
                http.get("first_search_ms", "–"),
                f"{http.get('load_average_start')} → {http.get('load_average_end')}",
            ]
        )
    header = [
        "chunks",
        "lexical in-process",
        "lexical HTTP",
        "hybrid in-process",
        "hybrid HTTP",
        "concurrent",
    ]
    header += ["RSS MiB", "start-up s", "first search ms", "load"]
    return "## `broker serve` on the loopback\n\n" + table(header, rows)


def lists_section(lists: dict[str, Any]) -> str:
    """One row per size and number of lists: build time, then recall@10 (p50 ms) at every nprobe measured."""
    nprobes = sorted(
        {r["nprobe"] for size in lists.get("sizes", []) for i in size["indexes"] for r in i["sweep"]}
    )
    rows = []
    for size in lists.get("sizes", []):
        for index in size["indexes"]:
            measured = {r["nprobe"]: r for r in index["sweep"]}
            cells = [
                f"{measured[p]['recall@10']} ({measured[p]['p50_ms']})" if p in measured else "–"
                for p in nprobes
            ]
            rows.append(
                [f"{size['n']:,}", f"{index['nlist']:,}", index["build_s"], index["probes_for"], *cells]
            )
    header = ["vectors", "lists", "build s", "probes_for when run", *(f"nprobe {p}" for p in nprobes)]
    return "## How many IVF lists: recall@10 (p50 ms) per nprobe\n\n" + table(header, rows)


def quality_section(quality: dict[str, Any]) -> str:
    parts = ["## nDCG@10 per query kind (demo corpus)"]
    for name, data in quality.get("sets", {}).items():
        engines = [e for e in ("tantivy", "fts5") if e in data]
        kinds = sorted({k for e in engines for m in data[e].values() for k in m["kinds"]})
        header = ["kind", "n"] + [f"{mode} {e}" for mode in ("hybrid", "lexical", "dense") for e in engines]
        rows = []
        for kind in [*kinds, "all"]:
            first = data[engines[0]]["hybrid"]
            row: list[Any] = [kind, data["queries"] if kind == "all" else first["kinds"][kind]["n"]]
            for mode in ("hybrid", "lexical", "dense"):
                for e in engines:
                    m = data[e][mode]
                    row.append(m["all"] if kind == "all" else m["kinds"][kind]["ndcg"])
            rows.append(row)
        parts.append(f"### {name} ({data['queries']} queries)\n\n" + table(header, rows))
    return "\n\n".join(parts)


def plot(
    out: Path, lexical: dict[str, Any] | None, national: dict[str, Any] | None, suffix: str
) -> list[str]:
    rows = engine_rows(lexical, national)
    if not rows:
        return []
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for engine, style in (("tantivy", "-"), ("fts5", "--")):
        mine = sorted((r for r in rows if r["engine"] == engine), key=lambda r: r["chunks"])
        for mode, marker in (("lexical", "o"), ("hybrid", "s")):
            points = [(r["chunks"], r[mode]["p50_ms"]) for r in mine if r.get(mode)]
            if points:
                xs, ys = zip(*points, strict=True)
                ax.plot(xs, ys, linestyle=style, marker=marker, label=f"{engine} {mode} p50")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("chunks")
    ax.set_ylabel("ms (in-process, uncached query)")
    ax.set_title("FTS5 against Tantivy by index size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    name = f"lexical_engines{suffix}.png"
    fig.tight_layout()
    fig.savefig(out / name, dpi=110)
    plt.close(fig)
    return [name]
