// Analytics: charts are SVG drawn by the server (?format=svg); tables and gaps come from the JSON endpoints.
"use strict";
(() => {
  const { t, api, el, showError } = window.dd;
  const daysSelect = document.getElementById("period-days");

  function period() {
    const days = Number(daysSelect.value);
    return days ? { since: new Date(Date.now() - days * 86400000).toISOString() } : {};
  }

  function url(path, params) {
    const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== ""));
    return `${path}?${query}`;
  }

  function share(value) {
    return value === null || value === undefined ? "—" : `${Math.round(value * 100)}%`;
  }

  async function refresh() {
    const since = period();
    for (const img of document.querySelectorAll("img[data-chart]")) {
      const params = { ...since, format: "svg", group: img.dataset.group, by: img.dataset.by };
      img.src = url(`/v1/analytics/${img.dataset.chart}`, params);
    }
    for (const link of document.querySelectorAll("a[data-csv]")) {
      link.href = url(`/v1/analytics/${link.dataset.csv}`, {
        ...since, format: "csv", group: link.dataset.group, by: link.dataset.by });
    }
    const body = document.querySelector("#entry-table tbody");
    try {
      const byEntry = await api("GET", url("/v1/analytics/acceptance", { ...since, by: "entry" }));
      body.replaceChildren(...byEntry.items.map((row) => el("tr", {},
        el("td", {}, el("a", { href: "#", onclick: (e) => { e.preventDefault(); window.dd.openSource(row.key); } },
          row.key)),
        el("td", { class: "num" }, row.drafts), el("td", { class: "num" }, row.n),
        el("td", { class: "num" }, share(row.accepted)), el("td", { class: "num" }, share(row.edited)),
        el("td", { class: "num" }, share(row.rejected)),
        el("td", { class: "num" }, row.mean_edit_distance === null ? "—" : row.mean_edit_distance.toFixed(1)))));
    } catch (error) {
      body.replaceChildren(el("tr", {}, el("td", { colspan: 7, class: "error" }, error.message)));
    }
    await loadGaps(since);
  }

  async function loadGaps(since) {
    const list = document.getElementById("gap-list");
    const found = await api("GET", url("/v1/analytics/gaps", { ...since, limit: 20 }));
    document.getElementById("gaps-empty").hidden = found.items.length > 0;
    list.replaceChildren(...found.items.map((gap) => el("li", { class: "gap" },
      el("p", {}, el("strong", {}, t("an.gap_count", { count: gap.count })), " ", gap.examples.join(" · ")),
      gap.reasons.length ? el("p", { class: "muted" }, t("an.gap_reasons", { reasons: gap.reasons.join(" · ") })) : null,
      addFaqForm(gap))));
  }

  // One click from an unanswered question to a new FAQ: question prefilled, the answer is the owner's to write.
  function addFaqForm(gap) {
    const question = el("input", { name: "question", value: gap.examples[0], required: true });
    const answer = el("textarea", { name: "answer", rows: 2, required: true, placeholder: t("an.answer_placeholder") });
    const locale = /[\u4e00-\u9fff]/.test(gap.examples[0]) ? "zh" : "en";
    const status = el("p", { class: "muted", role: "status" });
    const form = el("form", { class: "add-faq", hidden: true },
      el("label", {}, t("an.question"), question), el("label", {}, t("an.answer"), answer),
      el("button", { type: "submit", class: "primary" }, t("an.publish_faq")), status);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const id = `gap-${Date.now().toString(36)}`;
      try {
        await api("POST", "/v1/knowledge", { source: "console", entries: [{
          id, locale, question: question.value, answer: answer.value, examples: gap.examples.slice(1) }] });
        status.textContent = t("an.faq_added", { id });
      } catch (error) {
        status.textContent = t("common.error", { message: error.message });
      }
    });
    const open = el("button", { type: "button", class: "add-faq-open",
      onclick: () => { form.hidden = false; answer.focus(); } }, t("an.add_faq"));
    return el("div", {}, open, form);
  }

  const staffingForm = document.getElementById("staffing-form");
  staffingForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const params = Object.fromEntries(new FormData(staffingForm));
    params.consultations = params.consultations.replaceAll(" ", "");
    const error = document.getElementById("staffing-error");
    try {
      const plan = await api("GET", url("/v1/analytics/staffing", params));
      document.getElementById("staffing-chart").src = url("/v1/analytics/staffing", { ...params, format: "svg" });
      document.getElementById("staffing-csv").href = url("/v1/analytics/staffing", { ...params, format: "csv" });
      document.querySelector("#shift-table tbody").replaceChildren(...plan.shifts.map((shift) => el("tr", {},
        el("td", {}, shift.shift), el("td", {}, `${shift.start_hour}–${shift.end_hour}`),
        el("td", { class: "num" }, shift.agents))));
      document.getElementById("staffing-result").hidden = false;
      showError(error, null);
    } catch (failure) {
      showError(error, failure);
    }
  });

  document.getElementById("period-form").addEventListener("submit", (event) => {
    event.preventDefault();
    refresh();
  });
  refresh();
})();
