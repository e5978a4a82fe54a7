// The search view's active filters: removable chips, "Ryd alle filtre", and what "no filters" means.

import { h, municipalityLabel, replace, typeLabel } from "./dom.js";
import { fold } from "./state.js";

/** True when the state narrows the search by any filter. */
export function hasFilters(state) {
  return Boolean(state.kommune.length || state.region.length || state.type.length || state.year_from || state.year_to);
}

/** The changes that remove every filter. */
export const noFilters = () => ({ kommune: [], region: [], type: [], year_from: "", year_to: "" });

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

/** The active filters as chips in `view.els.chips`, each removed with a click; the drawer button counts them. */
export function renderChips(view, state) {
  const { els, update } = view;
  const chips = chipsOf(state);
  document.getElementById("filters-open").textContent = chips.length ? `Filtre (${chips.length})` : "Filtre";
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
