// The search view's main column: the summary line, the hits (ranked or per municipality), no results, errors.

import { exampleIntro, hitCard } from "./cards.js";
import { hasFilters, noFilters } from "./chips.js";
import { announce, formatNumber, h, municipalityLabel, notice, plural, replace } from "./dom.js";
import { errorView } from "./key.js";
import { sameName } from "./state.js";

const EXAMPLES = [
  "familiebehandling i hjemmet",
  "socialrådgivere på skolerne",
  "aflastning",
  "åben anonym rådgivning",
  "plejefamilier i barnets netværk",
];

/** The empty search: what to search for, examples, and what the three modes do. */
export function renderIntro(view) {
  const { els } = view;
  replace(els.summary);
  els.group.hidden = true;
  replace(els.facets, h("p", { class: "muted small" }, "Filtrene viser antal dokumenter, når du har søgt."));
  replace(els.yearList);
  replace(
    els.results,
    exampleIntro({
      view: "search",
      title: "Hvordan gør andre kommuner?",
      text: "Skriv et emne, en indsats eller en paragraf. Resultaterne viser kommune, dokumenttype, år, side og afsnit, så du hurtigt kan finde og sammenligne praksis.",
      examples: EXAMPLES,
      more: h(
        "dl",
        { class: "mode-help" },
        h("dt", null, "Kombineret"),
        h("dd", null, "finder tekster med dine ord og tekster, der betyder det samme. Det er det bedste udgangspunkt."),
        h("dt", null, "Betydning"),
        h("dd", null, "finder også tekster, der bruger helt andre ord om det samme."),
        h("dt", null, "Ord"),
        h("dd", null, "finder kun tekster, der indeholder dine ord (også bøjet, fx »børn« og »børnene«)."),
      ),
    }),
  );
}

/** A failed search: the service's message, and the way out (a suggested municipality, no filters). */
export function renderError(view, error, state) {
  const { els, update } = view;
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
function interpretation(data, update) {
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

/** The results, ranked or grouped per municipality, with a summary of what was found and understood. */
export function renderResults(view, data, state) {
  const { els, update } = view;
  const hits = data.results ?? [];
  const q = data.query ?? state.q.trim();
  els.group.hidden = hits.length === 0;
  if (!hits.length) {
    replace(els.summary, ...interpretation(data, update));
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
        data.no_results_reason ? h("p", { class: "no-results-reason" }, data.no_results_reason) : null,
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
    ...interpretation(data, update),
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
