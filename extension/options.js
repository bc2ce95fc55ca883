// The options page: server URL, API key, defaults and the page selectors.
"use strict";

const FIELDS = ["serverUrl", "apiKey", "platform", "role", "locale", "messageSelector", "skuSelector", "replySelector"];
const $ = (id) => document.getElementById(id);
let lang = "en";

function status(key, vars) {
  $("status").textContent = key ? draftdeskText(lang, key, vars) : "";
}

function showError(error) {
  $("error").hidden = !error;
  $("error").textContent = error ? draftdeskErrorText(lang, error) : "";
}

// Our manifest grants 127.0.0.1 and localhost; any other server needs the user's consent once.
function originPattern(url) {
  const { protocol, hostname } = new URL(url);
  return ["127.0.0.1", "localhost"].includes(hostname) && protocol === "http:" ? null : `${protocol}//${hostname}/*`;
}

async function save(event) {
  event.preventDefault();
  showError(null);
  const values = Object.fromEntries(FIELDS.map((name) => [name, $(name).value]));
  let pattern = null;
  try {
    pattern = originPattern(values.serverUrl);
  } catch (err) {
    showError({ code: "internal", message: String(err.message || err) });
    return;
  }
  // permissions.request must run inside the click, before any other await.
  const granted = pattern ? chrome.permissions.request({ origins: [pattern] }) : Promise.resolve(true);
  await draftdeskSaveSettings(values);
  const saved = await draftdeskLoadSettings(); // shows the stored form, e.g. the URL without a trailing slash
  for (const name of FIELDS) $(name).value = saved[name];
  status("saved");
  if (!(await granted.catch(() => false))) status("permissionDenied");
}

async function testConnection() {
  showError(null);
  status("");
  const answer = await chrome.runtime.sendMessage({ type: "ping" });
  if (answer && answer.ok) status("testOk");
  else showError((answer && answer.error) || { code: "internal", message: "no answer" });
}

async function init() {
  lang = await draftdeskUiLanguage();
  draftdeskApplyLanguage(lang);
  const settings = await draftdeskLoadSettings();
  for (const name of FIELDS) $(name).value = settings[name];
  $("options").addEventListener("submit", save);
  $("test").addEventListener("click", testConnection);
  $("lang").addEventListener("click", async () => {
    lang = lang === "zh" ? "en" : "zh";
    await chrome.storage.local.set({ uiLang: lang });
    draftdeskApplyLanguage(lang);
  });
  document.body.dataset.ready = "1"; // for tests: the saved values are shown
}

init();
