// Knowledge page, lower half: the knowledge-base versions (with rollback) and possible duplicate FAQs.
"use strict";
(() => {
  const { t, api, el, formatTime, openSource } = window.dd;

  async function loadVersions() {
    const found = await api("GET", "/v1/knowledge/versions");
    document.getElementById("versions-empty").hidden = found.items.length > 0;
    const latest = found.items.length ? found.items[0].number : null;
    document.querySelector("#versions-table tbody").replaceChildren(...found.items.map((v) => el("tr",
      { "data-version": v.number },
      el("td", { class: "num" }, v.number), el("td", {}, formatTime(v.created_at)), el("td", {}, v.reason),
      el("td", { class: "num" }, v.entries), el("td", {}, el("code", {}, v.kb_version)),
      el("td", {}, v.number === latest ? "" : el("button", { type: "button", class: "rollback",
        onclick: () => rollback(v.number) }, t("kb.rollback"))))));
  }

  async function rollback(number) {
    if (!window.confirm(t("kb.confirm_rollback", { number }))) return;
    const status = document.getElementById("versions-status");
    try {
      const done = await api("POST", `/v1/knowledge/versions/${number}/rollback`);
      status.textContent = t("kb.rolled_back", { number: done.version.number });
      document.dispatchEvent(new CustomEvent("knowledge-changed", { detail: "rollback" }));
    } catch (error) {
      status.textContent = t("common.error", { message: error.message });
    }
  }

  async function loadDuplicates() {
    const found = await api("GET", "/v1/knowledge/duplicates");
    document.getElementById("duplicates-empty").hidden = found.items.length > 0;
    const link = (key) => el("a", { href: "#", onclick: (e) => { e.preventDefault(); openSource(key.split("@")[0]); } },
      key);
    document.querySelector("#duplicates-table tbody").replaceChildren(...found.items.map((pair) => el("tr", {},
      el("td", {}, link(pair.first)), el("td", {}, link(pair.second)),
      el("td", { class: "num" }, pair.score.toFixed(3)))));
  }

  function refresh() {
    loadVersions().catch((error) => {
      document.getElementById("versions-status").textContent = t("common.error", { message: error.message });
    });
    loadDuplicates().catch(() => {});
  }

  document.addEventListener("knowledge-changed", refresh);
  refresh();
})();
