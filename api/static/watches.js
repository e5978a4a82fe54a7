// Saved searches: "Gem søgning" on the search view, and the "Nyt siden sidst" view with counts per watch.

import { api } from "./api.js";
import { formatDateTime, h, loading, municipalityBadge, notice, plural, replace, typeLabel } from "./dom.js";
import { errorView } from "./key.js";
import { latest } from "./request.js";
import { documentPage, readState } from "./state.js";

let els = null;
const requests = latest();

const watchPath = (name, suffix = "") => `/api/watches/${encodeURIComponent(name)}${suffix}`;

export function initWatches() {
  els = {
    save: document.getElementById("save-search"),
    form: document.getElementById("save-search-form"),
    name: document.getElementById("save-search-name"),
    message: document.getElementById("save-search-message"),
    output: document.getElementById("watches-output"),
  };
  els.save.addEventListener("click", () => {
    els.form.hidden = false;
    els.message.textContent = "";
    els.name.value ||= readState().q.trim().slice(0, 80);
    els.name.focus();
    els.name.select();
  });
  els.form.addEventListener("submit", (event) => {
    event.preventDefault();
    save();
  });
  els.form.querySelector("[data-cancel]").addEventListener("click", () => {
    els.form.hidden = true;
    els.save.focus();
  });
}

/** The save button belongs to a search that has words; called on every route. */
export function syncSaveSearch(state) {
  const shown = state.view === "search" && state.q.trim() !== "";
  els.save.hidden = !shown;
  if (!shown) els.form.hidden = true;
}

async function save() {
  const state = readState();
  const name = els.name.value.trim();
  if (!name) {
    els.message.textContent = "Giv overvågningen et navn.";
    els.name.focus();
    return;
  }
  const body = {
    name,
    query: state.q.trim(),
    kommuner: state.kommune,
    regions: state.region,
    types: state.type,
    mode: state.mode,
    year_from: state.year_from ? Number(state.year_from) : null,
    year_to: state.year_to ? Number(state.year_to) : null,
  };
  try {
    await api("/api/watches", { method: "POST", body });
    els.form.hidden = true;
    els.name.value = "";
    els.message.textContent = "";
    replace(
      document.getElementById("save-search-status"),
      `Søgningen er gemt som »${name}«. Nye og ændrede dokumenter vises under `,
      h("a", { href: "/?view=watches", "data-route": true }, "Nyt siden sidst"),
      " efter næste genindeksering.",
    );
  } catch (error) {
    els.message.textContent = error.message;
    els.name.focus();
  }
}

export function showWatches() {
  document.title = "Nyt siden sidst – Vidensmægler";
  load();
}

function load() {
  els.output.setAttribute("aria-busy", "true");
  replace(els.output, loading("Henter dine overvågninger …"));
  requests.run("watches", (signal) => api("/api/watches", { signal }), {
    show: (data) => render(data.watches ?? []),
    fail: (error) => replace(els.output, errorView(error, "Overvågningerne kunne ikke hentes")),
    settle: () => els.output.setAttribute("aria-busy", "false"),
  });
}

function render(watches) {
  if (!watches.length) {
    replace(
      els.output,
      notice(
        "Du har ingen overvågninger endnu",
        h("p", null, "Søg efter et emne, og tryk »Gem søgning«. Efter hver genindeksering ser du her de nye og ændrede dokumenter, søgningen finder."),
      ),
    );
    return;
  }
  replace(els.output, h("ul", { class: "watch-list" }, watches.map((watch) => h("li", null, watchCard(watch)))));
}

function watchCard(watch) {
  const news = h("div", { class: "watch-news" });
  const details = h(
    "details",
    { class: "watch", dataset: { watch: watch.name, owner: watch.owner } },
    h(
      "summary",
      { class: "watch-head" },
      h("span", { class: "watch-name" }, watch.name),
      h("span", { class: `watch-count${watch.new ? " watch-count-new" : ""}` }, plural(watch.new, "nyt", "nye")),
      h("span", { class: "watch-meta muted small" }, `»${watch.query}« · senest kørt: ${watch.last_run ? formatDateTime(watch.last_run) : "endnu ikke"}`),
    ),
    news,
    h(
      "p",
      { class: "watch-actions" },
      h("a", { href: `/?q=${encodeURIComponent(watch.query)}`, "data-route": true }, "Søg igen"),
      " · ",
      h("button", { type: "button", class: "link-button", onclick: () => remove(watch) }, "Slet overvågningen"),
    ),
  );
  details.addEventListener("toggle", () => {
    if (details.open && !news.dataset.loaded) loadNews(watch, news);
  });
  return details;
}

const ownerQuery = (watch) => (watch.owner ? `?owner=${encodeURIComponent(watch.owner)}` : "");

async function loadNews(watch, box) {
  replace(box, loading("Henter dokumenterne …"));
  try {
    const data = await api(watchPath(watch.name, "/news") + ownerQuery(watch));
    box.dataset.loaded = "1";
    const items = data.news ?? [];
    if (!items.length) {
      replace(box, h("p", { class: "muted" }, "Ingen nye eller ændrede dokumenter ved seneste kørsel."));
      return;
    }
    replace(
      box,
      h(
        "ol",
        { class: "news-list" },
        items.map((item) =>
          h(
            "li",
            { class: "news-item", dataset: { kind: item.kind } },
            h("span", { class: `news-kind news-kind-${item.kind === "ændret" ? "changed" : "new"}` }, item.kind),
            municipalityBadge(item.municipality, "muni-badge-small"),
            h("a", { href: documentPage(item.doc_id), "data-route": true, class: "news-title" }, item.title),
            h("span", { class: "muted small" }, [typeLabel(item.doc_type), item.year].filter(Boolean).join(" · ")),
          ),
        ),
      ),
    );
  } catch (error) {
    replace(box, errorView(error, "Dokumenterne kunne ikke hentes"));
  }
}

async function remove(watch) {
  try {
    await api(watchPath(watch.name) + ownerQuery(watch), { method: "DELETE" });
    load();
  } catch (error) {
    replace(els.output, errorView(error, "Overvågningen kunne ikke slettes"));
  }
}
