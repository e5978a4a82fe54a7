// The status view: the index's size, the last ingest, and the last re-index with its counts and failures.

import { errorView } from "./key.js";
import { api } from "./api.js";
import { formatDateTime, formatNumber, formatSeconds, h, loading, notice, replace } from "./dom.js";
import { latest } from "./request.js";

const INDEX_KINDS = new Map([
  ["flat", "Præcis søgning (flad)"],
  ["ivf", "Tilnærmet søgning (IVF)"],
  ["hnsw", "Tilnærmet søgning (HNSW)"],
]);

const REPORT = [
  ["added", "Tilføjet"],
  ["updated", "Opdateret"],
  ["renamed", "Omdøbt/flyttet"],
  ["removed", "Fjernet"],
  ["unchanged", "Uændret"],
  ["failed", "Fejlede"],
];

let els = null;
const requests = latest();

export function initStatus() {
  els = { output: document.getElementById("status-output") };
}

export function showStatus() {
  document.title = "Status – Vidensmægler";
  load();
}

// Always asked again: the numbers change with every ingest.
function load() {
  els.output.setAttribute("aria-busy", "true");
  if (!els.output.querySelector(".stat-grid")) replace(els.output, loading("Henter status …"));
  requests.run("stats", (signal) => api("/api/stats", { signal }), {
    show: render,
    fail: (error) => replace(els.output, errorView(error, "Status kunne ikke hentes")),
    settle: () => els.output.setAttribute("aria-busy", "false"),
  });
}

const stat = (label, value, key) =>
  h("div", { class: "stat", dataset: { stat: key } }, h("dt", { class: "stat-label" }, label), h("dd", { class: "stat-value" }, formatNumber(value)));

function render(stats) {
  replace(
    els.output,
    h(
      "section",
      { "aria-labelledby": "index-title", class: "status-section" },
      h("div", { class: "section-head" }, h("h2", { id: "index-title" }, "Indekset"), h("button", { type: "button", class: "btn btn-small", onclick: load }, "Opdater")),
      h(
        "dl",
        { class: "stat-grid" },
        stat("Dokumenter", stats.documents, "documents"),
        stat("Kommuner", stats.municipalities, "municipalities"),
        stat("Tekststykker", stats.chunks, "chunks"),
        stat("Vektorer", stats.vectors, "vectors"),
      ),
      h(
        "dl",
        { class: "meta-list meta-list-wide" },
        row("Sprogmodel", [stats.embedder, stats.dimensions ? `${stats.dimensions} dimensioner` : null].filter(Boolean).join(", ") || "ingen endnu"),
        row("Vektorindeks", INDEX_KINDS.get(stats.index_kind) ?? stats.index_kind ?? "intet endnu"),
        row("Generation", stats.generation ?? 0),
      ),
    ),
    ingestSection(stats.last_ingest, stats.last_reindex),
    reindexSection(stats.last_reindex),
  );
}

const row = (term, value) => h("div", { class: "meta-row" }, h("dt", null, term), h("dd", null, String(value)));

// Only an admin gets the files themselves; everyone else gets the counts of what their key may see.
const reportCount = (report, key) => report.counts?.[key] ?? (report[key] ?? []).length;

const files = (n) => (n === 1 ? "1 fil" : `${formatNumber(n)} filer`);

// The latest run of any kind: after `make demo` or `broker ingest` there is no re-index yet, but an index.
function ingestSection(report, reindex) {
  const section = h("section", { "aria-labelledby": "ingest-title", class: "status-section", id: "last-ingest" }, h("h2", { id: "ingest-title" }, "Seneste indlæsning"));
  if (!report) {
    section.append(h("p", { class: "muted" }, "Indekset har ingen rapport om en indlæsning endnu."));
    return section;
  }
  const count = (key) => reportCount(report, key);
  const failed = count("failed");
  const same = reindex && reindex.finished === report.finished;
  section.append(
    h(
      "p",
      { class: "ingest-when" },
      "Afsluttet ",
      h("strong", null, formatDateTime(report.finished)),
      report.total_seconds !== undefined ? ` · varighed ${formatSeconds(report.total_seconds)}` : null,
      same ? " · det var genindekseringen herunder" : null,
    ),
    h(
      "p",
      { class: "ingest-counts" },
      `${files(count("added"))} tilføjet, ${formatNumber(count("updated"))} opdateret, ${formatNumber(count("unchanged"))} uændret`,
      failed ? `, ${formatNumber(failed)} fejlede` : null,
      ` · ${report.documents === 1 ? "1 dokument" : `${formatNumber(report.documents ?? 0)} dokumenter`} i indekset`,
    ),
    h("p", { class: "muted small" }, "En eksportfil (fx dagsordener) bliver til ét dokument pr. post, så der kan være flere dokumenter end filer."),
  );
  return section;
}

function reindexSection(report) {
  const section = h("section", { "aria-labelledby": "reindex-title", class: "status-section" }, h("h2", { id: "reindex-title" }, "Seneste genindeksering"));
  if (!report) {
    section.append(notice("Der er endnu ikke kørt en genindeksering.", h("p", null, "Registrér kilderne med »broker sources add«, og kør »broker reindex« – fx ugentligt.")));
    return section;
  }
  const failed = report.failed ?? [];
  section.append(
    h(
      "p",
      { class: "reindex-when" },
      "Afsluttet ",
      h("strong", null, formatDateTime(report.finished)),
      report.total_seconds !== undefined ? ` · varighed ${formatSeconds(report.total_seconds)}` : null,
      report.chunks_embedded !== undefined
        ? ` · ${report.chunks_embedded === 1 ? "1 nyt tekststykke" : `${formatNumber(report.chunks_embedded)} nye tekststykker`} indlejret`
        : null,
    ),
    h(
      "dl",
      { class: "count-grid" },
      REPORT.map(([key, label]) =>
        h(
          "div",
          { class: `count${key === "failed" && reportCount(report, "failed") ? " count-bad" : ""}`, dataset: { count: key } },
          h("dt", null, label),
          h("dd", null, formatNumber(reportCount(report, key))),
        ),
      ),
    ),
  );
  if (failed.length) {
    section.append(
      h("h3", null, "Filer, der fejlede"),
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "failures" },
          h("thead", null, h("tr", null, h("th", { scope: "col" }, "Fil"), h("th", { scope: "col" }, "Årsag"), h("th", { scope: "col" }, "Kode"))),
          h(
            "tbody",
            null,
            failed.map((f) => h("tr", null, h("td", null, h("code", { class: "source-path" }, f.path)), h("td", null, f.reason), h("td", null, h("code", null, f.code)))),
          ),
        ),
      ),
    );
  }
  for (const [key, label] of REPORT.slice(0, 4)) {
    const paths = report[key] ?? [];
    if (paths.length) {
      section.append(
        h(
          "details",
          { class: "path-details" },
          h("summary", null, `${label}: ${formatNumber(paths.length)}`),
          h("ul", { class: "path-list" }, paths.map((p) => h("li", null, h("code", { class: "source-path" }, p)))),
        ),
      );
    }
  }
  return section;
}
