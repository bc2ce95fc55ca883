// Shared helpers for the console pages: UI strings by key, JSON API calls, safe DOM building, the source panel.
"use strict";
(() => {
  const messages = JSON.parse(document.getElementById("i18n").textContent);

  function t(key, vars = {}) {
    let text = messages[key];
    if (text === undefined) {
      console.warn("missing UI string", key);
      return key;
    }
    for (const [name, value] of Object.entries(vars)) text = text.replaceAll(`{${name}}`, String(value));
    return text;
  }

  // The session's CSRF token (the page carries it); the server refuses a signed-in write without it.
  const csrfToken = document.querySelector('meta[name="csrf-token"]').content;

  function headers(method, extra = {}) {
    return ["GET", "HEAD"].includes(method) ? extra : { ...extra, "x-csrf-token": csrfToken };
  }

  // Every API error is {"error": {"code", "message"}}; throw it as an Error carrying status and code.
  async function api(method, path, body) {
    const init = { method, headers: headers(method, { accept: "application/json" }) };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const detail = data && data.error ? data.error : { code: "http_error", message: `HTTP ${response.status}` };
      throw Object.assign(new Error(detail.message), { status: response.status, code: detail.code });
    }
    return data;
  }

  // Text only, never HTML: buyer messages and knowledge entries are data.
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function showError(node, error) {
    node.textContent = error ? t("common.error", { message: error.message || String(error) }) : "";
    node.hidden = !error;
  }

  // <input type="datetime-local"> gives local wall time; the API wants ISO-8601 with the offset.
  function isoWithOffset(value) {
    if (!value) return null;
    const offset = -new Date(value).getTimezoneOffset();
    const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
    const seconds = value.length === 16 ? ":00" : "";
    return `${value}${seconds}${offset >= 0 ? "+" : "-"}${pad(offset / 60)}:${pad(offset % 60)}`;
  }

  function formatTime(iso) {
    return iso ? new Date(iso).toLocaleString(document.documentElement.lang) : "—";
  }

  const panel = document.getElementById("source-panel");
  const panelBody = document.getElementById("source-body");

  async function openSource(id) {
    panelBody.replaceChildren(el("p", { class: "muted" }, t("common.loading")));
    panel.hidden = false;
    try {
      const data = await api("GET", `/v1/knowledge/${encodeURIComponent(id)}`);
      panelBody.replaceChildren(...data.entries.map((entry) => el("article", { class: "source-entry" },
        el("h3", {}, entry.title || entry.question),
        el("p", { class: "muted" }, `${entry.id} · ${t(`kind.${entry.kind}`)} · ${t(`locale.${entry.locale}`)}`
          + ` · ${t(`platform.${entry.platform}`)}`),
        entry.question && entry.title ? el("p", {}, el("strong", {}, entry.question)) : null,
        el("p", { class: "answer" }, entry.answer),
        entry.valid_until ? el("p", { class: "muted" },
          t("ann.window", { from: formatTime(entry.valid_from), until: formatTime(entry.valid_until) })) : null,
      )));
    } catch (error) {
      panelBody.replaceChildren(el("p", { class: "error" }, t("common.error", { message: error.message })));
    }
    document.getElementById("source-close").focus();
  }

  function closeSource() {
    panel.hidden = true;
  }

  document.getElementById("source-close").addEventListener("click", closeSource);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) closeSource();
  });

  window.dd = { t, api, headers, el, showError, isoWithOffset, formatTime, openSource };
})();
