// The compare view's matrix mode: rows are aspects, columns municipalities, the numbers side by side, and a
// note that collects cells and is exported as a Word document.

import { api, authorization, query } from "./api.js";
import { openAtPage } from "./cards.js";
import { announce, excerpt, h, municipalityLabel, replace } from "./dom.js";
import { errorOf, send } from "./request.js";

const NOTE_KEY = "vidensmaegler.notat";
const MAX_NOTE = 60;

// The matrix has its own stylesheet, so the page's layout file stays as it is.
if (!document.querySelector('link[href="/matrix.css"]')) {
  document.head.append(h("link", { rel: "stylesheet", href: "/matrix.css" }));
}

export const loadMatrix = (q, kommuner, signal) => api(`/api/compare/matrix?${query({ q, kommune: kommuner })}`, { signal });

/** "Kolonner | Matrix": the two ways the compare view shows a topic. */
export function modeSwitch(current, onChange) {
  const option = (value, label, title) =>
    h(
      "span",
      { class: "segment" },
      h("input", { type: "radio", name: "compare-visning", id: `visning-${value}`, value, checked: current === value }),
      h("label", { for: `visning-${value}`, title }, label),
    );
  const group = h(
    "fieldset",
    { class: "segmented segmented-small matrix-switch" },
    h("legend", { class: "sr-only" }, "Visning"),
    option("kolonner", "Kolonner", "De bedste passager pr. kommune"),
    option("matrix", "Matrix", "Aspekter × kommuner med tal og kilder"),
  );
  group.addEventListener("change", (event) => onChange(event.target.value));
  return group;
}

// -- the note ---------------------------------------------------------------------------------------

function readNote() {
  try {
    const note = JSON.parse(window.sessionStorage.getItem(NOTE_KEY) || "null");
    return note && Array.isArray(note.items) ? note : { question: "", items: [] };
  } catch {
    return { question: "", items: [] };
  }
}

function writeNote(note) {
  try {
    window.sessionStorage.setItem(NOTE_KEY, JSON.stringify(note));
  } catch {
    // storage disabled: the note lives as long as the page
  }
  for (const listener of listeners) listener(note);
}

const listeners = new Set();
const inNote = (chunkId, aspect) => readNote().items.some((i) => i.chunk_id === chunkId && i.aspect === aspect);

function toggleNote(item, question) {
  const note = readNote();
  const at = note.items.findIndex((i) => i.chunk_id === item.chunk_id && i.aspect === item.aspect);
  if (at >= 0) note.items.splice(at, 1);
  else if (note.items.length < MAX_NOTE) note.items.push(item);
  note.question ||= question;
  writeNote(note);
  return at < 0;
}

function noteButton(item, question) {
  const label = () => (inNote(item.chunk_id, item.aspect) ? "I notatet ✓" : "Tilføj til notat");
  const button = h("button", { type: "button", class: "btn btn-small note-add" }, label());
  button.setAttribute("aria-pressed", String(inNote(item.chunk_id, item.aspect)));
  button.addEventListener("click", () => {
    const added = toggleNote(item, question);
    announce(added ? `Tilføjet til notatet: ${item.aspect_title}, ${item.municipality}` : "Fjernet fra notatet");
  });
  const update = () => {
    if (!button.isConnected) {
      listeners.delete(update);
      return;
    }
    button.textContent = label();
    button.setAttribute("aria-pressed", String(inNote(item.chunk_id, item.aspect)));
  };
  listeners.add(update);
  return button;
}

/** Fetch a file from the service with the key (a link cannot carry it) and save it under `name`. */
async function download(path, name) {
  const response = await send(path, { headers: authorization() });
  if (!response.ok) throw await errorOf(response, `Filen kunne ikke hentes (${response.status}).`);
  // A blob: address is not a page path, so the link is made directly rather than through h().
  const link = Object.assign(document.createElement("a"), { href: URL.createObjectURL(await response.blob()), download: name });
  document.body.append(link);
  link.click();
  link.remove();
}

function downloadButton(label, action) {
  const button = h("button", { type: "button", class: "btn btn-small" }, label);
  button.addEventListener("click", () => {
    button.disabled = true;
    action()
      .then(() => announce(`${label}: hentet`))
      .catch((error) => announce(`Fejl: ${error.message}`))
      .finally(() => (button.disabled = false));
  });
  return button;
}

/** The note being collected: its passages, a way to remove each, and the Word export. */
export function notePanel() {
  const panel = h("section", { class: "note-panel", "aria-labelledby": "note-title" });
  const draw = (note) => {
    if (!panel.isConnected && panel.childElementCount) {
      listeners.delete(draw); // a panel from an earlier matrix
      return;
    }
    const items = note.items;
    replace(
      panel,
      h("h3", { id: "note-title", class: "note-title" }, `Notat (${items.length})`),
      items.length === 0
        ? h("p", { class: "small muted" }, "Tryk »Tilføj til notat« i en celle for at samle tekststykker til et notat.")
        : h(
            "ol",
            { class: "note-list" },
            items.map((item) => {
              const remove = h("button", { type: "button", class: "btn btn-small" }, "Fjern");
              remove.addEventListener("click", () => toggleNote(item, note.question));
              return h(
                "li",
                null,
                h("strong", null, `${item.aspect_title} · ${municipalityLabel(item.municipality)}`),
                h("span", { class: "small muted" }, ` ${item.title}, s. ${item.page}`),
                " ",
                remove,
              );
            }),
          ),
      items.length === 0
        ? null
        : h(
            "div",
            { class: "note-actions" },
            downloadButton("Hent notatet (Word)", () =>
              download(
                `/api/compare/note.docx?${query({ q: note.question || "Notat", item: items.map((i) => `${i.chunk_id}:${i.aspect}`) })}`,
                "notat.docx",
              ),
            ),
            (() => {
              const clear = h("button", { type: "button", class: "btn btn-small" }, "Tøm notatet");
              clear.addEventListener("click", () => writeNote({ question: "", items: [] }));
              return clear;
            })(),
          ),
    );
  };
  listeners.add(draw);
  draw(readNote());
  return panel;
}

// -- the matrix -------------------------------------------------------------------------------------

function valueList(values) {
  if (!values?.length) return null;
  return h(
    "ul",
    { class: "matrix-values", "aria-label": "Tal" },
    values.map((v) => h("li", null, h("mark", { class: "matrix-value", title: v.text }, v.normalized))),
  );
}

function cellView(row, cell, question) {
  const p = cell.passage;
  const label = `${row.title}, ${municipalityLabel(cell.municipality)}`;
  if (!p) {
    return h(
      "td",
      { class: "matrix-cell matrix-empty", dataset: { aspect: row.aspect, municipality: cell.municipality } },
      h("span", { class: "matrix-cell-label", "aria-hidden": "true" }, municipalityLabel(cell.municipality)),
      h("span", { "aria-hidden": "true" }, "–"),
      h("span", { class: "sr-only" }, `${label}: intet tekststykke handler tydeligt om det`),
    );
  }
  const item = {
    chunk_id: p.chunk_id,
    aspect: row.aspect,
    aspect_title: row.title,
    municipality: cell.municipality,
    title: p.title,
    page: p.page,
  };
  const where = [p.title, p.year, `s. ${p.page}`].filter(Boolean).join(" · ");
  return h(
    "td",
    { class: "matrix-cell", dataset: { aspect: row.aspect, municipality: cell.municipality } },
    h("span", { class: "matrix-cell-label" }, municipalityLabel(cell.municipality)),
    valueList(cell.values),
    h("p", { class: "matrix-quote" }, `»${excerpt(p.quote, 260)}«`),
    h("p", { class: "matrix-cite" }, openAtPage(p.doc_id, p.page, where)),
    noteButton(item, question),
  );
}

/** The matrix as a table: one row per aspect, one column per municipality, values highlighted. */
export function matrixView(data) {
  const names = data.municipalities ?? [];
  const table = h(
    "table",
    { class: `matrix cols-${names.length}` },
    h("caption", { class: "sr-only" }, `»${data.query}«: aspekter i rækker, kommuner i kolonner`),
    h(
      "thead",
      null,
      h("tr", null, h("th", { scope: "col" }, "Aspekt"), names.map((n) => h("th", { scope: "col" }, municipalityLabel(n)))),
    ),
    h(
      "tbody",
      null,
      (data.rows ?? []).map((row) =>
        h("tr", null, h("th", { scope: "row", class: "matrix-aspect" }, row.title), row.cells.map((c) => cellView(row, c, data.query))),
      ),
    ),
  );
  const exports = h(
    "div",
    { class: "matrix-exports" },
    downloadButton("Hent som Word", () =>
      download(`/api/compare/matrix.docx?${query({ q: data.query, kommune: names })}`, "sammenligning.docx"),
    ),
    downloadButton("Hent som CSV", () =>
      download(`/api/compare/matrix.csv?${query({ q: data.query, kommune: names })}`, "sammenligning.csv"),
    ),
  );
  const filled = (data.rows ?? []).flatMap((r) => r.cells).filter((c) => c.passage).length;
  return h(
    "div",
    { class: "matrix-view" },
    h("p", { class: "small muted matrix-legend" }, `${filled} udfyldte celler. Tal er fremhævet; »–« betyder, at intet tekststykke handlede tydeligt nok om både emnet og aspektet.`),
    exports,
    h("div", { class: "matrix-scroll", tabindex: "0", role: "region", "aria-label": "Matrix" }, table),
    notePanel(),
  );
}

