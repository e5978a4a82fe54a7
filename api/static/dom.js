// Small DOM helpers. Every string from the server becomes a text node: nothing untrusted is parsed as HTML.

/** Build an element: h("a", {href: "/", class: "x"}, "tekst", child). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "href") el.setAttribute("href", safeHref(value));
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replace all children of an element. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Only same-origin paths ("/…", "?…", "#…") are used as links; anything else becomes inert. */
export function safeHref(value) {
  const href = String(value ?? "");
  return /^(\/(?![/\\])|\?|#)/.test(href) ? href : "#";
}

const NAMED = new Map([
  ["amp", "&"],
  ["lt", "<"],
  ["gt", ">"],
  ["quot", '"'],
  ["apos", "'"],
  ["nbsp", "\u00a0"],
]);

/** Decode the entities of server-escaped text into plain text (used only for text nodes). */
export function unescapeHtml(text) {
  return String(text).replace(/&(#[xX][0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, entity) => {
    if (entity[0] === "#") {
      const hex = entity[1] === "x" || entity[1] === "X";
      const code = parseInt(entity.slice(hex ? 2 : 1), hex ? 16 : 10);
      return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED.get(entity.toLowerCase()) ?? whole;
  });
}

/**
 * A highlighted snippet from the server: HTML-escaped text with <mark>…</mark> around matches.
 * Split on the two tokens only; everything else becomes text nodes.
 */
export function snippet(escaped) {
  const fragment = document.createDocumentFragment();
  let marked = false;
  for (const part of String(escaped ?? "").split(/(<mark>|<\/mark>)/)) {
    if (part === "<mark>") marked = true;
    else if (part === "</mark>") marked = false;
    else if (part) {
      const text = unescapeHtml(part);
      fragment.append(marked ? h("mark", null, text) : document.createTextNode(text));
    }
  }
  return fragment;
}

/** Plain text cut at a word boundary. */
export function excerpt(text, max = 260) {
  const clean = String(text ?? "").replace(/\s+/g, " ").trim();
  if (clean.length <= max) return clean;
  const cut = clean.slice(0, max);
  const space = cut.lastIndexOf(" ");
  return (space > max * 0.6 ? cut.slice(0, space) : cut) + " …";
}

const TYPE_LABELS = new Map([["dagsorden/referat", "Dagsorden/referat"]]);

export function typeLabel(type) {
  if (!type) return "";
  return TYPE_LABELS.get(type) ?? type.charAt(0).toUpperCase() + type.slice(1);
}

/** A section path "Kapitel > Afsnit" as "Kapitel › Afsnit". */
export const sectionLabel = (section) => String(section ?? "").split(" > ").join(" › ");

export function municipalityLabel(name) {
  return !name || name === "ukendt" ? "Ukendt kommune" : name;
}

export function pageLabel(page, pageEnd) {
  if (!page) return "";
  return pageEnd && pageEnd !== page ? `side ${page}–${pageEnd}` : `side ${page}`;
}

const numberFormat = new Intl.NumberFormat("da-DK");
export const formatNumber = (n) => numberFormat.format(Number(n) || 0);

export function formatDateTime(unixSeconds) {
  const date = new Date(Number(unixSeconds) * 1000);
  if (Number.isNaN(date.getTime())) return "ukendt tidspunkt";
  return new Intl.DateTimeFormat("da-DK", { dateStyle: "long", timeStyle: "short" }).format(date);
}

export function formatSeconds(seconds) {
  const s = Number(seconds) || 0;
  if (s < 60) return `${new Intl.NumberFormat("da-DK", { maximumFractionDigits: 1 }).format(s)} s`;
  const minutes = Math.floor(s / 60);
  return `${minutes} min ${Math.round(s % 60)} s`;
}

export function formatBytes(bytes) {
  const n = Number(bytes) || 0;
  const format = (v) => new Intl.NumberFormat("da-DK", { maximumFractionDigits: 1 }).format(v);
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${format(n / 1024)} kB`;
  return `${format(n / 1024 / 1024)} MB`;
}

/** Counted noun in Danish: plural(3, "dokument", "dokumenter"). */
export function plural(n, one, many) {
  return `${formatNumber(n)} ${Number(n) === 1 ? one : many}`;
}

/** The municipality as a prominent label. */
export function municipalityBadge(name, extra = "") {
  return h("span", { class: `muni-badge ${extra}`.trim() }, municipalityLabel(name));
}

/** A loading line with a spinner, announced politely. */
export function loading(text) {
  return h("p", { class: "loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), text);
}

/** An error box with the API's own message. */
export function errorBox(message, title = "Der skete en fejl") {
  return h(
    "div",
    { class: "notice notice-error", role: "alert" },
    h("p", { class: "notice-title" }, title),
    h("p", { class: "error-message" }, message),
  );
}

/** A calm notice (empty results, no answer). */
export function notice(title, ...body) {
  return h("div", { class: "notice" }, h("p", { class: "notice-title" }, title), ...body);
}

/** Move the view to an element, respecting the user's motion preference. */
export function reveal(el, { focus = true } = {}) {
  const reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  el.scrollIntoView({ behavior: reduce ? "auto" : "smooth", block: "center" });
  if (focus) el.focus({ preventScroll: true });
  el.classList.remove("flash");
  void el.offsetWidth; // restart the highlight animation
  el.classList.add("flash");
}

let announceTimer = 0;
/** Tell screen readers about a change (results count, errors). */
export function announce(text) {
  const el = document.getElementById("announcer");
  if (!el) return;
  clearTimeout(announceTimer);
  el.textContent = "";
  announceTimer = setTimeout(() => (el.textContent = text), 60);
}
