// The service's JSON API. Errors arrive as {"error": "..."} and are raised with that Danish message.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

export const isAbort = (error) => error?.name === "AbortError";

export async function api(path, { signal, method = "GET", body } = {}) {
  const init = { method, signal, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new ApiError("Tjenesten kunne ikke nås. Tjek forbindelsen, og prøv igen.", 0);
  }
  let data = null;
  try {
    data = await response.json();
  } catch (error) {
    if (isAbort(error)) throw error;
  }
  if (!response.ok) {
    const message = data && typeof data.error === "string" && data.error ? data.error : null;
    throw new ApiError(message ?? `Tjenesten svarede med en fejl (${response.status}). Prøv igen.`, response.status);
  }
  if (data === null) throw new ApiError("Tjenesten sendte et svar, der ikke kunne læses.", response.status);
  return data;
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
