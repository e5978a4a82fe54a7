// The search view's filters with counts: a list per facet ("Vis alle" for long ones) and the years.

import { formatNumber, h, municipalityLabel, replace, typeLabel } from "./dom.js";
import { sameName } from "./state.js";

const FACET_ROWS = 8;
const FACETS = [
  { key: "municipality", param: "kommune", title: "Kommune", label: municipalityLabel },
  { key: "region", param: "region", title: "Region", label: (v) => v },
  { key: "doc_type", param: "type", title: "Dokumenttype", label: typeLabel },
];
const expanded = new Set(); // the facets shown in full ("Vis alle"), kept from search to search

/**
 * The facet lists (municipality, region, type) and the years, with counts; `hits` are the results on screen, whose
 * values are always in view. A click adds or removes a value through `view.update`.
 */
export function renderFacets(view, facets, state, hits) {
  const { els, update, current } = view;
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
                renderFacets(view, facets, state, hits);
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
