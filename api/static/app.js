// Vidensmægler's web page: one page, six views, the state in the URL.

import { apiKey, forgetKey, openFileWithKey } from "./api.js";
import { initAsk, showAsk } from "./ask.js";
import { initCompare, showCompare } from "./compare.js";
import { initDocument, showDocument } from "./document.js";
import { go, setRouteHandler } from "./router.js";
import { focusSearch, initSearch, showSearch } from "./search.js";
import { readState, urlFor } from "./state.js";
import { initStatus, showStatus } from "./status.js";
import { initWatches, showWatches, syncSaveSearch } from "./watches.js";

const VIEWS = {
  search: showSearch,
  ask: showAsk,
  compare: showCompare,
  status: showStatus,
  watches: showWatches,
  doc: showDocument,
};

const lastUrl = {}; // the last address of each view, so a tab returns to where the user was
let currentView = null;
let initial = true; // the first view is shown without moving focus

function route({ force = false, fromHistory = false } = {}) {
  const state = readState();
  // The hash form /#/dokument/<id> becomes /?doc=<id>, so in-page anchors (the skip link) keep the view.
  if (/^#\/dokument\//.test(window.location.hash)) window.history.replaceState(window.history.state, "", urlFor(state));
  const changed = state.view !== currentView;
  currentView = state.view;
  for (const section of document.querySelectorAll("main > .view")) section.hidden = section.dataset.view !== state.view;
  lastUrl[state.view] = window.location.pathname + window.location.search + window.location.hash;
  updateTabs(state);
  VIEWS[state.view](state, { force, fromHistory, focus: changed && !initial });
  syncSaveSearch(state);
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
    if (topic && view !== state.view && !["status", "watches"].includes(view) && readState(new URL(href, window.location.href)).q.trim() !== topic) {
      href = urlFor({ view, q: topic });
    }
    link.setAttribute("href", href);
    if (view === state.view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}


function onLinkClick(event) {
  // The skip link moves focus without touching the address (the address holds the page's state).
  const skip = event.target.closest(".skip-link");
  if (skip) {
    event.preventDefault();
    const main = document.getElementById("indhold");
    main.focus({ preventScroll: true });
    main.scrollIntoView();
    return;
  }
  // With an API key, originals are fetched with it (a plain link cannot carry the key).
  const file = event.target.closest("a.open-file");
  if (file && apiKey() && event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey) {
    event.preventDefault();
    openFileWithKey(file.getAttribute("href")).catch((error) => toast(error.message));
    return;
  }
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

let toastTimer = 0;
function toast(message) {
  const el = document.getElementById("toast");
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.hidden = true), 8000);
}

function showKeyStatus() {
  document.getElementById("key-status").hidden = !apiKey();
  document.getElementById("forget-key").addEventListener("click", () => {
    forgetKey();
    window.location.reload();
  });
}

function start() {
  initSearch();
  initAsk();
  initCompare();
  initDocument();
  initStatus();
  initWatches();
  showKeyStatus();
  setRouteHandler(route);
  document.addEventListener("click", onLinkClick);
  document.addEventListener("keydown", onKey);
  window.addEventListener("popstate", () => route({ fromHistory: true }));
  window.addEventListener("hashchange", () => route({ fromHistory: true }));
  route({ fromHistory: true });
  document.documentElement.classList.add("ready");
}

start();
