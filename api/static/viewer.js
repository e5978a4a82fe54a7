// The document viewer (/vis/<id>?side=N&citat=…): a PDF page drawn by PDF.js with the cited quote marked on its
// text layer, or the extracted text of a Word file, web page or text with the cited passage marked.

import { api, apiKey, authorization, documentPath, openFileWithKey } from "./api.js";
import { errorBox, h, municipalityLabel, replace, sectionLabel, typeLabel } from "./dom.js";
import { errorOf, send } from "./request.js";
import { documentPage } from "./state.js";
import * as pdfjs from "./vendor/pdfjs/pdf.min.mjs";

// The worker comes from this origin, so the page's strict Content-Security-Policy needs no exception.
pdfjs.GlobalWorkerOptions.workerSrc = "/vendor/pdfjs/pdf.worker.min.mjs";

const $ = (id) => document.getElementById(id);
const MIN_WORDS = 4; // a shorter piece of a quote is too likely to stand elsewhere on the page

const location_ = window.location;
const docId = decodeURIComponent(location_.pathname.replace(/^\/vis\//, "").replace(/\/$/, ""));
const params = new URLSearchParams(location_.search);
const quote = (params.get("citat") ?? "").trim();
let pageNumber = Math.max(1, Number.parseInt(params.get("side") ?? "1", 10) || 1);
let pdf = null;
let renderTask = null;

/** Text for matching: case and spacing do not count, nor hyphens a line break may have added, nor the "|" the
 * index puts between table cells. */
const SKIPPED = /[\s\u00ad\u2010\u2011|-]/;

/**
 * Mark the quote (or the longest piece of it of at least MIN_WORDS words, from its start or its end) across
 * the text nodes of `elements`. Returns the marks made, empty when the quote is not there.
 */
export function highlight(elements, text) {
  const chars = []; // per kept character: [text node, offset]
  let flat = "";
  for (const el of elements) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const value = node.nodeValue;
      for (let i = 0; i < value.length; i++) {
        if (SKIPPED.test(value[i])) continue;
        flat += value[i].toLowerCase();
        chars.push([node, i]);
      }
    }
  }
  const words = text.split(/\s+/).filter(Boolean);
  const squash = (ws) => ws.join("").split("").filter((c) => !SKIPPED.test(c)).join("").toLowerCase();
  for (let n = words.length; n >= Math.min(MIN_WORDS, words.length); n--) {
    for (const piece of n === words.length ? [words] : [words.slice(0, n), words.slice(words.length - n)]) {
      const needle = squash(piece);
      const at = needle ? flat.indexOf(needle) : -1;
      if (at >= 0) return mark(chars.slice(at, at + needle.length));
    }
  }
  return [];
}

/** Wrap the given characters in <mark> elements, one per text node they touch. */
function mark(chars) {
  const byNode = new Map();
  for (const [node, offset] of chars) {
    const range = byNode.get(node) ?? [offset, offset];
    byNode.set(node, [Math.min(range[0], offset), Math.max(range[1], offset)]);
  }
  const marks = [];
  for (const [node, [start, end]] of byNode) {
    const middle = node.splitText(start);
    middle.splitText(end - start + 1);
    const el = h("mark", { class: "cite-mark" });
    middle.replaceWith(el);
    el.append(middle);
    marks.push(el);
  }
  return marks;
}

function status(text) {
  $("viewer-status").textContent = text;
}

async function fileBytes(url) {
  const response = await send(url, { headers: authorization() });
  if (!response.ok) throw await errorOf(response, "Originalfilen kunne ikke hentes.");
  return new Uint8Array(await response.arrayBuffer());
}

// -- PDF --------------------------------------------------------------------------------------------

async function showPdf(doc) {
  const data = await fileBytes(doc.file_url);
  pdf = await pdfjs.getDocument({ data, isEvalSupported: false, useSystemFonts: true }).promise;
  pageNumber = Math.min(pageNumber, pdf.numPages);
  $("viewer-nav").hidden = false;
  $("viewer-prev").addEventListener("click", () => turn(-1));
  $("viewer-next").addEventListener("click", () => turn(1));
  await renderPage({ scroll: true });
}

function turn(step) {
  const next = pageNumber + step;
  if (!pdf || next < 1 || next > pdf.numPages) return;
  pageNumber = next;
  params.set("side", String(next));
  window.history.replaceState(null, "", `${location_.pathname}?${params}`);
  renderPage({ scroll: false });
}

async function renderPage({ scroll }) {
  const content = $("viewer-content");
  content.setAttribute("aria-busy", "true");
  renderTask?.cancel();
  const page = await pdf.getPage(pageNumber);
  const width = Math.min(content.clientWidth || 800, 1000);
  const base = page.getViewport({ scale: 1 });
  const viewport = page.getViewport({ scale: width / base.width });
  const ratio = window.devicePixelRatio || 1;
  const canvas = h("canvas", { "aria-hidden": "true" });
  canvas.width = Math.floor(viewport.width * ratio);
  canvas.height = Math.floor(viewport.height * ratio);
  canvas.style.width = `${Math.floor(viewport.width)}px`;
  canvas.style.height = `${Math.floor(viewport.height)}px`;
  const layer = h("div", { class: "textLayer" });
  const holder = h("div", { class: "pdf-page", dataset: { page: String(pageNumber) } }, canvas, layer);
  holder.style.width = `${Math.floor(viewport.width)}px`;
  holder.style.height = `${Math.floor(viewport.height)}px`;
  holder.style.setProperty("--scale-factor", String(viewport.scale));
  holder.style.setProperty("--total-scale-factor", String(viewport.scale));
  replace(content, holder);
  $("viewer-page").textContent = `Side ${pageNumber} af ${pdf.numPages}`;
  renderTask = page.render({
    canvas,
    canvasContext: canvas.getContext("2d"),
    viewport,
    transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : undefined,
  });
  const textLayer = new pdfjs.TextLayer({ textContentSource: page.streamTextContent(), container: layer, viewport });
  await textLayer.render();
  try {
    await renderTask.promise;
  } catch (error) {
    if (error?.name !== "RenderingCancelledException") throw error;
    return;
  }
  const marks = quote ? highlight([layer], quote) : [];
  if (quote) {
    status(
      marks.length
        ? `Citatet er fremhævet på side ${pageNumber}.`
        : `Citatet blev ikke fundet i tekstlaget på side ${pageNumber} (fx en skannet side); det står her ved siden af.`,
    );
  }
  if (marks.length && scroll) marks[0].scrollIntoView({ block: "center" });
  content.setAttribute("aria-busy", "false");
}

// -- Word, web pages and text -----------------------------------------------------------------------

function showText(doc) {
  const content = $("viewer-content");
  let last = null;
  const passages = [];
  const children = [];
  for (const chunk of doc.chunks ?? []) {
    if (chunk.section && chunk.section !== last) children.push(h("h2", { class: "passage-section" }, sectionLabel(chunk.section)));
    last = chunk.section;
    const passage = h(
      "section",
      { class: "passage", dataset: { ord: String(chunk.ord), section: chunk.section } },
      String(chunk.text)
        .split(/\n{2,}/)
        .map((part) => h("p", null, part)),
    );
    passages.push(passage);
    children.push(passage);
  }
  replace(content, ...children);
  if (!quote) return;
  for (const passage of passages) {
    const marks = highlight([passage], quote);
    if (!marks.length) continue;
    const section = passage.dataset.section;
    status(section ? `Citatet er fremhævet i afsnittet »${sectionLabel(section)}«.` : "Citatet er fremhævet i teksten.");
    marks[0].scrollIntoView({ block: "center" });
    return;
  }
  status("Citatet blev ikke fundet i dokumentets tekst; det står her ved siden af.");
}

// -- start ------------------------------------------------------------------------------------------

async function start() {
  $("viewer-quote").textContent = quote || "Intet citat valgt.";
  try {
    const doc = await api(documentPath(docId));
    document.title = `${doc.title || "Dokument"} – ${municipalityLabel(doc.municipality)} – Vidensmægler`;
    $("viewer-title").textContent = doc.title || "Dokument";
    $("viewer-meta").textContent = [municipalityLabel(doc.municipality), typeLabel(doc.doc_type), doc.year].filter(Boolean).join(" · ");
    $("viewer-doc").setAttribute("href", documentPage(doc.doc_id));
    $("viewer-file").setAttribute("href", doc.file_url);
    $("viewer-file").addEventListener("click", (event) => {
      if (!apiKey()) return; // a plain link cannot carry the key: the file is fetched with it
      event.preventDefault();
      openFileWithKey(doc.file_url).catch((error) => status(error.message));
    });
    const file = (doc.sources ?? []).find((s) => !s.record_id);
    const isPdf = Boolean(file && /\.pdf$/i.test(file.path));
    document.body.dataset.kind = isPdf ? "pdf" : "text";
    if (isPdf) await showPdf(doc);
    else showText(doc);
  } catch (error) {
    $("viewer-title").textContent = error.status === 404 ? "Dokumentet findes ikke" : "Dokumentet kunne ikke vises";
    replace($("viewer-content"), errorBox(error.message ?? "Dokumentet kunne ikke vises.", "Fejl"));
  } finally {
    $("viewer-content").setAttribute("aria-busy", "false");
  }
}

start();
