// Settings shared by the service worker, the panel and the options page (loaded with importScripts / <script>).
"use strict";

const DRAFTDESK_DEFAULTS = Object.freeze({
  serverUrl: "http://127.0.0.1:8000",
  platform: "taobao",
  role: "l1",
  locale: "",
  messageSelector: "",
  replySelector: "",
  skuSelector: "",
});

const DRAFTDESK_PLATFORMS = ["taobao", "pdd", "jd", "amazon"];
const DRAFTDESK_ROLES = ["l1", "l2", "supervisor"];

// Settings sync across the user's browsers; the API key stays on this machine (storage.local is not synced).
async function draftdeskLoadSettings() {
  const synced = await chrome.storage.sync.get(DRAFTDESK_DEFAULTS);
  const { apiKey = "" } = await chrome.storage.local.get("apiKey");
  return { ...DRAFTDESK_DEFAULTS, ...synced, apiKey };
}

async function draftdeskSaveSettings(settings) {
  const { apiKey = "", ...rest } = settings;
  const synced = {};
  for (const name of Object.keys(DRAFTDESK_DEFAULTS)) {
    if (name in rest) synced[name] = String(rest[name]).trim();
  }
  synced.serverUrl = (synced.serverUrl || DRAFTDESK_DEFAULTS.serverUrl).replace(/\/+$/, "");
  await chrome.storage.sync.set(synced);
  await chrome.storage.local.set({ apiKey: String(apiKey).trim() });
}

// The seller platform a console page belongs to, from its host name; "" when unknown.
function draftdeskPlatformForHost(host) {
  const rules = [
    [/(^|\.)(taobao|tmall)\.com$/, "taobao"],
    [/(^|\.)(pinduoduo|yangkeduo)\.com$/, "pdd"],
    [/(^|\.)jd\.(com|hk)$/, "jd"],
    [/(^|\.)amazon\.[a-z.]+$/, "amazon"],
  ];
  for (const [pattern, platform] of rules) {
    if (pattern.test(host || "")) return platform;
  }
  return "";
}
