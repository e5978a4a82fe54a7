// History-based navigation: pushState for actions a user may want to go Back from, replaceState while typing.

import { readState, urlFor } from "./state.js";

let onRoute = () => {};
let internalSteps = 0;

export function setRouteHandler(handler) {
  onRoute = handler;
}

const here = () => window.location.pathname + window.location.search + window.location.hash;

/** Change the state (merged into the current one) and show it. */
export function navigate(changes, { replace = false, force = false } = {}) {
  const url = urlFor({ ...readState(), ...changes });
  go(url, { replace, force });
}

/** Show an address of this page. */
export function go(url, { replace = false, force = false } = {}) {
  if (url !== here()) {
    if (replace) window.history.replaceState({ app: true, step: internalSteps }, "", url);
    else window.history.pushState({ app: true, step: ++internalSteps }, "", url);
  }
  onRoute({ force });
}

/** True when Back stays on this page (used by the document page's "Tilbage"). */
export const canGoBack = () => (window.history.state?.step ?? 0) > 0;
