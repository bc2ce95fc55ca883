// The side panel: buyer message in, draft + citations out, draft into the seller's reply box.
"use strict";

const $ = (id) => document.getElementById(id);
let lang = "en";
let lastDraft = null;
let lastError = null;
const statusKeys = { pageStatus: "", actionStatus: "" }; // kept as keys so the language toggle re-words them

function send(message) {
  return chrome.runtime.sendMessage(message).then(
    (answer) => answer || { ok: false, error: { code: "internal", message: "no answer from the service worker" } },
    (err) => ({ ok: false, error: { code: "internal", message: String(err.message || err) } }),
  );
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

function t(key, vars) {
  return draftdeskText(lang, key, vars);
}

function setStatus(id, key) {
  statusKeys[id] = key;
  $(id).textContent = key ? t(key) : "";
}

function showError(error) {
  lastError = error;
  $("error").hidden = !error;
  $("error").textContent = error ? draftdeskErrorText(lang, error) : "";
}

async function readPage({ quiet = false } = {}) {
  const answer = await send({ type: "read" });
  if (!answer.ok) {
    if (!quiet) showError(answer.error);
    return;
  }
  const platform = draftdeskPlatformForHost(answer.host);
  if (platform) $("platform").value = platform;
  if (typeof answer.sku === "string") $("sku").value = answer.sku; // with a SKU selector, the page decides
  if (answer.text) {
    $("message").value = answer.text;
    setStatus("pageStatus", answer.source === "selection" ? "readSelection" : "readSelector");
  } else if (!quiet) {
    setStatus("pageStatus", "readNothing");
  }
}

async function requestDraft(event) {
  event.preventDefault();
  showError(null);
  const button = $("draft");
  button.disabled = true;
  button.textContent = t("drafting");
  try {
    const answer = await send({
      type: "draft",
      message: $("message").value,
      platform: $("platform").value,
      role: $("role").value,
      locale: $("locale").value,
      sku: $("sku").value.trim(),
    });
    if (answer.ok) {
      lastDraft = answer.draft;
      $("reply").value = lastDraft.draft;
      render();
    } else {
      showError(answer.error);
    }
  } finally {
    button.disabled = false;
    button.textContent = t("draft");
  }
}

function render() {
  const d = lastDraft;
  $("result").hidden = !d;
  if (!d) return;
  const meta = [];
  if (d.intent) meta.push(el("span", {}, `${t("intent")}: `, el("b", { textContent: d.intent })));
  meta.push(el("span", {}, ` · ${t("confidence")}: `, el("b", { textContent: d.confidence.toFixed(2) })));
  meta.push(el("span", {}, ` · ${t("provider")}: `, el("b", { textContent: d.provider })));
  if (d.degraded) meta.push(el("div", { textContent: t("degraded") }));
  $("meta").replaceChildren(...meta);

  $("human").hidden = !d.needs_human;
  $("reasons").replaceChildren(...d.reasons.map((r) => el("li", { textContent: r.message, title: r.code })));
  $("handoff").textContent = d.handoff ? `${t("handoffTo")} ${t(`role_${d.handoff.to}`)}: ${d.handoff.note}` : "";

  renderCompliance(d.compliance);
  renderProduct(d.product);
  renderQuickReplies(d.quick_replies || []);
  $("citations").replaceChildren(
    ...(d.citations.length ? d.citations.map(citationItem) : [el("li", { className: "hint", textContent: t("noCitations") })]),
  );
}

// The product a pre-sale draft is about (title, SKU, price, stock, live promotions), to check the draft against.
function renderProduct(product) {
  $("product").hidden = !product;
  if (!product) return;
  $("productTitle").textContent = product.title;
  $("productSku").textContent = product.sku;
  $("productPrice").textContent = `${product.price} ${product.currency}`;
  $("productStock").textContent = t(`stock_${product.stock_level}`, { count: product.stock });
  $("productStock").className = `stock-${product.stock_level}`;
  $("productPromotions").textContent = product.promotions.length ? product.promotions.join("、") : t("noPromotions");
}

function citationItem(c) {
  const score = c.score === null || c.score === undefined ? "" : ` · ${c.score.toFixed(2)}`;
  return el("li", { className: "citation" },
    el("span", { className: "cite-id", textContent: `[${c.id}] ` }),
    el("span", { className: "cite-title", textContent: c.title }),
    el("div", { className: "cite-meta", textContent: `${c.kind}${score}` }),
    el("div", { className: "snippet", textContent: c.snippet }),
  );
}

function renderCompliance(compliance) {
  const box = $("compliance");
  box.replaceChildren();
  box.className = "compliance";
  if (!compliance) return;
  box.classList.add(compliance.passed ? "passed" : "failed");
  box.append(t(compliance.passed ? "compliancePassed" : "complianceFailed"));
  if (compliance.violations.length) {
    box.append(el("ul", {}, ...compliance.violations.map(
      (v) => el("li", { textContent: `${v.message} (${v.rule}: “${v.span}”)` }),
    )));
  }
}

function renderQuickReplies(replies) {
  $("quick").hidden = !replies.length;
  $("quickReplies").replaceChildren(...replies.map((reply) => {
    const chip = el("button", { type: "button", textContent: reply.title, title: reply.text });
    chip.addEventListener("click", () => { $("reply").value = reply.text; });
    return chip;
  }));
}

async function insertDraft() {
  showError(null);
  setStatus("actionStatus", "");
  const answer = await send({ type: "insert", text: $("reply").value });
  if (answer.ok) setStatus("actionStatus", "inserted");
  else showError(answer.error);
}

async function copyDraft() {
  const text = $("reply").value;
  try {
    await navigator.clipboard.writeText(text);
  } catch (_) {
    $("reply").select(); // the clipboard API needs focus; the old command does not
    document.execCommand("copy");
  }
  setStatus("actionStatus", "copied");
}

function applyLanguage() {
  draftdeskApplyLanguage(lang);
  showError(lastError);
  for (const [id, key] of Object.entries(statusKeys)) setStatus(id, key);
  render();
}

async function toggleLanguage() {
  lang = lang === "zh" ? "en" : "zh";
  await chrome.storage.local.set({ uiLang: lang });
  applyLanguage();
}

async function takePending() {
  const { pending } = await chrome.storage.session.get("pending");
  if (!pending || !pending.text) return false;
  await chrome.storage.session.remove("pending");
  $("message").value = pending.text;
  return true;
}

async function init() {
  lang = await draftdeskUiLanguage();
  const settings = await draftdeskLoadSettings();
  $("platform").value = settings.platform;
  $("role").value = settings.role;
  $("locale").value = settings.locale;
  applyLanguage();
  $("ask").addEventListener("submit", requestDraft);
  $("fromPage").addEventListener("click", () => { showError(null); readPage(); });
  $("insert").addEventListener("click", insertDraft);
  $("copy").addEventListener("click", copyDraft);
  $("lang").addEventListener("click", toggleLanguage);
  chrome.storage.session.onChanged.addListener((changes) => { if (changes.pending) takePending(); });
  if (!(await takePending())) await readPage({ quiet: true });
  document.body.dataset.ready = "1"; // for tests: listeners are attached
}

init();
