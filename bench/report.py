"""The Markdown report and the plots, built from the stages' JSON files in bench/results/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import report_scale
from bench.common import read_json
from bench.markdown import percentiles, table

MODES = ("lexical", "dense", "hybrid", "ask")


def _machine(data: dict[str, Any]) -> str:
    m = data.get("machine_start", {})
    end = data.get("machine_end", {})
    return (
        f"{m.get('cpu')}, {m.get('cores')} cores, {m.get('memory_gib')} GiB; load average "
        f"{m.get('load_average')} at the start, {end.get('load_average')} at the end ({m.get('time')})"
    )


def ingest_section(data: dict[str, Any]) -> str:
    rows = [
        [
            r["name"],
            r["documents"],
            r["pages"],
            r["chunks"],
            r["total_s"],
            r["embed_alone_s"],
            r["scan_s"],
            r["count_tokens_s"],
            r["chunks_per_s"],
            r["pages_per_s"],
            r["embed_alone_chunks_per_s"],
            f"**{r['overhead_pct']} %**",
            f"{100 * (r['total_s'] - r['embed_in_pipeline_s']) / r['total_s']:.1f} %",
            r["load_average_start_end"],
        ]
        for r in data["runs"]
    ]
    header = [
        "data",
        "docs",
        "pages",
        "chunks",
        "pipeline s",
        "embedder alone s",
        "scan s",
        "token counting s",
        "chunks/s",
        "pages/s",
        "embedder alone chunks/s",
        "not embedding (vs alone)",
        "not embedding (in pipeline)",
        "load (start, end)",
    ]
    return "## Ingest throughput\n\n" + _machine(data) + "\n\n" + table(header, rows)


def latency_section(data: dict[str, Any]) -> str:
    parts = ["## Query latency (p50 / p95 / p99 ms, one client)\n", _machine(data) + "\n"]
    parts.append(
        f"{data['queries_per_mode']} distinct queries per mode ({data['ask_queries']} for ask), no query "
        "seen before by the embedder's cache; the embedder uses 1 thread (BROKER_THREADS=1); "
        f"IVF with nprobe={data['nprobe_used']} from {data['threshold_used']:,} chunks.\n"
    )
    rows = []
    for run in data["runs"]:
        inp = run["in_process"]
        for mode in MODES:
            rows.append(
                [
                    run["label"],
                    f"{run['chunks']:,}",
                    run["index_kind"],
                    mode,
                    percentiles(inp[mode]["uncached"]),
                    percentiles(inp[mode]["retrieval_only"]),
                    percentiles(run.get("http", {}).get(mode)),
                ]
            )
        rows.append([run["label"], f"{run['chunks']:,}", run["index_kind"], "query embedding"])
        rows[-1] += [percentiles(inp["query_embedding"]), "", ""]
    header = ["scale", "chunks", "vectors", "mode", "in-process", "query vector cached", "HTTP"]
    parts.append(table(header, rows))
    return "\n".join(parts)


def ann_section(data: dict[str, Any]) -> str:
    rows = []
    for study in data["ann"]:
        rows.append(
            [f"{study['n']:,}", "flat (exact)", "–", "1.0", study["flat"]["p50_ms"], study["flat"]["p95_ms"]]
        )
        for r in study["ivf"]:
            row = [f"{study['n']:,}", f"IVF nlist={study['ivf_nlist']}", r["nprobe"], r["recall@10"]]
            rows.append([*row, r["p50_ms"], r["p95_ms"]])
    choice = data["ann_choice"]
    text = (
        f"Chosen: nprobe = {choice['nprobe']} (smallest with recall@10 ≥ {choice['recall_target']} at every "
        f"size); exact search costs {choice['flat_ms_per_100k']} ms per 100k vectors, so it stays within "
        f"{choice['flat_budget_ms']} ms up to about {choice['ann_threshold']:,} vectors (ann_threshold)."
        if choice.get("ann_threshold")
        else ""
    )
    header = ["vectors", "index", "nprobe", "recall@10", "p50 ms", "p95 ms"]
    return (
        "## Flat against IVF (100 hits per query, one query at a time)\n\n"
        + table(header, rows)
        + "\n\n"
        + text
    )


def memory_section(data: dict[str, Any]) -> str:
    rows = []
    for run in data["runs"]:
        http = run.get("http", {})
        rows.append(
            [
                run["label"],
                f"{run['chunks']:,}",
                run["index_kind"],
                http.get("rss_ready_mb", "–"),
                http.get("rss_mb", "–"),
                http.get("rss_peak_mb", "–"),
                run["disk_mb"]["sqlite"],
                run["disk_mb"]["faiss"],
                http.get("startup_s", "–"),
                run["in_process"].get("first_search_ms", "–"),
            ]
        )
    header = ["scale", "chunks", "vectors", "RSS ready MiB", "RSS after MiB", "peak MiB", "SQLite MiB"]
    header += ["FAISS MiB", "start-up s", "first search ms"]
    return "## Memory and disk of the service (`broker serve`)\n\n" + table(header, rows)


def baseline_section(data: dict[str, Any]) -> str:
    rows = []
    for name in ("bm25s_danish", "lexical", "dense", "hybrid"):
        m = data.get(name)
        if m:
            label = "BM25 (bm25s, ES `danish` analysis)" if name == "bm25s_danish" else f"ours: {name}"
            rows.append([label, m["ndcg@10"], m["recall@10"], m["mrr@10"], m["p50_ms"], m["p95_ms"]])
    header = ["system", "nDCG@10", "recall@10", "MRR@10", "p50 ms", "p95 ms"]
    intro = (
        f"{data['queries']} judged queries over {data['chunks']} demo corpus chunks, distinct documents.\n\n"
    )
    return "## Against a BM25 baseline\n\n" + intro + table(header, rows)


def reindex_section(data: dict[str, Any]) -> str:
    if "skipped" in data:
        return "## Re-index\n\nSkipped: " + data["skipped"]
    rows = []
    for key, label in (
        ("baseline", "first index"),
        ("unchanged", "unchanged"),
        ("changed_1pct", "1 % changed"),
    ):
        r = data.get(key)
        if r:
            rows.append(
                [
                    label,
                    r["seconds"],
                    r.get("stages_s", {}).get("scanned", "–"),
                    r["documents"],
                    r.get("items_changed", "–"),
                    r.get("new_chunk_texts", "–"),
                    r.get("passages_embedded", "– (replayed)"),
                ]
            )
    header = [
        "run",
        "seconds",
        "scan s",
        "documents",
        "items changed",
        "new chunk texts",
        "passages embedded",
    ]
    return f"## Re-index ({data['items']:,} Greve agenda items)\n\n" + table(header, rows)


def threads_section(data: dict[str, Any]) -> str:
    rows = []
    for label, r in data.items():
        if isinstance(r, dict) and "query_embedding" in r:
            rows.append(
                [
                    label,
                    percentiles(r["query_embedding"]),
                    percentiles(r["embed_60_sentences"]),
                    r["load_average"],
                ]
            )
    header = ["embedder threads", "query embedding ms", "60 sentences (ask) ms", "load"]
    return "## Embedder threads when serving\n\n" + table(header, rows)


def plots(out: Path, scale: dict[str, Any] | None, ingest: dict[str, Any] | None, suffix: str) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    if scale:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        runs = scale["runs"]
        xs = [r["chunks"] for r in runs]
        for mode in ("lexical", "dense", "hybrid"):
            ax.plot(
                xs,
                [r["in_process"][mode]["uncached"]["p50_ms"] for r in runs],
                marker="o",
                label=f"{mode} p50",
            )
            ax.plot(
                xs,
                [r["in_process"][mode]["uncached"]["p95_ms"] for r in runs],
                linestyle="--",
                alpha=0.6,
                label=f"{mode} p95",
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("chunks")
        ax.set_ylabel("ms (in-process, uncached query)")
        ax.set_title("Query latency by index size")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        name = f"latency{suffix}.png"
        fig.tight_layout()
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        made.append(name)
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for study in scale["ann"]:
            ax.plot(
                [r["p50_ms"] for r in study["ivf"]],
                [r["recall@10"] for r in study["ivf"]],
                marker="o",
                label=f"IVF {study['n']:,}",
            )
            for r in study["ivf"]:
                ax.annotate(str(r["nprobe"]), (r["p50_ms"], r["recall@10"]), fontsize=7)
            ax.axvline(study["flat"]["p50_ms"], linestyle=":", alpha=0.5)
        ax.axhline(0.95, color="grey", linestyle="--", alpha=0.5)
        ax.set_xscale("log")
        ax.set_xlabel("p50 ms (dotted: exact search at that size)")
        ax.set_ylabel("recall@10 against exact")
        ax.set_title("IVF: recall against latency by nprobe")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        name = f"ann{suffix}.png"
        fig.tight_layout()
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        made.append(name)
    if ingest:
        fig, ax = plt.subplots(figsize=(7, 3.5))
        runs = ingest["runs"]
        labels = [r["name"] for r in runs]
        ax.barh(labels, [r["embed_alone_s"] for r in runs], label="embedder alone")
        ax.barh(
            labels,
            [r["total_s"] - r["embed_alone_s"] for r in runs],
            left=[r["embed_alone_s"] for r in runs],
            label="everything else",
        )
        ax.set_xlabel("seconds")
        ax.set_title("Ingest: pipeline time against the embedder alone")
        ax.legend(fontsize=8)
        name = f"ingest{suffix}.png"
        fig.tight_layout()
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        made.append(name)
    return made


def write(out: Path, *, quick: bool = False) -> Path:
    suffix = "-quick" if quick else ""
    data = {
        name: read_json(name + suffix, out) for name in ("ingest", "baseline", "reindex", "scale", "threads")
    }
    sections = ["# Benchmark results" + (" (quick run: small sizes, few queries)" if quick else "")]
    if data["ingest"]:
        sections.append(ingest_section(data["ingest"]))
    if data["scale"]:
        sections += [
            latency_section(data["scale"]),
            ann_section(data["scale"]),
            memory_section(data["scale"]),
        ]
    # The lexical stage's file is lexical.json from bench.run, lexical_engines.json when run on its own.
    lexical = read_json("lexical" + suffix, out) or read_json("lexical_engines" + suffix, out)
    national = read_json("national" + suffix, out)
    if lexical or national:
        sections += [
            report_scale.engines_section(lexical, national),
            report_scale.serving_section(lexical, national),
        ]
    # As with lexical: lists.json from bench.run, ivf_lists.json when bench.ivf_lists runs on its own.
    lists = read_json("lists" + suffix, out) or read_json("ivf_lists" + suffix, out)
    if lists and lists.get("sizes"):
        sections.append(report_scale.lists_section(lists))
    quality = read_json("quality" + suffix, out)
    if quality:
        sections.append(report_scale.quality_section(quality))
    if data["threads"]:
        sections.append(threads_section(data["threads"]))
    if data["baseline"]:
        sections.append(baseline_section(data["baseline"]))
    if data["reindex"]:
        sections.append(reindex_section(data["reindex"]))
    images = plots(out, data["scale"], data["ingest"], suffix)
    images += report_scale.plot(out, lexical, national, suffix)
    sections += [f"![{name}]({name})" for name in images]
    path = out / f"report{suffix}.md"
    path.write_text("\n\n".join(sections) + "\n", encoding="utf-8")
    return path
