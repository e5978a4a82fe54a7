// Vidensmægler's web page: one page, five views, the state in the URL.

import { initAsk, showAsk } from "./ask.js";
import { initCompare, showCompare } from "./compare.js";
import { initDocument, showDocument } from "./document.js";
import { go, setRouteHandler } from "./router.js";
import { focusSearch, initSearch, showSearch } from "./search.js";
import { readState, urlFor } from "./state.js";
import { initStatus, showStatus } from "./status.js";

const VIEWS = {
  search: showSearch,
  ask: showAsk,
  compare: showCompare,
  status: showStatus,
  doc: showDocument,
};

const lastUrl = {}; // the last address of each view, so a tab returns to where the user was
let currentView = null;

function route({ force = false, fromHistory = false } = {}) {
  const state = readState();
  const changed = state.view !== currentView;
  currentView = state.view;
  for (const section of document.querySelectorAll("main > .view")) section.hidden = section.dataset.view !== state.view;
  lastUrl[state.view] = window.location.pathname + window.location.search + window.location.hash;
  updateTabs(state);
  VIEWS[state.view](state, { force, fromHistory, focus: changed && !initial });
  if (changed && !initial && state.view !== "doc") {
    document.querySelector(`.view[data-view="${state.view}"] h1`)?.focus({ preventScroll: false });
  }
  initial = false;
}

function updateTabs(state) {
  const topic = ["search", "ask", "compare"].includes(state.view) ? state.q.trim() : "";
  for (const link of document.querySelectorAll("[data-tab]")) {
    const view = link.dataset.tab;
    let href = lastUrl[view] ?? urlFor({ view });
    // A topic carries over between searching, asking and comparing, unless that view already has it.
    if (topic && view !== state.view && view !== "status" && readState(new URL(href, window.location.href)).q.trim() !== topic) {
      href = urlFor({ view, q: topic });
    }
    link.setAttribute("href", href);
    if (view === state.view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

let initial = true;

function onLinkClick(event) {
  const link = event.target.closest("a[data-route]");
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  const url = new URL(link.href, window.location.href);
  go(url.pathname + url.search + url.hash, { force: false });
}

function onKey(event) {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target.closest?.("input, textarea, select, [contenteditable]")) return;
  event.preventDefault();
  if (readState().view !== "search") go(urlFor({ view: "search" }));
  focusSearch();
}

function start() {
  initSearch();
  initAsk();
  initCompare();
  initDocument();
  initStatus();
  setRouteHandler(route);
  document.addEventListener("click", onLinkClick);
  document.addEventListener("keydown", onKey);
  window.addEventListener("popstate", () => route({ fromHistory: true }));
  window.addEventListener("hashchange", () => route({ fromHistory: true }));
  route({ fromHistory: true });
  document.documentElement.classList.add("ready");
}

start();
