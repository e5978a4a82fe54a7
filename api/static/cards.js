// Passages and documents as cards, and the intro with examples, shared by the search, ask, compare and document views.

import { errorView } from "./key.js";
import { api, documentPath, fileUrl } from "./api.js";
import {
  excerpt,
  h,
  loading,
  municipalityBadge,
  municipalityLabel,
  pageLabel,
  replace,
  sectionLabel,
  snippet,
  typeLabel,
} from "./dom.js";
import { isAbort } from "./request.js";
import { documentPage, urlFor } from "./state.js";

let counter = 0;
export const uid = (prefix) => `${prefix}-${++counter}`;

/** "Åbn dokumentet på side N": the original file, opened at the page. */
export function openAtPage(docId, page, label) {
  const text = label ?? (page ? `Åbn dokumentet på side ${page}` : "Åbn dokumentet");
  return h(
    "a",
    { class: "action-link open-file", href: fileUrl(docId, page), target: "_blank", rel: "noopener" },
    text,
    h("span", { class: "sr-only" }, " (åbner i en ny fane)"),
  );
}

/** Where a passage stands: its page in a PDF; in a Word file, web page or text only its section ("afsnit"). */
export function placeLabel(item) {
  if (item.paged !== false) return pageLabel(item.page, item.page_end);
  return item.section && item.section !== item.title ? `afsnit »${sectionLabel(item.section)}«` : "";
}

/** "Vis siden med citatet" / "Vis afsnittet": the viewer, at the page with the passage marked. */
export function viewerLink(item) {
  if (!item.viewer_url) return null;
  return h("a", { class: "action-link viewer-link", href: item.viewer_url }, item.paged === false ? "Vis afsnittet" : "Vis siden med citatet");
}

function metaLine(item) {
  const parts = [typeLabel(item.doc_type), item.year, placeLabel(item)].filter(Boolean);
  return h("p", { class: "hit-meta" }, parts.join(" · "));
}

function sectionLine(section) {
  if (!section) return null;
  return h("p", { class: "hit-section" }, h("span", { class: "sr-only" }, "Afsnit: "), sectionLabel(section));
}

/** A search hit or a passage: municipality label, title, type, year, page, section and snippet. */
export function hitCard(hit, { level = 3, municipality = true, similar = true } = {}) {
  const card = h("article", { class: "hit", dataset: { docId: hit.doc_id, municipality: hit.municipality } });
  const head = h(
    "div",
    { class: "hit-head" },
    municipality ? municipalityBadge(hit.municipality) : null,
    municipality && hit.region ? h("span", { class: "hit-region" }, hit.region) : null,
  );
  const title = h(
    `h${level}`,
    { class: "hit-title" },
    h("a", { href: documentPage(hit.doc_id, hit.page), "data-route": true }, hit.title || "Uden titel"),
  );
  const body = hit.snippet
    ? h("p", { class: "snippet" }, snippet(hit.snippet))
    : h("p", { class: "snippet" }, excerpt(hit.text));
  const page = hit.paged === false ? null : hit.page; // a text has no pages to open at
  const actions = h("div", { class: "hit-actions" }, viewerLink(hit), openAtPage(hit.doc_id, page));
  const section = hit.section && hit.section !== hit.title && hit.paged !== false ? sectionLine(hit.section) : null;
  card.append(...[head.childNodes.length ? head : null, title, metaLine(hit), section, body, actions].filter(Boolean));
  if (similar) {
    const { button, panel } = similarToggle(hit.doc_id, hit.municipality, level + 1);
    actions.append(button);
    card.append(panel);
  }
  return card;
}

/** The button that shows documents like this one from other municipalities, loaded on first use. */
function similarToggle(docId, municipality, level) {
  const id = uid("lignende");
  const closed = "Vis lignende praksis fra andre kommuner";
  const button = h("button", { type: "button", class: "action-button", "aria-expanded": "false", "aria-controls": id }, closed);
  const panel = h("div", { class: "similar-panel", id, hidden: true });
  let state = "empty";
  button.addEventListener("click", async () => {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    button.textContent = open ? "Skjul lignende praksis" : closed;
    panel.hidden = !open;
    if (open && state === "empty") {
      state = "loading";
      state = (await loadSimilar(docId, panel, { level, municipality })) ? "done" : "empty";
    }
  });
  return { button, panel };
}

/** Fill a container with the similar documents; returns false on an error (so it can be retried). */
export async function loadSimilar(docId, container, { level = 3, municipality, signal, k = 5 } = {}) {
  replace(container, loading("Finder lignende praksis …"));
  container.setAttribute("aria-busy", "true");
  try {
    const data = await api(`${documentPath(docId)}/similar?k=${k}`, { signal });
    const own = data.municipality ?? municipality;
    const heading = h(
      `h${Math.min(level, 6)}`,
      { class: "similar-title" },
      own && own !== "ukendt" ? `Lignende praksis fra andre kommuner end ${own}` : "Lignende praksis fra andre kommuner",
    );
    if (!data.results?.length) {
      replace(container, heading, h("p", { class: "muted" }, "Der er ingen lignende dokumenter fra andre kommuner."));
    } else {
      replace(container, heading, similarList(data.results));
    }
    return true;
  } catch (error) {
    if (isAbort(error)) return false;
    replace(container, errorView(error, "Lignende praksis kunne ikke hentes"));
    return false;
  } finally {
    container.setAttribute("aria-busy", "false");
  }
}

export function similarList(results) {
  return h(
    "ul",
    { class: "similar-list" },
    results.map((item) =>
      h(
        "li",
        { class: "similar-item", dataset: { municipality: item.municipality, docId: item.doc_id } },
        h(
          "div",
          { class: "similar-head" },
          municipalityBadge(item.municipality, "muni-badge-small"),
          h("a", { href: documentPage(item.doc_id, item.page), "data-route": true, class: "similar-link" }, item.title || "Uden titel"),
        ),
        metaLine(item),
        h("p", { class: "similar-text" }, excerpt(item.text, 200)),
        openAtPage(item.doc_id, item.page),
      ),
    ),
  );
}

/** A municipality's passages as a card (ask overview, compare columns). */
export function municipalityCard({ municipality, region, passages, empty, level = 3 }) {
  return h(
    "article",
    { class: "muni-card", dataset: { municipality } },
    h(
      "header",
      { class: "muni-card-head" },
      h(`h${level}`, { class: "muni-card-title" }, municipalityLabel(municipality)),
      region ? h("p", { class: "muni-card-region" }, region) : null,
    ),
    passages.length
      ? h(
          "ol",
          { class: "passage-list" },
          passages.map((passage) => h("li", null, hitCard({ ...passage, municipality }, { level: level + 1, municipality: false, similar: false }))),
        )
      : h("p", { class: "muted" }, empty ?? "Ingen passager."),
  );
}

/** What an empty view shows: a title, what to do, examples that open the view with them, and `more`. */
export function exampleIntro({ view, title, text, examples, more = null }) {
  const label = `${view}-examples-label`;
  return h(
    "div",
    { class: "intro" },
    h("h2", { class: "intro-title" }, title),
    h("p", null, text),
    h("p", { class: "intro-label", id: label }, "Prøv fx:"),
    h(
      "ul",
      { class: "example-list", "aria-labelledby": label },
      examples.map((q) => h("li", null, h("a", { class: "example", href: urlFor({ view, q }), "data-route": true }, q))),
    ),
    more,
  );
}
