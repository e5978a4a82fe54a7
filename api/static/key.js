// Errors with the API's own message, and the API-key form shown when the service asks for a key.

import { apiKey, saveKey } from "./api.js";
import { errorBox, h } from "./dom.js";

let counter = 0;

/** An error box; when the service wants a key (401), with a form to enter one. */
export function errorView(error, title) {
  const box = errorBox(error.message, error.status === 401 ? "Der kræves en API-nøgle" : title);
  if (error.status === 401) box.append(keyForm());
  return box;
}

function keyForm() {
  const n = ++counter;
  const input = h("input", { id: `api-key-${n}`, class: "input", type: "password", autocomplete: "off", spellcheck: "false", required: true });
  const remember = h("input", { id: `api-key-remember-${n}`, type: "checkbox" });
  const form = h(
    "form",
    { class: "key-form" },
    h("p", null, apiKey() ? "Nøglen, der er gemt, blev afvist. Skriv en ny nøgle." : "Skriv den API-nøgle, du har fået af dem, der driver Vidensmægler."),
    h("label", { for: input.id, class: "small-label" }, "API-nøgle"),
    h("div", { class: "key-row" }, input, h("button", { type: "submit", class: "btn btn-primary" }, "Brug nøglen")),
    h("label", { class: "check-inline", for: remember.id }, remember, " Husk nøglen på denne computer"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) {
      input.focus();
      return;
    }
    saveKey(key, remember.checked);
    window.location.reload(); // the address holds the state: the same view comes back, now with the key
  });
  return form;
}
