// The service worker: opens the side panel, calls the draftdesk API and reaches into the seller's tab.
"use strict";
importScripts("common.js");

const DRAFT_TIMEOUT_MS = 60000;

chrome.sidePanel.setPanelBehavior({ openPanelOnActionClick: true }).catch(() => {});

chrome.runtime.onInstalled.addListener(() => {
  chrome.contextMenus.create({
    id: "draftdesk-draft",
    title: chrome.i18n.getUILanguage().startsWith("zh") ? "用 draftdesk 起草回复" : "Draft a reply with draftdesk",
    contexts: ["selection"],
  });
});

// A right-click on selected text: the panel picks the text up from session storage.
chrome.contextMenus.onClicked.addListener((info, tab) => {
  if (info.menuItemId !== "draftdesk-draft" || !tab) return;
  chrome.sidePanel.open({ tabId: tab.id }).catch(() => {});
  chrome.storage.session.set({ pending: { text: info.selectionText || "", at: Date.now() } });
});

class PanelError extends Error {
  constructor(code, message, extra = {}) {
    super(message);
    this.code = code;
    this.extra = extra;
  }
}

const HANDLERS = { draft, ping, read: readFromPage, insert: insertIntoPage };

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  const handler = HANDLERS[message && message.type];
  if (!handler) return false;
  handler(message, sender).then(
    (result) => sendResponse({ ok: true, ...result }),
    (err) => sendResponse({ ok: false, error: { code: err.code || "internal", message: err.message, ...(err.extra || {}) } }),
  );
  return true; // answered asynchronously
});

async function callApi(path, init = {}) {
  const settings = await draftdeskLoadSettings();
  const base = settings.serverUrl.replace(/\/+$/, "");
  const headers = { ...(init.headers || {}) };
  if (settings.apiKey) headers.Authorization = `Bearer ${settings.apiKey}`;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), DRAFT_TIMEOUT_MS);
  let response;
  try {
    response = await fetch(base + path, { ...init, headers, signal: controller.signal });
  } catch (err) {
    const code = err.name === "AbortError" ? "timeout" : "network";
    throw new PanelError(code, String(err.message || err), { url: base });
  } finally {
    clearTimeout(timer);
  }
  let body = null;
  try {
    body = await response.json();
  } catch (_) {
    body = null;
  }
  if (!response.ok) {
    const error = (body && body.error) || {};
    throw new PanelError(error.code || "http_error", error.message || response.statusText || "", {
      status: response.status,
      url: base,
    });
  }
  return body;
}

async function draft(message) {
  const settings = await draftdeskLoadSettings();
  const body = {
    message: message.message ?? "",
    platform: message.platform || settings.platform,
    role: message.role || settings.role,
  };
  const locale = message.locale ?? settings.locale;
  if (locale) body.locale = locale;
  const sku = String(message.sku || "").trim();
  if (sku) body.sku = sku;
  const result = await callApi("/v1/drafts", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { draft: result };
}

async function ping() {
  return { health: await callApi("/healthz") };
}

// The seller's tab: from the side panel, the active tab of its window; from a panel opened in a tab
// (and in tests), the most recently used other web tab.
async function targetTab(sender) {
  if (!sender.tab) {
    const [active] = await chrome.tabs.query({ active: true, lastFocusedWindow: true });
    if (active) return active;
  }
  const own = sender.tab ? sender.tab.id : -1;
  const tabs = (await chrome.tabs.query({})).filter(
    (tab) => tab.id !== own && (!tab.url || /^(https?|file):/.test(tab.url)),
  );
  tabs.sort((a, b) => (b.lastAccessed || 0) - (a.lastAccessed || 0));
  if (!tabs.length) throw new PanelError("no_tab", "no seller page is open");
  return tabs[0];
}

async function inPage(sender, func, args) {
  const tab = await targetTab(sender);
  try {
    await chrome.scripting.executeScript({ target: { tabId: tab.id }, files: ["content.js"] });
    const [frame] = await chrome.scripting.executeScript({ target: { tabId: tab.id }, func, args });
    return { tab: { id: tab.id, title: tab.title || "" }, ...(frame && frame.result) };
  } catch (err) {
    throw new PanelError("no_access", String(err.message || err));
  }
}

async function readFromPage(_message, sender) {
  const settings = await draftdeskLoadSettings();
  return inPage(
    sender,
    (selector, skuSelector) => globalThis.__draftdeskPage.read(selector, skuSelector),
    [settings.messageSelector, settings.skuSelector],
  );
}

async function insertIntoPage(message, sender) {
  const settings = await draftdeskLoadSettings();
  const result = await inPage(
    sender,
    (text, selector) => globalThis.__draftdeskPage.insert(text, selector),
    [String(message.text || ""), settings.replySelector],
  );
  if (!result.inserted) throw new PanelError("no_reply_box", result.reason || "");
  return result;
}
