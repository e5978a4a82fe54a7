// The service's JSON API: the reader key, the calls, and the addresses of documents and files.

import { ApiError, errorOf, isAbort, send } from "./request.js";

// When the service is set up with reader keys, every read needs one. The key the user enters is kept for the
// session (or, if asked, on this computer) and sent as a Bearer token; it never goes into the address.
const KEY_NAME = "vidensmaegler.api-key";

function storage(kind) {
  try {
    return kind === "local" ? window.localStorage : window.sessionStorage;
  } catch {
    return null; // storage disabled by the browser
  }
}

export function apiKey() {
  return storage("session")?.getItem(KEY_NAME) || storage("local")?.getItem(KEY_NAME) || null;
}

export function saveKey(key, remember) {
  forgetKey();
  storage(remember ? "local" : "session")?.setItem(KEY_NAME, key);
}

export function forgetKey() {
  storage("session")?.removeItem(KEY_NAME);
  storage("local")?.removeItem(KEY_NAME);
}

/** `headers` with the reader key, when there is one. */
export function authorization(headers = {}) {
  const key = apiKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  return headers;
}

export async function api(path, { signal, method = "GET", body } = {}) {
  const init = { method, signal, headers: authorization({ Accept: "application/json" }) };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await send(path, init);
  if (!response.ok) throw await errorOf(response);
  try {
    return await response.json();
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new ApiError("Tjenesten sendte et svar, der ikke kunne læses.", response.status);
  }
}

/**
 * Open an original file when a key is needed: a plain link cannot carry it, so the file is fetched with the
 * key. PDF and plain text open in a new tab (a PDF at its #page); any other format is downloaded, never shown
 * with this page's origin.
 */
export async function openFileWithKey(href) {
  const [path, fragment] = href.split("#");
  const tab = window.open("", "_blank");
  if (tab) tab.opener = null;
  try {
    const response = await fetch(path, { headers: authorization({}) });
    if (!response.ok) throw await errorOf(response);
    const type = (response.headers.get("content-type") || "").split(";")[0].trim().toLowerCase();
    const blob = await response.blob();
    if (type === "application/pdf" || type === "text/plain") {
      const url = URL.createObjectURL(new Blob([blob], { type })) + (fragment ? `#${fragment}` : "");
      if (tab) tab.location.href = url;
      else window.location.href = url;
      return;
    }
    tab?.close();
    const name = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(response.headers.get("content-disposition") || "")?.[1];
    const link = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: decodeURIComponent(name || "dokument") });
    link.click();
  } catch (error) {
    tab?.close();
    throw error instanceof ApiError ? error : new ApiError("Filen kunne ikke hentes. Prøv igen.", 0);
  }
}

/** A query string from an object; arrays become repeated keys, empty values are left out. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null && item !== "") search.append(key, String(item));
    }
  }
  return search.toString();
}

export const documentPath = (docId) => `/api/documents/${encodeURIComponent(docId)}`;

/** The original file, opened at a page (PDF viewers honour #page=N). */
export function fileUrl(docId, page) {
  return `${documentPath(docId)}/file` + (page ? `#page=${page}` : "");
}

let municipalities = null;
/** The municipalities with documents, fetched once. */
export function getMunicipalities() {
  municipalities ??= api("/api/municipalities").then(
    (data) => data.municipalities ?? [],
    (error) => {
      municipalities = null;
      throw error;
    },
  );
  return municipalities;
}
