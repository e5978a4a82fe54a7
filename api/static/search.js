// The search view: instant results, facets with counts, removable filter chips, rank or per-municipality view.

import { api, getMunicipalities, query } from "./api.js";
import { renderChips } from "./chips.js";
import { h, loading, municipalityLabel, replace } from "./dom.js";
import { renderFacets } from "./facets.js";
import { latest } from "./request.js";
import { navigate } from "./router.js";
import { renderError, renderIntro, renderResults } from "./search-results.js";
import { readState, sameName } from "./state.js";

const DEBOUNCE_MS = 250;
const K = 20;

let els = null;
let view = null; // what the renderers need: the elements, and the way to change the search
let timer = 0;
const requests = latest();
let shown = null; // {data, state} of the results on screen

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
  view = { els, update, current };
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
  renderChips(view, state);
  document.title = state.q.trim() ? `»${state.q.trim()}« – Søg – Vidensmægler` : "Vidensmægler – find sammenlignelig kommunal praksis";

  const key = JSON.stringify([state.q.trim(), state.mode, state.kommune, state.region, state.type, state.year_from, state.year_to]);
  if (!state.q.trim()) {
    requests.reset();
    shown = null;
    setBusy(false);
    renderIntro(view);
    return;
  }
  if (!force && requests.has(key)) {
    // Grouping is drawn here, not asked of the service.
    if (requests.shows(key) && shown && shown.state.group !== state.group) {
      shown.state = state;
      renderResults(view, shown.data, state);
    }
    return;
  }
  run(state, key);
}

function run(state, key) {
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
  requests.run(key, (signal) => api(`/api/search?${params}`, { signal }), {
    show: (data) => {
      shown = { data, state };
      renderFacets(view, data.facets ?? {}, state, data.results ?? []);
      renderResults(view, data, state);
    },
    fail: (error) => {
      shown = null;
      renderError(view, error, state);
    },
    settle: () => setBusy(false),
  });
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
