// Requests to the service: its one error body as a Danish message, and "latest request wins" for each view.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

export const isAbort = (error) => error?.name === "AbortError";

/**
 * The error of a failed response. Every failing request gets the body {"error": "<Danish message>", "type": …}
 * (api/errors.py); anything else (a proxy's HTML page, an empty body) gets `fallback`, or a message with the status.
 */
export async function errorOf(response, fallback = null) {
  let message = null;
  try {
    const data = await response.json();
    if (data && typeof data.error === "string" && data.error) message = data.error;
  } catch {
    // not JSON: the status code says enough
  }
  return new ApiError(message ?? fallback ?? `Tjenesten svarede med en fejl (${response.status}). Prøv igen.`, response.status);
}

/** fetch, with a network failure as a Danish ApiError; an abort stays an abort. */
export async function send(path, init = {}) {
  try {
    return await fetch(path, init);
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new ApiError("Tjenesten kunne ikke nås. Tjek forbindelsen, og prøv igen.", 0);
  }
}

/**
 * One view's requests, where only the latest counts: a new run aborts the one before, and an answer or error
 * of a run that has been superseded is dropped, so a slow earlier response never replaces a later one.
 * A run has a key (what was asked, e.g. the query and filters) so a view can tell a repeat from a change.
 */
export function latest() {
  let controller = null;
  let pendingKey = null;
  let shownKey = null;
  return {
    /** True when the answer to `key` is on screen and nothing newer is on its way. */
    shows(key) {
      return !controller && key !== null && key === shownKey;
    },
    /**
     * True when `key` need not be asked again: it is on its way, or shown. Going back to what is shown while
     * another request runs asks again, so the request on its way cannot win.
     */
    has(key) {
      return (controller !== null && key === pendingKey) || this.shows(key);
    },
    /** Abort what is on its way and forget what is shown: the view shows something else now. */
    reset() {
      controller?.abort();
      controller = null;
      pendingKey = shownKey = null;
    },
    /**
     * Fetch with `load(signal)`; then `show(data, signal)`, or `fail(error)`, if no newer run has started.
     * `settle()` runs when the latest run is over, whichever way it ended.
     */
    async run(key, load, { show, fail, settle = () => {} }) {
      controller?.abort();
      const mine = (controller = new AbortController());
      const current = () => mine === controller;
      pendingKey = key;
      try {
        const data = await load(mine.signal);
        if (!current()) return;
        shownKey = key;
        show(data, mine.signal);
      } catch (error) {
        if (isAbort(error) || !current()) return;
        shownKey = null;
        fail(error);
      } finally {
        if (current()) {
          controller = null;
          pendingKey = null;
          settle();
        }
      }
    },
  };
}
