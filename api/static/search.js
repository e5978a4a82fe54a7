// The search view: instant results, facets with counts, removable filter chips, rank or per-municipality view.

import { errorView } from "./key.js";
import { api, getMunicipalities, isAbort, query } from "./api.js";
import { hitCard } from "./cards.js";
import { announce, formatNumber, h, loading, municipalityLabel, notice, plural, replace, typeLabel } from "./dom.js";
import { navigate } from "./router.js";
import { fold, readState, sameName, urlFor } from "./state.js";

const DEBOUNCE_MS = 250;
const K = 20;
const FACET_ROWS = 8;
const FACETS = [
  { key: "municipality", param: "kommune", title: "Kommune", label: municipalityLabel },
  { key: "region", param: "region", title: "Region", label: (v) => v },
  { key: "doc_type", param: "type", title: "Dokumenttype", label: typeLabel },
];
const EXAMPLES = [
  "familiebehandling i hjemmet",
  "socialrådgivere på skolerne",
  "aflastning",
  "åben anonym rådgivning",
  "plejefamilier i barnets netværk",
];

let els = null;
let timer = 0;
let controller = null;
let pendingKey = null;
let shownKey = null;
let shown = null; // {data, state} of the results on screen
const expanded = new Set();

const $ = (id) => document.getElementById(id);

export function initSearch() {
  els = {
    form: $("search-form"),
    q: $("search-q"),
    results: $("search-results"),
    summary: $("search-summary"),
    chips: $("search-chips"),
    facets: $("facets"),
    yearFrom: $("year-from"),
    yearTo: $("year-to"),
    yearList: $("facet-year-list"),
    addMunicipality: $("add-municipality"),
    group: $("search-group"),
  };
  els.form.addEventListener("submit", (event) => {
    event.preventDefault();
    update({}, { force: true });
  });
  els.q.addEventListener("input", () => {
    clearTimeout(timer);
    // The first query gets its own history entry (Back returns to the empty page); refinements replace it.
    timer = setTimeout(() => {
      if (readState().view === "search") update({}, { replace: Boolean(lastState?.q.trim()) });
    }, DEBOUNCE_MS);
  });
  els.q.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      els.q.value = "";
      update({});
    }
  });
  els.form.addEventListener("change", (event) => {
    if (event.target.name === "mode") update({ mode: event.target.value });
  });
  els.group.addEventListener("change", (event) => update({ group: event.target.value }, { replace: true }));
  for (const input of [els.yearFrom, els.yearTo]) {
    input.addEventListener("change", () => update({ year_from: yearValue(els.yearFrom), year_to: yearValue(els.yearTo) }));
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        input.dispatchEvent(new Event("change"));
      }
    });
  }
  // A button, not the select's change event: arrow keys on a closed select would filter at every step.
  $("add-municipality-button").addEventListener("click", () => {
    const name = els.addMunicipality.value;
    if (!name) {
      els.addMunicipality.focus();
      return;
    }
    els.addMunicipality.value = "";
    const now = current().kommune;
    if (!now.some((k) => sameName(k, name))) update({ kommune: [...now, name] });
  });
  initDrawer();
  getMunicipalities()
    .then((list) => {
      for (const m of list) {
        els.addMunicipality.append(h("option", { value: m.name }, `${municipalityLabel(m.name)} (${m.documents})`));
      }
    })
    .catch(() => {});
}

// On a phone the filters are a drawer over the results, opened from the results toolbar.
function initDrawer() {
  const drawer = $("search-filters");
  const opener = $("filters-open");
  const set = (open) => {
    drawer.classList.toggle("is-open", open);
    document.body.classList.toggle("drawer-open", open);
    opener.setAttribute("aria-expanded", String(open));
    (open ? $("filters-title") : opener).focus();
  };
  opener.addEventListener("click", () => set(true));
  $("filters-close").addEventListener("click", () => set(false));
  drawer.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && drawer.classList.contains("is-open")) {
      event.preventDefault();
      set(false);
    }
  });
}

const yearValue = (input) => (/^\d{4}$/.test(input.value.trim()) ? input.value.trim() : "");

let lastState = null;
/** The state on screen, with the query as typed (it may be ahead of the URL while typing). */
function current() {
  return { ...lastState, q: els.q.value };
}

/** Apply a change from the controls: cancel a pending keystroke search, update the URL, show. */
function update(changes, options = {}) {
  clearTimeout(timer);
  navigate({ view: "search", q: els.q.value, ...changes }, options);
}

export function focusSearch() {
  els.q.focus();
  els.q.select();
}

export function showSearch(state, { fromHistory = false, force = false } = {}) {
  lastState = state;
  if (fromHistory || document.activeElement !== els.q) els.q.value = state.q;
  for (const input of els.form.elements.mode) input.checked = input.value === state.mode;
  for (const input of els.group.querySelectorAll("input")) input.checked = input.value === state.group;
  if (fromHistory || document.activeElement !== els.yearFrom) els.yearFrom.value = state.year_from;
  if (fromHistory || document.activeElement !== els.yearTo) els.yearTo.value = state.year_to;
  renderChips(state);
  document.title = state.q.trim() ? `»${state.q.trim()}« – Søg – Vidensmægler` : "Vidensmægler – find sammenlignelig kommunal praksis";

  const key = JSON.stringify([state.q.trim(), state.mode, state.kommune, state.region, state.type, state.year_from, state.year_to]);
  if (!state.q.trim()) {
    controller?.abort();
    controller = null;
    pendingKey = shownKey = shown = null;
    setBusy(false);
    renderIntro();
    return;
  }
  if (!force && (key === pendingKey || key === shownKey)) {
    if (key === shownKey && shown && shown.state.group !== state.group) {
      shown.state = state;
      renderResults(shown.data, state);
    }
    return;
  }
  run(state, key);
}

async function run(state, key) {
  controller?.abort();
  const mine = (controller = new AbortController());
  pendingKey = key;
  setBusy(true);
  const params = query({
    q: state.q.trim(),
    k: K,
    mode: state.mode,
    kommune: state.kommune,
    region: state.region,
    type: state.type,
    year_from: state.year_from,
    year_to: state.year_to,
  });
  try {
    const data = await api(`/api/search?${params}`, { signal: mine.signal });
    if (mine !== controller) return;
    shownKey = key;
    shown = { data, state };
    renderFacets(data.facets ?? {}, state, data.results ?? []);
    renderResults(data, state);
  } catch (error) {
    if (isAbort(error) || mine !== controller) return;
    shownKey = null;
    shown = null;
    renderError(error, state);
  } finally {
    if (mine === controller) {
      controller = null;
      pendingKey = null;
      setBusy(false);
    }
  }
}

function setBusy(busy) {
  els.results.setAttribute("aria-busy", String(busy));
  els.results.classList.toggle("is-stale", busy && Boolean(shown));
  if (busy) {
    if (shown) replace(els.summary, h("span", { class: "spinner", "aria-hidden": "true" }), "Søger …");
    else {
      replace(els.summary);
      replace(els.results, loading("Søger …"));
    }
  }
}

// -- rendering -----------------------------------------------------------------------------------

function renderIntro() {
  replace(els.summary);
  els.group.hidden = true;
  replace(els.facets, h("p", { class: "muted small" }, "Filtrene viser antal dokumenter, når du har søgt."));
  replace(els.yearList);
  replace(
    els.results,
    h(
      "div",
      { class: "intro" },
      h("h2", { class: "intro-title" }, "Hvordan gør andre kommuner?"),
      h(
        "p",
        null,
        "Skriv et emne, en indsats eller en paragraf. Resultaterne viser kommune, dokumenttype, år, side og afsnit, så du hurtigt kan finde og sammenligne praksis.",
      ),
      h("p", { class: "intro-label", id: "examples-label" }, "Prøv fx:"),
      h(
        "ul",
        { class: "example-list", "aria-labelledby": "examples-label" },
        EXAMPLES.map((text) => h("li", null, h("a", { class: "example", href: urlFor({ view: "search", q: text }), "data-route": true }, text))),
      ),
      h(
        "dl",
        { class: "mode-help" },
        h("dt", null, "Kombineret"),
        h("dd", null, "finder tekster med dine ord og tekster, der betyder det samme. Det er det bedste udgangspunkt."),
        h("dt", null, "Betydning"),
        h("dd", null, "finder også tekster, der bruger helt andre ord om det samme."),
        h("dt", null, "Ord"),
        h("dd", null, "finder kun tekster, der indeholder dine ord (også bøjet, fx »børn« og »børnene«)."),
      ),
    ),
  );
}

function renderError(error, state) {
  replace(els.summary);
  els.group.hidden = true;
  replace(els.facets, h("p", { class: "muted small" }, "Filtrene viser antal dokumenter, når søgningen lykkes."));
  replace(els.yearList);
  const box = errorView(error, "Søgningen kunne ikke gennemføres");
  const actions = h("p", { class: "notice-actions" });
  // "Ukendt kommune: »Hjorringg«. Mente du »Hjørring«?": offer the suggestion as a button.
  const typo = /Ukendt kommune: »(.+?)«\. Mente du »(.+?)«\?/.exec(error.message);
  if (typo && state.kommune.includes(typo[1])) {
    const [, wrong, right] = typo;
    actions.append(
      h(
        "button",
        { type: "button", class: "btn btn-primary", onclick: () => update({ kommune: state.kommune.map((k) => (k === wrong ? right : k)) }) },
        `Søg i ${right} i stedet`,
      ),
    );
  }
  if (hasFilters(state)) actions.append(h("button", { type: "button", class: "btn", onclick: () => update(noFilters()) }, "Fjern alle filtre"));
  if (actions.childNodes.length) box.append(actions);
  replace(els.results, box);
  announce(`Fejl: ${error.message}`);
}

// What the service read out of the query ("Forstået: Herning · fra 2023") and a spelling suggestion.
function interpretation(data) {
  const lines = [];
  const u = data.understood;
  if (u) {
    const years = [u.year_from != null ? `fra ${u.year_from}` : null, u.year_to != null ? `til ${u.year_to}` : null];
    const parts = [...(u.kommuner ?? []), ...(u.regions ?? []), ...years, u.law].filter(Boolean);
    if (parts.length) {
      const how = u.applied_as === "filter" ? " (filtreret)" : u.applied_as === "boost" ? " (vægtet højere)" : "";
      lines.push(h("p", { class: "understood" }, `Forstået: ${parts.join(" · ")}${how}`));
    }
    if (u.expansions?.length) lines.push(h("p", { class: "understood" }, `Søger også: ${u.expansions.join(", ")}`));
  }
  if (data.suggestion) {
    lines.push(
      h(
        "p",
        { class: "suggestion" },
        "Mente du: ",
        h("button", { type: "button", class: "link-button", onclick: () => update({ q: data.suggestion }) }, data.suggestion),
        "?",
      ),
    );
  }
  return lines;
}

function renderResults(data, state) {
  const hits = data.results ?? [];
  const q = data.query ?? state.q.trim();
  els.group.hidden = hits.length === 0;
  if (!hits.length) {
    replace(els.summary, ...interpretation(data));
    const tips = h(
      "ul",
      { class: "tips" },
      hasFilters(state) ? h("li", null, "Fjern et eller flere filtre.") : null,
      h("li", null, "Prøv andre eller færre ord."),
      state.mode !== "dense" ? h("li", null, "Vælg søgemåden »Betydning«, der også finder tekster med andre ord.") : null,
    );
    replace(
      els.results,
      notice(
        `Ingen resultater for »${q}«`,
        tips,
        hasFilters(state) ? h("button", { type: "button", class: "btn", onclick: () => update(noFilters()) }, "Fjern alle filtre") : null,
      ),
    );
    els.results.firstChild.classList.add("empty-state");
    announce(`Ingen resultater for »${q}«`);
    return;
  }
  const municipalities = new Set(hits.map((hit) => hit.municipality));
  replace(
    els.summary,
    h("strong", null, plural(hits.length, "resultat", "resultater")),
    ` for »${q}« fra ${plural(municipalities.size, "kommune", "kommuner")}`,
    matchedLine(data, state),
    h("span", { class: "took" }, ` · ${formatNumber(Math.max(1, Math.round(data.took_ms ?? 0)))} ms`),
    ...interpretation(data),
  );
  if (state.group === "kommune") {
    const groups = new Map();
    for (const hit of hits) {
      if (!groups.has(hit.municipality)) groups.set(hit.municipality, []);
      groups.get(hit.municipality).push(hit);
    }
    replace(
      els.results,
      [...groups].map(([name, items]) =>
        h(
          "section",
          { class: "muni-group", dataset: { municipality: name } },
          h(
            "h2",
            { class: "muni-group-title" },
            h("span", { class: "muni-badge" }, municipalityLabel(name)),
            h("span", { class: "muni-group-meta" }, [items[0].region, plural(items.length, "resultat", "resultater")].filter(Boolean).join(" · ")),
          ),
          h("ol", { class: "hit-list" }, items.map((hit) => h("li", null, hitCard(hit, { level: 3, municipality: false })))),
        ),
      ),
    );
  } else {
    replace(
      els.results,
      h("h2", { class: "sr-only" }, "Resultater"),
      h("ol", { class: "hit-list" }, hits.map((hit) => h("li", null, hitCard(hit, { level: 3 })))),
    );
  }
  announce(`${plural(hits.length, "resultat", "resultater")} for »${q}«`);
}

// What the facets count: the documents that match closely, from as many municipalities as the filter lists.
function matchedLine(data, state) {
  if (data.matched == null) return null;
  const counts = data.facets?.municipality ?? {};
  const names = Object.keys(counts).filter((name) => !state.kommune.length || state.kommune.some((v) => sameName(v, name)));
  const hits = data.results ?? [];
  const documents = new Set(hits.map((hit) => hit.doc_id)).size;
  const shownMunicipalities = new Set(hits.map((hit) => hit.municipality)).size;
  if (data.matched === documents && names.length === shownMunicipalities) return null; // the hits are all of them
  return h(
    "span",
    { class: "matched" },
    ` · i alt ${plural(data.matched, "relevant dokument", "relevante dokumenter")} fra ${plural(names.length, "kommune", "kommuner")}`,
  );
}

function renderFacets(facets, state, hits = shown?.data.results ?? []) {
  const focused = document.activeElement?.dataset?.focusKey;
  const groups = FACETS.map(({ key, param, title, label }) => {
    const counts = { ...(facets[key] ?? {}) };
    for (const value of state[param]) {
      if (!Object.keys(counts).some((name) => sameName(name, value))) counts[value] = 0;
    }
    const entries = Object.entries(counts);
    if (!entries.length) return null;
    const isActive = (value) => state[param].some((v) => sameName(v, value));
    // The values of the hits on screen are always in view, however small their count.
    const onScreen = new Set(hits.map((hit) => String(hit[key])));
    const open = expanded.has(key);
    const long = entries.length > FACET_ROWS + 2;
    const visible = open || !long ? entries : entries.filter(([value], i) => i < FACET_ROWS || isActive(value) || onScreen.has(value));
    const list = h(
      "ul",
      { class: "facet-list" },
      visible.map(([value, count]) =>
        h(
          "li",
          null,
          facetButton({
            label: label(value),
            count,
            pressed: isActive(value),
            focusKey: `${param}:${value}`,
            dataset: { param, value },
            onclick: () => {
              const now = current()[param];
              const others = now.filter((v) => !sameName(v, value));
              update({ [param]: others.length < now.length ? others : [...now, value] });
            },
          }),
        ),
      ),
    );
    const hidden = entries.length - visible.length;
    const more = long && (open || hidden > 0)
        ? h(
            "button",
            {
              type: "button",
              class: "link-button small",
              "aria-expanded": String(open),
              dataset: { focusKey: `more:${key}` },
              onclick: () => {
                if (open) expanded.delete(key);
                else expanded.add(key);
                renderFacets(facets, state, hits);
              },
            },
            open ? "Vis færre" : `Vis alle ${entries.length}`,
          )
        : null;
    return h("div", { class: "facet", dataset: { facet: key } }, h("h3", { class: "facet-title" }, title), list, more);
  }).filter(Boolean);
  replace(els.facets, groups.length ? groups : h("p", { class: "muted small" }, "Ingen filtre for denne søgning."));

  const years = Object.entries(facets.year ?? {}).sort(([a], [b]) => Number(b) - Number(a));
  const single = state.year_from && state.year_from === state.year_to ? state.year_from : null;
  replace(
    els.yearList,
    years.length
      ? h(
          "ul",
          { class: "year-list", "aria-label": "Dokumenter pr. år" },
          years.map(([year, count]) =>
            h(
              "li",
              null,
              facetButton({
                label: year,
                count,
                pressed: single === year,
                focusKey: `year:${year}`,
                dataset: { param: "year", value: year },
                compact: true,
                onclick: () => {
                  const now = current();
                  const on = now.year_from === year && now.year_to === year;
                  update(on ? { year_from: "", year_to: "" } : { year_from: year, year_to: year });
                },
              }),
            ),
          ),
        )
      : null,
  );
  if (focused) els.facets.closest("aside").querySelector(`[data-focus-key="${CSS.escape(focused)}"]`)?.focus();
}

function facetButton({ label, count, pressed, focusKey, dataset, onclick, compact = false }) {
  return h(
    "button",
    {
      type: "button",
      class: compact ? "facet-option facet-option-compact" : "facet-option",
      "aria-pressed": String(pressed),
      dataset: { ...dataset, focusKey },
      onclick,
    },
    compact ? null : h("span", { class: "facet-check", "aria-hidden": "true" }),
    h("span", { class: "facet-name" }, label),
    h("span", { class: "facet-count" }, formatNumber(count), h("span", { class: "sr-only" }, count === 1 ? " dokument" : " dokumenter")),
  );
}

// -- filter chips --------------------------------------------------------------------------------

function hasFilters(state) {
  return Boolean(state.kommune.length || state.region.length || state.type.length || state.year_from || state.year_to);
}

const noFilters = () => ({ kommune: [], region: [], type: [], year_from: "", year_to: "" });

function chipsOf(state) {
  const chips = [];
  for (const v of state.kommune) chips.push({ key: `kommune:${fold(v)}`, label: `Kommune: ${municipalityLabel(v)}`, remove: { kommune: state.kommune.filter((x) => x !== v) } });
  for (const v of state.region) chips.push({ key: `region:${fold(v)}`, label: /^region /i.test(v) ? v : `Region ${v}`, remove: { region: state.region.filter((x) => x !== v) } });
  for (const v of state.type) chips.push({ key: `type:${v}`, label: `Type: ${typeLabel(v)}`, remove: { type: state.type.filter((x) => x !== v) } });
  if (state.year_from && state.year_from === state.year_to) {
    chips.push({ key: "year", label: `År: ${state.year_from}`, remove: { year_from: "", year_to: "" } });
  } else {
    if (state.year_from) chips.push({ key: "year_from", label: `Fra år ${state.year_from}`, remove: { year_from: "" } });
    if (state.year_to) chips.push({ key: "year_to", label: `Til år ${state.year_to}`, remove: { year_to: "" } });
  }
  return chips;
}

function renderChips(state) {
  const chips = chipsOf(state);
  $("filters-open").textContent = chips.length ? `Filtre (${chips.length})` : "Filtre";
  els.chips.hidden = chips.length === 0;
  if (!chips.length) {
    replace(els.chips);
    return;
  }
  const buttons = chips.map((chip, index) =>
    h(
      "li",
      null,
      h(
        "button",
        {
          type: "button",
          class: "chip",
          "aria-label": `Fjern filteret ${chip.label}`,
          dataset: { chip: chip.key },
          onclick: () => {
            update(chip.remove);
            // Keep the keyboard in the chip row: the next chip, else the search box.
            const rest = els.chips.querySelectorAll(".chip");
            (rest[Math.min(index, rest.length - 1)] ?? els.q).focus();
          },
        },
        h("span", { class: "chip-label" }, chip.label),
        h("span", { class: "chip-x", "aria-hidden": "true" }, "×"),
      ),
    ),
  );
  replace(
    els.chips,
    h("h2", { class: "chips-title", id: "chips-title" }, "Aktive filtre"),
    h("ul", { class: "chips", "aria-labelledby": "chips-title" }, buttons),
    chips.length > 1
      ? h("button", { type: "button", class: "link-button small", onclick: () => { update(noFilters()); els.q.focus(); } }, "Ryd alle filtre")
      : null,
  );
}
