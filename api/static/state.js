// The page's state lives in the URL, so every view can be shared, bookmarked and reached with Back.

export const VIEWS = ["search", "ask", "compare", "status", "doc"];
export const MODES = ["hybrid", "dense", "lexical"];

const yearParam = (value) => (/^\d{4}$/.test(value ?? "") ? value : "");
const positive = (value) => (/^[1-9]\d{0,5}$/.test(value ?? "") ? Number(value) : null);
const list = (params, key) => params.getAll(key).map((v) => v.trim()).filter(Boolean);

/** The state described by a location: /?q=…&kommune=…, /?view=ask, /?doc=<id>, /#/dokument/<id>. */
export function readState(location = window.location) {
  const params = new URLSearchParams(location.search);
  let doc = params.get("doc") || "";
  const hashDoc = /^#\/dokument\/([^/?#]+)/.exec(location.hash || "");
  if (hashDoc) doc = decodeURIComponent(hashDoc[1]);
  const view = doc ? "doc" : VIEWS.includes(params.get("view")) ? params.get("view") : "search";
  const mode = params.get("mode");
  return {
    view,
    doc,
    side: positive(params.get("side")),
    q: params.get("q") ?? "",
    mode: MODES.includes(mode) ? mode : "hybrid",
    kommune: list(params, "kommune"),
    region: list(params, "region"),
    type: list(params, "type"),
    year_from: yearParam(params.get("year_from")),
    year_to: yearParam(params.get("year_to")),
    group: params.get("grupper") === "kommune" ? "kommune" : "rank",
    udelad: (params.get("udelad") ?? "").trim(),
    visning: params.get("visning") === "matrix" ? "matrix" : "kolonner",
  };
}

/** The shareable address of a state; only what matters for its view is written. */
export function urlFor(state) {
  const params = new URLSearchParams();
  const add = (key, values) => {
    for (const value of [].concat(values ?? [])) if (value !== "" && value !== null) params.append(key, value);
  };
  const q = (state.q ?? "").trim();
  switch (state.view) {
    case "doc":
      add("doc", state.doc);
      add("side", state.side);
      break;
    case "ask":
      add("view", "ask");
      add("q", q);
      add("kommune", state.kommune);
      add("udelad", state.udelad);
      add("region", state.region);
      add("type", state.type);
      break;
    case "compare":
      add("view", "compare");
      add("q", q);
      add("kommune", state.kommune);
      if (state.visning === "matrix") add("visning", "matrix");
      break;
    case "status":
      add("view", "status");
      break;
    default:
      add("q", q);
      if (state.mode && state.mode !== "hybrid") add("mode", state.mode);
      add("kommune", state.kommune);
      add("region", state.region);
      add("type", state.type);
      add("year_from", state.year_from);
      add("year_to", state.year_to);
      if (state.group === "kommune") add("grupper", "kommune");
  }
  const search = params.toString();
  return search ? `/?${search}` : "/";
}

/** The document page of a document, optionally at a page. */
export const documentPage = (docId, side) => urlFor({ view: "doc", doc: docId, side });

// The service's one fold (language/folding.py), written the same way; tests/language/test_folding.py runs both.
const FOLD_TABLE = { æ: "ae", ø: "oe", å: "aa", ä: "ae", ö: "oe", œ: "oe", ß: "ss", ð: "d", đ: "d", þ: "th", ł: "l", ı: "i" };

/** A spelling-insensitive key, as the service compares names: case, æøå, accents and spacing do not matter. */
export function fold(text) {
  let key = String(text ?? "").toLowerCase().replace(/[æøåäöœßðđþłı]/g, (c) => FOLD_TABLE[c]);
  key = key.normalize("NFKD").replace(/[^\x00-\x7f]/g, "");
  key = key.replace(/ae|oe|aa/g, (m) => m[0]);
  return key.replace(/[^a-z0-9]/g, "");
}

/** Two names are the same when their folds are, "Region" in front or not. */
export const sameName = (a, b) => fold(String(a ?? "").replace(/^\s*region\s+/i, "")) === fold(String(b ?? "").replace(/^\s*region\s+/i, ""));
