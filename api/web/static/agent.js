// The agent view: draft a reply, read its sources, edit, copy, accept or reject it; keyboard first.
"use strict";
(() => {
  const { t, api, headers, el, showError, isoWithOffset, openSource } = window.dd;
  const $ = (id) => document.getElementById(id);
  const form = $("draft-form");
  const text = $("draft-text");
  const feedbackButtons = [$("accept-btn"), $("reject-btn")];
  let current = null; // the last draft response
  let busy = false;

  function orderFields() {
    const order = {};
    const put = (name, value) => { if (value) order[name] = value; };
    put("id", $("order-id").value.trim());
    put("status", $("order-status").value);
    put("carrier", $("order-carrier").value.trim());
    put("tracking_number", $("order-tracking").value.trim());
    put("ship_by", isoWithOffset($("order-ship-by").value));
    put("amount", $("order-amount").value);
    return order;
  }

  // One turn per line; a line starting with "A:" (or "客服:") is the agent's, any other the buyer's.
  function historyTurns() {
    return $("history").value.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
      const agent = /^(a|agent|客服)\s*[:：]/i.exec(line);
      return agent ? { role: "agent", text: line.slice(agent[0].length).trim() } : { role: "buyer", text: line.replace(/^(b|buyer|买家)\s*[:：]/i, "").trim() };
    }).filter((turn) => turn.text);
  }

  async function submit() {
    if (busy || !$("message").value.trim()) {
      $("message").focus();
      return;
    }
    const body = {
      message: $("message").value, platform: $("platform").value, role: $("role").value,
      order: orderFields(), history: historyTurns(),
    };
    if ($("locale").value !== "auto") body.locale = $("locale").value;
    const sku = $("sku").value.trim();
    if (sku) body.sku = sku; // the product page the chat came from
    busy = true;
    $("draft-status").textContent = t("agent.drafting");
    showError($("form-error"), null);
    try {
      show(await streamDraft(body));
      $("draft-status").textContent = "";
      text.focus();
    } catch (error) {
      $("draft-status").textContent = "";
      showError($("form-error"), error);
    } finally {
      busy = false;
    }
  }

  // POST /v1/drafts/stream: the model's words appear as they are written (with an LLM configured); the final
  // `draft` event, checked and cited, replaces them. Errors before the stream are the usual JSON error.
  async function streamDraft(body) {
    const response = await fetch("/v1/drafts/stream", {
      method: "POST", headers: headers("POST", { "content-type": "application/json", accept: "text/event-stream" }),
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      const data = await response.json().catch(() => null);
      const detail = data && data.error ? data.error : { code: "http_error", message: `HTTP ${response.status}` };
      throw Object.assign(new Error(detail.message), { status: response.status, code: detail.code });
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    let streamed = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(t("agent.stream_ended"));
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? "null");
        if (event === "delta") {
          streamed += data.text;
          $("result").hidden = false;
          text.value = streamed;
          $("draft-status").textContent = t("agent.streaming");
        } else if (event === "draft") {
          return data;
        } else if (event === "error") {
          throw Object.assign(new Error(data.error.message), { code: data.error.code });
        }
      }
    }
  }

  function show(draft) {
    current = draft;
    $("result").hidden = false;
    text.value = draft.draft;
    $("intent").textContent = draft.intent ? t(`intent.${draft.intent}`) : "—";
    $("intent-confidence").textContent = draft.intent_confidence != null ? `(${draft.intent_confidence.toFixed(2)})` : "";
    $("confidence").textContent = draft.confidence.toFixed(2);
    $("situation").textContent = draft.situation || "—";
    $("degraded").hidden = !draft.degraded;
    showEscalation(draft);
    showCompliance(draft);
    showProduct(draft.product);
    showCitations(draft.citations);
    showQuickReplies(draft.quick_replies || []);
    $("reject-form").hidden = true;
    $("feedback-status").textContent = "";
    const canGiveFeedback = Boolean(draft.id);
    feedbackButtons.forEach((b) => { b.disabled = !canGiveFeedback; });
    $("feedback-unavailable").hidden = canGiveFeedback;
  }

  function showEscalation(draft) {
    $("escalation").hidden = !draft.needs_human;
    $("reasons").replaceChildren(...draft.reasons.map((r) => el("li", { "data-code": r.code }, r.message)));
    $("handoff").hidden = !draft.handoff;
    if (draft.handoff) {
      $("handoff-to").textContent = t("result.handoff_to", { role: t(`role.${draft.handoff.to}`) });
      $("handoff-note").textContent = draft.handoff.note;
    }
  }

  // The draft with each offending span marked, and the rule's message beside it.
  function showCompliance(draft) {
    const box = $("compliance");
    const violations = (draft.compliance && draft.compliance.violations) || [];
    if (!draft.compliance) {
      box.replaceChildren();
      return;
    }
    if (!violations.length) {
      box.replaceChildren(el("p", { class: "ok" }, t("result.compliance_passed")));
      return;
    }
    const preview = el("p", { class: "preview" });
    let rest = draft.draft;
    for (const v of violations) {
      const at = rest.indexOf(v.span);
      if (at < 0) continue;
      preview.append(rest.slice(0, at), el("mark", { title: v.message }, v.span));
      rest = rest.slice(at + v.span.length);
    }
    preview.append(rest);
    box.replaceChildren(
      el("p", { class: "error" }, t("result.compliance_failed", { count: violations.length })),
      el("ul", {}, violations.map((v) => el("li", {}, el("code", {}, v.rule), " ", el("mark", {}, v.span), " — ", v.message))),
      preview,
    );
  }

  // The product a pre-sale draft is about, as the catalog has it now: the facts to check the draft against.
  function showProduct(product) {
    $("product").hidden = !product;
    if (!product) return;
    $("product-title").textContent = product.title;
    $("product-sku").textContent = product.sku;
    $("product-price").textContent = `${product.price} ${product.currency}`;
    const stock = $("product-stock");
    stock.textContent = t(`stock.${product.stock_level}`, { count: product.stock });
    stock.className = `stock-${product.stock_level.replace("_", "-")}`;
    $("product-promotions").replaceChildren(...(product.promotions.length
      ? product.promotions.map((title) => el("li", {}, title))
      : [el("li", { class: "muted" }, t("product.no_promotions"))]));
    $("product-resolved").textContent = t(`resolved.${product.resolved_by}`);
  }

  function showCitations(citations) {
    $("no-citations").hidden = citations.length > 0;
    $("citations").replaceChildren(...citations.map((c) => el("li", {},
      el("button", { type: "button", class: "link citation", "data-id": c.id, onclick: () => openSource(c.id) },
        `[${c.id}] ${c.title}`),
      el("span", { class: "muted" }, ` ${t(`kind.${c.kind}`)}${c.score != null ? ` · ${c.score.toFixed(3)}` : ""}`),
      el("div", { class: "snippet" }, c.snippet),
    )));
  }

  function showQuickReplies(replies) {
    $("quick-replies-box").hidden = !replies.length;
    $("quick-replies").replaceChildren(...replies.map((q) => el("li", {},
      el("button", { type: "button", title: q.text, onclick: () => { text.value = q.text; text.focus(); } }, q.title))));
  }

  async function copy() {
    if (!current) return;
    try {
      await navigator.clipboard.writeText(text.value);
    } catch {
      text.select(); // no clipboard permission: leave the text selected for Ctrl+C
      document.execCommand("copy");
    }
    $("feedback-status").textContent = t("feedback.copied");
  }

  async function sendFeedback(body) {
    if (!current || !current.id) return;
    try {
      await api("POST", `/v1/drafts/${encodeURIComponent(current.id)}/feedback`, body);
      $("feedback-status").textContent = t(`feedback.sent_${body.action}`);
      feedbackButtons.forEach((b) => { b.disabled = true; });
      $("reject-form").hidden = true;
      $("message").focus();
    } catch (error) {
      $("feedback-status").textContent = t("common.error", { message: error.message });
    }
  }

  function accept() {
    if (!current || !current.id || $("accept-btn").disabled) return;
    const edited = text.value !== current.draft;
    sendFeedback(edited ? { action: "edited", final_text: text.value } : { action: "accepted" });
  }

  function askReason() {
    if (!current || !current.id || $("reject-btn").disabled) return;
    $("reject-form").hidden = false;
    $("reject-reason").focus();
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); submit(); });
  $("copy-btn").addEventListener("click", copy);
  $("accept-btn").addEventListener("click", accept);
  $("reject-btn").addEventListener("click", askReason);
  $("reject-cancel").addEventListener("click", () => { $("reject-form").hidden = true; text.focus(); });
  $("reject-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sendFeedback({ action: "rejected", reason: $("reject-reason").value.trim() });
  });

  // event.code, not event.key: Alt+letter types a different character on some layouts (macOS).
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      event.preventDefault();
      submit();
    } else if ((event.altKey && event.code === "KeyC") || (event.ctrlKey && event.shiftKey && event.code === "KeyC")) {
      event.preventDefault();
      copy();
    } else if (event.altKey && event.code === "KeyA") {
      event.preventDefault();
      accept();
    } else if (event.altKey && event.code === "KeyR") {
      event.preventDefault();
      askReason();
    }
  });
})();
