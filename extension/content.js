// Injected into the seller's page on demand: reads the buyer's message (and the product's SKU) and fills the
// reply box.
"use strict";
(() => {
  if (globalThis.__draftdeskPage) return; // injected once per page; later injections reuse it

  let lastEditable = null;

  const isEditable = (el) =>
    !!el &&
    (el instanceof HTMLTextAreaElement ||
      (el instanceof HTMLInputElement && ["text", "search", ""].includes(el.type)) ||
      el.isContentEditable);

  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);

  document.addEventListener("focusin", (event) => {
    if (isEditable(event.target)) lastEditable = event.target;
  }, true);
  if (isEditable(document.activeElement)) lastEditable = document.activeElement;

  const textOf = (el) => (isEditable(el) && "value" in el ? el.value : el.innerText || el.textContent || "").trim();

  // The product the chat is about, from the configured element: its data-sku attribute, else its text; "" when
  // the page shows none, null without a selector. A chat shows the latest product card last, as it does messages.
  function skuOf(selector) {
    if (!selector) return null;
    const nodes = document.querySelectorAll(selector);
    const el = nodes[nodes.length - 1];
    return el ? (el.dataset.sku || textOf(el)).trim().slice(0, 64) : "";
  }

  function read(selector, skuSelector) {
    const base = { host: location.hostname, sku: skuOf(skuSelector) };
    const selected = String(window.getSelection() || "").trim();
    if (selected) return { ...base, text: selected, source: "selection" };
    if (selector) {
      // A chat list shows the latest message last.
      const nodes = document.querySelectorAll(selector);
      const el = nodes[nodes.length - 1];
      return { ...base, text: el ? textOf(el) : "", source: el ? "selector" : "selector_missing" };
    }
    return { ...base, text: "", source: "none" };
  }

  function replyBox(selector) {
    if (selector) return document.querySelector(selector);
    if (isEditable(document.activeElement) && document.activeElement !== document.body) return document.activeElement;
    if (lastEditable && lastEditable.isConnected) return lastEditable;
    const boxes = [...document.querySelectorAll("textarea, [contenteditable=''], [contenteditable='true']")].filter(visible);
    return boxes[boxes.length - 1] || null; // reply boxes sit below the conversation
  }

  function insertIntoField(box, text) {
    const start = box.selectionStart ?? box.value.length;
    const end = box.selectionEnd ?? box.value.length;
    const value = box.value.slice(0, start) + text + box.value.slice(end);
    // The prototype's setter, so frameworks that wrap the element's own `value` (React) see a change.
    Object.getOwnPropertyDescriptor(Object.getPrototypeOf(box), "value").set.call(box, value);
    box.setSelectionRange(start + text.length, start + text.length);
    box.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertText", data: text }));
    box.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function insertIntoEditable(box, text) {
    const selection = window.getSelection();
    if (!selection.rangeCount || !box.contains(selection.anchorNode)) {
      const range = document.createRange();
      range.selectNodeContents(box);
      range.collapse(false);
      selection.removeAllRanges();
      selection.addRange(range);
    }
    // insertText fires beforeinput/input like typing, which rich editors listen for.
    if (!document.execCommand("insertText", false, text)) {
      box.textContent += text;
      box.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertText", data: text }));
    }
  }

  function insert(text, selector) {
    const box = replyBox(selector);
    if (!box || !isEditable(box)) return { inserted: false, reason: selector ? "selector_missing" : "no_box" };
    box.focus();
    if (box.isContentEditable) insertIntoEditable(box, text);
    else insertIntoField(box, text);
    const name = box.id ? `#${box.id}` : box.tagName.toLowerCase();
    return { inserted: true, target: name };
  }

  globalThis.__draftdeskPage = { read, insert };
})();
