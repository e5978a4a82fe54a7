// The ask view: a short answer with numbered citations, and the best passages side by side per municipality.

import { errorView } from "./key.js";
import { api, getMunicipalities } from "./api.js";
import { exampleIntro, municipalityCard, openAtPage, placeLabel, viewerLink } from "./cards.js";
import { announce, h, loading, municipalityBadge, notice, replace, reveal, sectionLabel } from "./dom.js";
import { latest } from "./request.js";
import { navigate } from "./router.js";
import { documentPage, urlFor } from "./state.js";

const K = 20;
const EXAMPLES = [
  "Hvordan organiserer andre kommuner familiebehandling?",
  "Hvilke kommuner har familiehuse med åben anonym rådgivning?",
  "Hvor ofte mødes kontaktpersonen med den unge?",
  "Hvordan får skolerne hjælp fra socialrådgivere?",
];

let els = null;
const requests = latest();

const $ = (id) => document.getElementById(id);

export function initAsk() {
  els = {
    form: $("ask-form"),
    q: $("ask-q"),
    exclude: $("ask-exclude"),
    region: $("ask-region"),
    type: $("ask-type"),
    output: $("ask-output"),
  };
  els.form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!els.q.value.trim()) {
      els.q.focus();
      return;
    }
    navigate(
      {
        view: "ask",
        q: els.q.value,
        udelad: els.exclude.value.trim(),
        region: els.region.value ? [els.region.value] : [],
        type: els.type.value ? [els.type.value] : [],
      },
      { force: true },
    );
  });
  for (const input of [els.q, els.exclude]) {
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && input.value) {
        event.preventDefault();
        input.value = "";
      }
    });
  }
  getMunicipalities()
    .then((list) => replace($("municipality-options"), list.map((m) => h("option", { value: m.name }))))
    .catch(() => {});
}

export function showAsk(state, { fromHistory = false, force = false } = {}) {
  if (fromHistory || document.activeElement !== els.q) els.q.value = state.q;
  els.exclude.value = state.udelad;
  els.region.value = matchOption(els.region, state.region[0]);
  els.type.value = matchOption(els.type, state.type[0]);
  const q = state.q.trim();
  document.title = q ? `»${q}« – Spørg – Vidensmægler` : "Spørg – Vidensmægler";
  if (!q) {
    requests.reset();
    renderIntro();
    return;
  }
  const key = JSON.stringify([q, state.kommune, state.udelad, state.region, state.type]);
  if (!force && requests.has(key)) return;
  run(state, key);
}

function matchOption(select, value) {
  if (!value) return "";
  const wanted = value.toLowerCase().replace(/^region\s+/, "");
  const option = [...select.options].find((o) => o.value && o.value.toLowerCase().replace(/^region\s+/, "") === wanted);
  return option ? option.value : "";
}

function run(state, key) {
  const body = { question: state.q.trim(), k: K };
  if (state.kommune.length) body.kommuner = state.kommune;
  if (state.udelad) body.exclude_kommune = state.udelad;
  if (state.region.length) body.region = state.region;
  if (state.type.length) body.type = state.type;
  els.output.setAttribute("aria-busy", "true");
  replace(els.output, loading("Finder svar i dokumenterne …"));
  requests.run(key, (signal) => api("/api/ask", { method: "POST", body, signal }), {
    show: (data) => render(data, state),
    fail: (error) => {
      replace(els.output, errorView(error, "Spørgsmålet kunne ikke besvares"));
      announce(`Fejl: ${error.message}`);
    },
    settle: () => els.output.setAttribute("aria-busy", "false"),
  });
}

function renderIntro() {
  replace(
    els.output,
    exampleIntro({
      view: "ask",
      title: "Stil et spørgsmål om praksis",
      text: "Svaret bygges af sætninger fra de mest relevante dokumenter, og hver sætning henviser til sin kilde. Nedenunder ser du de bedste passager fra hver kommune side om side.",
      examples: EXAMPLES,
    }),
  );
}

function render(data, state) {
  const parts = [];
  const citations = new Map((data.citations ?? []).map((c) => [c.n, c]));
  if (data.answer) {
    parts.push(
      h(
        "section",
        { class: "answer", "aria-labelledby": "answer-title" },
        h("h2", { id: "answer-title", class: "answer-title" }, "Svar"),
        answerBody(data, citations),
        h(
          "p",
          { class: "answer-note" },
          data.mode === "generative"
            ? "Svaret er formuleret af en sprogmodel ud fra de fundne tekster. Tjek altid kilderne."
            : "Svaret består af sætninger citeret fra dokumenterne. Tallene i kantede parenteser henviser til kilderne.",
        ),
        data.reason ? h("p", { class: "answer-note" }, data.reason) : null,
      ),
      citationList([...citations.values()]),
    );
  } else {
    parts.push(
      notice(
        "Intet sikkert svar",
        h("p", { class: "reason" }, data.reason || "Ingen af de fundne tekster svarer på spørgsmålet."),
        h("p", null, "Prøv at formulere spørgsmålet med andre ord, fjern filtre, eller ", h("a", { href: urlFor({ view: "search", q: state.q }), "data-route": true }, "søg i stedet"), "."),
      ),
    );
    parts[0].classList.add("no-answer");
  }
  const groups = data.by_municipality ?? [];
  if (groups.length) {
    parts.push(
      h(
        "section",
        { class: "overview", "aria-labelledby": "overview-title" },
        h("h2", { id: "overview-title" }, "Praksis pr. kommune"),
        h("p", { class: "muted" }, "De bedste passager fra hver kommune, i rækkefølge efter relevans."),
        h(
          "div",
          { class: "muni-grid" },
          groups.map((group) => municipalityCard({ municipality: group.municipality, region: group.region, passages: group.passages ?? [], level: 3 })),
        ),
      ),
    );
  }
  replace(els.output, parts);
  announce(data.answer ? `Svar med ${citations.size} kilder` : "Intet sikkert svar");
}

/**
 * An extracted answer is one cited sentence per passage ("Herning Kommune: … [2]"): shown as a list, the
 * municipality first. A generated answer is prose: shown as a paragraph.
 */
function answerBody(data, citations) {
  const sentences = String(data.answer).split(/(?<=\])\s+(?=[^\s[])/);
  if (data.mode === "generative" || sentences.length < 2) {
    return h("p", { class: "answer-text" }, answerText(data.answer, citations));
  }
  return h(
    "ul",
    { class: "answer-text answer-list" },
    sentences.map((sentence) => {
      const who = /^(.{2,60}? Kommune): /.exec(sentence);
      return h(
        "li",
        null,
        who ? h("strong", { class: "answer-who" }, `${who[1]}: `) : null,
        answerText(who ? sentence.slice(who[0].length) : sentence, citations),
      );
    }),
  );
}

/** The answer text with each [n] as a button to its citation; the text itself stays text. */
function answerText(text, citations) {
  const fragment = document.createDocumentFragment();
  for (const part of String(text).split(/(\[\d+\])/)) {
    const n = /^\[(\d+)\]$/.exec(part)?.[1];
    const citation = n ? citations.get(Number(n)) : null;
    if (citation) {
      fragment.append(
        h(
          "button",
          {
            type: "button",
            class: "cite-ref",
            "aria-controls": `kilde-${citation.n}`,
            dataset: { cite: citation.n },
            onclick: () => openCitation(citation.n),
          },
          `[${citation.n}]`,
          h("span", { class: "sr-only" }, ` kilde: ${[citation.municipality, placeLabel(citation)].filter(Boolean).join(", ")}`),
        ),
      );
    } else if (part) {
      fragment.append(part);
    }
  }
  return fragment;
}

function openCitation(n) {
  const item = document.getElementById(`kilde-${n}`);
  if (!item) return;
  const details = item.querySelector("details");
  details.open = true;
  reveal(details.querySelector("summary"));
}

function citationList(citations) {
  return h(
    "section",
    { class: "citations", "aria-labelledby": "citations-title" },
    h("h2", { id: "citations-title" }, "Kilder"),
    h(
      "ol",
      { class: "citation-list" },
      citations.map((c) =>
        h(
          "li",
          { id: `kilde-${c.n}`, class: "citation", dataset: { n: c.n, docId: c.doc_id } },
          h(
            "details",
            null,
            h(
              "summary",
              null,
              h("span", { class: "cite-n", "aria-hidden": "true" }, String(c.n)),
              h(
                "span",
                { class: "citation-head" },
                municipalityBadge(c.municipality, "muni-badge-small"),
                h("span", { class: "citation-title" }, c.title || "Uden titel"),
                h(
                  "span",
                  { class: "citation-meta" },
                  [c.year, placeLabel(c), c.paged !== false && c.section !== c.title ? sectionLabel(c.section) : null].filter(Boolean).join(" · "),
                ),
              ),
            ),
            h(
              "div",
              { class: "citation-body" },
              h("blockquote", { class: "quote" }, c.quote),
              h(
                "p",
                { class: "citation-links" },
                viewerLink(c),
                c.paged === false
                  ? openAtPage(c.doc_id, null)
                  : h("a", { class: "action-link open-file", href: c.url, target: "_blank", rel: "noopener" }, `Åbn dokumentet på side ${c.page}`, h("span", { class: "sr-only" }, " (åbner i en ny fane)")),
                h("a", { class: "action-link", href: documentPage(c.doc_id, c.page), "data-route": true }, "Se passagen i dokumentet"),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}
