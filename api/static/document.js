// The document page: metadata, sources, the text grouped by page with its sections, and similar practice.

import { errorView } from "./key.js";
import { api, documentPath, fileUrl } from "./api.js";
import { loadSimilar, openAtPage } from "./cards.js";
import {
  formatBytes,
  formatDateTime,
  h,
  loading,
  municipalityBadge,
  municipalityLabel,
  plural,
  replace,
  reveal,
  sectionLabel,
  typeLabel,
} from "./dom.js";
import { latest } from "./request.js";
import { canGoBack } from "./router.js";

const LANGUAGES = new Map([
  ["da", "Dansk"],
  ["en", "Engelsk"],
  ["de", "Tysk"],
  ["sv", "Svensk"],
  ["no", "Norsk"],
  ["nb", "Norsk"],
]);

let els = null;
const requests = latest(); // keyed by the document's id

const $ = (id) => document.getElementById(id);

export function initDocument() {
  els = { output: $("doc-output"), back: $("doc-back") };
  els.back.addEventListener("click", (event) => {
    if (canGoBack() && event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey) {
      event.preventDefault();
      event.stopPropagation();
      window.history.back();
    }
  });
}

export function showDocument(state, { force = false, focus = false } = {}) {
  if (!force && requests.has(state.doc)) {
    if (requests.shows(state.doc)) goToPage(state.side, focus);
    return;
  }
  run(state, focus);
}

function run(state, focus) {
  els.output.setAttribute("aria-busy", "true");
  replace(els.output, loading("Henter dokumentet …"));
  document.title = "Dokument – Vidensmægler";
  requests.run(state.doc, (signal) => api(documentPath(state.doc), { signal }), {
    show: (doc, signal) => {
      render(doc, signal);
      document.title = `${doc.title || "Dokument"} – ${municipalityLabel(doc.municipality)} – Vidensmægler`;
      if (state.side) goToPage(state.side, true);
      else if (focus) $("doc-title")?.focus();
    },
    fail: (error) => {
      replace(
        els.output,
        h("h1", { id: "doc-title", tabindex: "-1" }, error.status === 404 ? "Dokumentet findes ikke" : "Dokumentet kunne ikke vises"),
        errorView(error, "Fejl"),
      );
      document.title = "Dokumentet findes ikke – Vidensmægler";
    },
    settle: () => els.output.setAttribute("aria-busy", "false"),
  });
}

function goToPage(page, focus) {
  if (!page) return;
  const section = document.getElementById(`side-${page}`) ?? [...document.querySelectorAll(".doc-page")].find((s) => Number(s.dataset.first) <= page && page <= Number(s.dataset.last));
  if (section) reveal(section.querySelector(".doc-page-title"), { focus });
}

function render(doc, signal) {
  const chunks = [...(doc.chunks ?? [])].sort((a, b) => a.ord - b.ord);
  const similar = h("div", { class: "doc-similar", "aria-busy": "false" });
  replace(
    els.output,
    h(
      "header",
      { class: "doc-header" },
      h("div", { class: "hit-head" }, municipalityBadge(doc.municipality), doc.region ? h("span", { class: "hit-region" }, doc.region) : null),
      h("h1", { id: "doc-title", tabindex: "-1", class: "doc-title" }, doc.title || "Uden titel"),
      h(
        "p",
        { class: "doc-subtitle" },
        [typeLabel(doc.doc_type), doc.year, doc.page_count && hasPages(doc) ? plural(doc.page_count, "side", "sider") : null].filter(Boolean).join(" · "),
      ),
      h(
        "p",
        { class: "doc-actions" },
        h(
          "a",
          { class: "btn btn-primary open-file", href: doc.file_url ?? fileUrl(doc.doc_id), target: "_blank", rel: "noopener" },
          "Åbn originalfilen",
          h("span", { class: "sr-only" }, " (åbner i en ny fane)"),
        ),
        " ",
        h("a", { class: "btn viewer-link", href: `/vis/${encodeURIComponent(doc.doc_id)}` }, "Vis i fremviseren"),
      ),
    ),
    h(
      "div",
      { class: "doc-layout" },
      h(
        "div",
        { class: "doc-text" },
        h("h2", { class: "doc-section-title" }, hasPages(doc) ? "Teksten side for side" : "Teksten afsnit for afsnit"),
        chunks.length ? pages(doc, chunks) : h("p", { class: "muted" }, "Dokumentet har ingen tekst i indekset."),
      ),
      h(
        "aside",
        { class: "doc-aside", "aria-label": "Om dokumentet" },
        h("h2", { class: "doc-section-title" }, "Om dokumentet"),
        metadata(doc),
        h("h2", { class: "doc-section-title" }, "Kilder"),
        sources(doc.sources ?? []),
        similar,
      ),
    ),
  );
  loadSimilar(doc.doc_id, similar, { level: 2, municipality: doc.municipality, signal, k: 6 });
}

/** Only a PDF has pages; a Word file, web page or text has passages under its headings ("afsnit"). */
const hasPages = (doc) => (doc.sources ?? []).some((s) => !s.record_id && /\.pdf$/i.test(s.path ?? ""));

/** Chunks grouped by the page they start on, each group with its sections. */
function pages(doc, chunks) {
  const paged = hasPages(doc);
  const groups = [];
  for (const chunk of chunks) {
    const last = groups.at(-1);
    if (last && last.first === chunk.page_start) {
      last.chunks.push(chunk);
      last.last = Math.max(last.last, chunk.page_end || chunk.page_start);
    } else {
      groups.push({ first: chunk.page_start, last: chunk.page_end || chunk.page_start, chunks: [chunk] });
    }
  }
  let section = null;
  return groups.map((group) => {
    const label = !paged ? "Teksten" : group.last > group.first ? `Side ${group.first}–${group.last}` : `Side ${group.first}`;
    const body = [];
    for (const chunk of group.chunks) {
      let text = String(chunk.text ?? "");
      if (chunk.section && chunk.section !== section) {
        body.push(h("h4", { class: "chunk-section" }, sectionLabel(chunk.section)));
        // The heading is usually the chunk's first line too: shown once, as the heading.
        const heading = chunk.section.split(" > ").at(-1);
        if (text.startsWith(heading) && /^\s*\n/.test(text.slice(heading.length))) text = text.slice(heading.length).trimStart();
      }
      section = chunk.section || section;
      body.push(h("div", { class: "chunk", dataset: { ord: chunk.ord } }, h("p", { class: "chunk-text" }, text)));
    }
    return h(
      "section",
      { class: "doc-page", id: `side-${group.first}`, dataset: { first: group.first, last: group.last } },
      h(
        "div",
        { class: "doc-page-head" },
        h("h3", { class: "doc-page-title", tabindex: "-1" }, label),
        paged ? openAtPage(doc.doc_id, group.first, `Åbn originalen på side ${group.first}`) : openAtPage(doc.doc_id, null, "Åbn originalen"),
      ),
      body,
    );
  });
}

function metadata(doc) {
  const rows = [
    ["Kommune", municipalityLabel(doc.municipality)],
    ["Region", doc.region],
    ["Dokumenttype", typeLabel(doc.doc_type)],
    ["År", doc.year],
    ["Dato", doc.date],
    ["Udvalg", doc.committee],
    ["Sprog", LANGUAGES.get(doc.language) ?? doc.language],
    ["Sider", hasPages(doc) ? doc.page_count : null],
    ["Forfatter", doc.author],
    ["Oprettet", doc.created],
    ["Adgang", doc.internal ? "Internt dokument" : null],
  ].filter(([, value]) => value !== null && value !== undefined && value !== "");
  return h(
    "dl",
    { class: "meta-list" },
    rows.map(([term, value]) => h("div", { class: "meta-row" }, h("dt", null, term), h("dd", null, String(value)))),
  );
}

function sources(list) {
  if (!list.length) return h("p", { class: "muted" }, "Ingen kilder registreret.");
  return h(
    "ul",
    { class: "source-list" },
    list.map((source) =>
      h(
        "li",
        null,
        // Readers get the source's name and the path inside it; only an admin key also sees the server's path.
        // A harvested web page shows its address as a link (the stored copy is the file above).
        source.url
          ? h("a", { class: "source-path", href: source.url, target: "_blank", rel: "noopener noreferrer" }, source.url)
          : h("code", { class: "source-path" }, source.path),
        source.absolute_path ? h("p", { class: "source-meta" }, "På serveren: ", h("code", null, source.absolute_path)) : null,
        h(
          "p",
          { class: "source-meta" },
          [
            source.record_id ? `post ${source.record_id}` : null,
            source.size ? formatBytes(source.size) : null,
            source.mtime ? `ændret ${formatDateTime(source.mtime)}` : null,
            source.fetched ? `hentet ${source.fetched}` : null,
          ]
            .filter(Boolean)
            .join(" · "),
        ),
        source.file_hash ? h("p", { class: "source-hash", title: source.file_hash }, `SHA-256 ${source.file_hash.slice(0, 12)}…`) : null,
      ),
    ),
  );
}
