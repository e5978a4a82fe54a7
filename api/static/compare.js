// The compare view: one topic, 2-6 municipalities (as the API allows), their best passages in columns.

import { errorView } from "./key.js";
import { api, getMunicipalities, query } from "./api.js";
import { municipalityCard } from "./cards.js";
import { announce, h, loading, municipalityLabel, replace } from "./dom.js";
import { loadMatrix, matrixView, modeSwitch } from "./matrix.js";
import { latest } from "./request.js";
import { navigate } from "./router.js";
import { fold, sameName } from "./state.js";

const MIN = 2;
const MAX = 6;

let els = null;
const requests = latest();
let known = []; // municipalities with documents
let wanted = []; // the selection asked for by the URL, applied when the list has loaded

const $ = (id) => document.getElementById(id);

export function initCompare() {
  els = {
    form: $("compare-form"),
    q: $("compare-q"),
    filter: $("compare-filter"),
    list: $("compare-municipalities"),
    count: $("compare-count"),
    error: $("compare-form-error"),
    output: $("compare-output"),
  };
  els.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = selected();
    const problem = !els.q.value.trim()
      ? ["Skriv et emne at sammenligne.", els.q]
      : chosen.length < MIN
        ? [`Vælg mindst ${MIN} kommuner.`, els.list.querySelector("input:not(:disabled)")]
        : null;
    els.error.hidden = !problem;
    if (problem) {
      els.error.textContent = problem[0];
      problem[1]?.focus();
      return;
    }
    navigate({ view: "compare", q: els.q.value, kommune: chosen }, { force: true });
  });
  els.list.addEventListener("change", () => {
    els.error.hidden = true;
    updateCount();
  });
  els.filter.addEventListener("input", () => {
    const key = fold(els.filter.value);
    for (const label of els.list.querySelectorAll(".check")) label.hidden = key !== "" && !label.dataset.key.includes(key);
  });
  els.filter.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault(); // filtering, not submitting
    if (event.key === "Escape" && els.filter.value) {
      event.preventDefault();
      els.filter.value = "";
      els.filter.dispatchEvent(new Event("input"));
    }
  });
  els.q.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && els.q.value) {
      event.preventDefault();
      els.q.value = "";
    }
  });
  replace(els.list, loading("Henter kommuner …"));
  getMunicipalities()
    .then((list) => {
      known = list;
      replace(
        els.list,
        list.map((m) =>
          h(
            "label",
            { class: "check", dataset: { key: fold(m.name) } },
            h("input", { type: "checkbox", name: "kommune", value: m.name }),
            h("span", { class: "check-name" }, municipalityLabel(m.name)),
            h("span", { class: "check-meta" }, `${m.documents} dok.`),
          ),
        ),
      );
      applySelection();
    })
    .catch((error) => replace(els.list, errorView(error, "Kommunerne kunne ikke hentes")));
}

const boxes = () => [...els.list.querySelectorAll("input[type=checkbox]")];
const selected = () => boxes().filter((b) => b.checked).map((b) => b.value);

function applySelection() {
  for (const box of boxes()) box.checked = wanted.some((name) => sameName(name, box.value));
  updateCount();
}

function updateCount() {
  const n = selected().length;
  for (const box of boxes()) box.disabled = !box.checked && n >= MAX;
  els.count.textContent = n === 0 ? `Ingen valgt (vælg ${MIN}–${MAX})` : `${n} valgt${n >= MAX ? " – højst " + MAX : ""}`;
}

export function showCompare(state, { fromHistory = false, force = false } = {}) {
  if (fromHistory || document.activeElement !== els.q) els.q.value = state.q;
  wanted = state.kommune;
  applySelection();
  const q = state.q.trim();
  document.title = q ? `»${q}« – Sammenlign – Vidensmægler` : "Sammenlign – Vidensmægler";
  if (!q || state.kommune.length < MIN) {
    requests.reset();
    replace(
      els.output,
      h(
        "div",
        { class: "intro" },
        h("h2", { class: "intro-title" }, "Side om side"),
        h("p", null, "Skriv fx »socialrådgivere på skolerne«, vælg kommunerne, og tryk Sammenlign. Hver kommune får sin egen kolonne med de mest relevante passager."),
      ),
    );
    return;
  }
  const key = JSON.stringify([q, state.kommune, state.visning]);
  if (!force && requests.has(key)) return;
  run(q, state.kommune, key, state.visning);
}

function run(q, kommuner, key, visning = "kolonner") {
  els.output.setAttribute("aria-busy", "true");
  replace(els.output, loading("Sammenligner …"));
  const matrix = visning === "matrix";
  const load = (signal) =>
    matrix ? loadMatrix(q, kommuner, signal) : api(`/api/compare?${query({ q, kommune: kommuner, k: 3 })}`, { signal });
  requests.run(key, load, {
    show: (data) => (matrix ? renderMatrix(data) : render(data)),
    fail: (error) => {
      replace(els.output, errorView(error, "Sammenligningen kunne ikke gennemføres"));
      announce(`Fejl: ${error.message}`);
    },
    settle: () => els.output.setAttribute("aria-busy", "false"),
  });
}

const switchTo = (visning) => navigate({ view: "compare", visning });

function renderMatrix(data) {
  replace(
    els.output,
    h("h2", { class: "compare-title" }, `»${data.query}« i ${data.municipalities.length} kommuner`),
    modeSwitch("matrix", switchTo),
    matrixView(data),
  );
  announce(`Matrix for ${data.municipalities.length} kommuner`);
}

function render(data) {
  const columns = data.columns ?? [];
  const regionOf = (name) => known.find((m) => m.name === name)?.region ?? null;
  replace(
    els.output,
    h("h2", { class: "compare-title" }, `»${data.query}« i ${columns.length} kommuner`),
    modeSwitch("kolonner", switchTo),
    h(
      "div",
      { class: `compare-grid cols-${Math.min(columns.length, 6)}` },
      columns.map((column) =>
        municipalityCard({
          municipality: column.municipality,
          region: column.results?.[0]?.region ?? regionOf(column.municipality),
          passages: column.results ?? [],
          empty: `${municipalityLabel(column.municipality)} har ingen dokumenter om emnet.`,
          level: 3,
        }),
      ),
    ),
  );
  announce(`Sammenligning af ${columns.length} kommuner`);
}
