// The knowledge-owner view: preview an upload's diff before publishing it, browse and delete entries,
// list and publish announcements.
"use strict";
(() => {
  const { t, api, el, showError, isoWithOffset, formatTime, openSource } = window.dd;
  const $ = (id) => document.getElementById(id);
  const PAGE = 20;
  let offset = 0;

  // --- upload: dry run first, then publish the same file --------------------------------------------------
  function uploadBody() {
    const body = new FormData();
    body.append("file", $("kb-file").files[0]);
    body.append("prune", $("kb-prune").checked ? "true" : "false");
    return body;
  }

  async function preview(event) {
    event.preventDefault();
    if (!$("kb-file").files.length) return;
    showError($("upload-error"), null);
    $("upload-status").textContent = t("common.loading");
    try {
      const report = await api("POST", "/v1/knowledge?dry_run=true", uploadBody());
      $("upload-status").textContent = "";
      showDiff(report);
      $("publish-btn").focus();
    } catch (error) {
      $("upload-status").textContent = "";
      $("diff").hidden = true;
      showError($("upload-error"), error);
    }
  }

  function showDiff(report) {
    $("diff").hidden = false;
    $("diff-summary").textContent = t("diff.summary", {
      added: report.added, updated: report.updated, deleted: report.deleted, unchanged: report.unchanged,
    });
    for (const bucket of ["added", "updated", "deleted"]) {
      const keys = report.keys[bucket];
      $(`count-${bucket}`).textContent = `(${keys.length})`;
      $(`keys-${bucket}`).replaceChildren(...(keys.length ? keys.map((key) => el("li", {}, el("code", {}, key)))
        : [el("li", { class: "muted" }, t("diff.none"))]));
    }
    $("publish-btn").disabled = report.added + report.updated + report.deleted === 0;
  }

  async function publish() {
    $("publish-btn").disabled = true;
    try {
      const report = await api("POST", "/v1/knowledge", uploadBody());
      $("diff").hidden = true;
      $("upload-status").textContent = t("kb.published", {
        added: report.added, updated: report.updated, deleted: report.deleted,
      });
      loadEntries();
      changed();
    } catch (error) {
      $("publish-btn").disabled = false;
      showError($("upload-error"), error);
    }
  }

  // --- entries ------------------------------------------------------------------------------------------
  function entryRow(entry) {
    return el("tr", { "data-key": `${entry.id}@${entry.locale}` },
      el("td", {}, el("button", { type: "button", class: "link", onclick: () => openSource(entry.id) }, entry.id)),
      el("td", {}, t(`locale.${entry.locale}`)), el("td", {}, t(`kind.${entry.kind}`)),
      el("td", {}, t(`platform.${entry.platform}`)),
      el("td", {}, entry.title || entry.question, answersLine(entry), learnedList(entry)),
      el("td", { class: "muted" }, entry.source),
      el("td", {}, el("button", { type: "button", class: "danger", onclick: () => remove(entry) }, t("common.delete"))),
    );
  }

  // What the entry answers (declared in the file or inferred when indexed): drafts use it only for these questions.
  function answersLine(entry) {
    const labels = entry.labels || {};
    const parts = [...(labels.intents || []), ...(labels.question_types || [])];
    if (!parts.length) return null;
    const how = labels.source === "declared" ? t("kb.answers_declared") : t("kb.answers_inferred");
    return el("div", { class: "answers muted" }, how, ...parts.map((p) => el("span", { class: "chip" }, p)));
  }

  // Buyer messages the entry learned from agents' sent drafts; the owner removes any that should not be there.
  function learnedList(entry) {
    if (!entry.learned || !entry.learned.length) return null;
    return el("div", { class: "learned muted" }, t("kb.learned"), ...entry.learned.map((text) =>
      el("span", { class: "chip" }, text, el("button", {
        type: "button", class: "link", title: t("kb.remove_learned"), "aria-label": t("kb.remove_learned"),
        onclick: () => removeLearned(entry, text),
      }, "×"))));
  }

  async function removeLearned(entry, text) {
    if (!window.confirm(t("kb.confirm_remove_learned", { text, id: entry.id, locale: entry.locale }))) return;
    try {
      const query = new URLSearchParams({ locale: entry.locale, text });
      await api("DELETE", `/v1/knowledge/${encodeURIComponent(entry.id)}/learned?${query}`);
      loadEntries();
      changed();
    } catch (error) {
      showError($("entries-error"), error);
    }
  }

  async function loadEntries() {
    const id = $("entry-id").value.trim();
    const locale = $("entry-locale").value;
    showError($("entries-error"), null);
    try {
      let items;
      let total;
      if (id) {
        const found = await api("GET", `/v1/knowledge/${encodeURIComponent(id)}${locale ? `?locale=${locale}` : ""}`)
          .catch((error) => { if (error.status === 404) return { entries: [] }; throw error; });
        items = found.entries.filter((e) => !$("entry-kind").value || e.kind === $("entry-kind").value);
        total = items.length;
        offset = 0;
      } else {
        const params = new URLSearchParams({ limit: PAGE, offset });
        if (locale) params.set("locale", locale);
        if ($("entry-kind").value) params.set("kind", $("entry-kind").value);
        ({ items, total } = await api("GET", `/v1/knowledge?${params}`));
      }
      document.querySelector("#entry-table tbody").replaceChildren(...(items.length ? items.map(entryRow)
        : [el("tr", {}, el("td", { colspan: 7, class: "muted" }, t("kb.no_entries")))]));
      $("page-info").textContent = t("kb.page_info", {
        from: total ? offset + 1 : 0, to: offset + items.length, total,
      });
      $("page-prev").disabled = offset === 0;
      $("page-next").disabled = offset + items.length >= total;
    } catch (error) {
      showError($("entries-error"), error);
    }
  }

  async function remove(entry) {
    if (!window.confirm(t("kb.confirm_delete", { id: entry.id, locale: entry.locale }))) return;
    try {
      await api("DELETE", `/v1/knowledge/${encodeURIComponent(entry.id)}?locale=${entry.locale}`);
      loadEntries();
      changed();
    } catch (error) {
      showError($("entries-error"), error);
    }
  }

  // --- announcements ------------------------------------------------------------------------------------
  function announcementRow(a) {
    return el("tr", { "data-id": a.id, class: `state-${a.state}` },
      el("td", {}, el("button", { type: "button", class: "link", onclick: () => openSource(a.id) }, a.title)),
      el("td", {}, t(`locale.${a.locale}`)), el("td", {}, t(`platform.${a.platform}`)),
      el("td", {}, formatTime(a.valid_from)), el("td", {}, formatTime(a.valid_until)),
      el("td", {}, el("span", { class: `badge ${a.state}` }, t(`state.${a.state}`))), el("td", {}, a.priority),
      el("td", {}, a.state === "active"
        ? el("button", { type: "button", onclick: () => expire(a.id) }, t("ann.expire")) : ""),
    );
  }

  async function loadAnnouncements() {
    showError($("ann-error"), null);
    try {
      const { items } = await api("GET", `/v1/announcements?state=${$("ann-state").value}`);
      document.querySelector("#ann-table tbody").replaceChildren(...items.map(announcementRow));
      $("ann-empty").hidden = items.length > 0;
    } catch (error) {
      showError($("ann-error"), error);
    }
  }

  async function expire(id) {
    try {
      await api("POST", `/v1/announcements/${encodeURIComponent(id)}/expire`);
      loadAnnouncements();
      changed();
    } catch (error) {
      showError($("ann-error"), error);
    }
  }

  const list = (value) => value.split(/[,，]/).map((s) => s.trim()).filter(Boolean);

  async function publishAnnouncement(event) {
    event.preventDefault();
    const body = {
      title: $("ann-title").value, body: $("ann-body").value, locale: $("ann-locale").value,
      platform: $("ann-platform").value, priority: Number($("ann-priority").value || 0),
      valid_until: isoWithOffset($("ann-until").value),
      scope: { intents: list($("ann-intents").value), regions: list($("ann-regions").value) },
    };
    if ($("ann-from").value) body.valid_from = isoWithOffset($("ann-from").value);
    showError($("ann-error"), null);
    try {
      const created = await api("POST", "/v1/announcements", body);
      $("ann-status").textContent = t("ann.published", { id: created.id, state: t(`state.${created.state}`) });
      $("ann-form").reset();
      $("ann-state").value = created.state;
      loadAnnouncements();
      changed();
    } catch (error) {
      showError($("ann-error"), error);
    }
  }

  // versions.js lists the knowledge-base versions: tell it something changed.
  function changed() {
    document.dispatchEvent(new CustomEvent("knowledge-changed"));
  }

  $("upload-form").addEventListener("submit", preview);
  $("publish-btn").addEventListener("click", publish);
  $("discard-btn").addEventListener("click", () => { $("diff").hidden = true; });
  $("kb-file").addEventListener("change", () => { $("diff").hidden = true; $("upload-status").textContent = ""; });
  $("entry-search").addEventListener("submit", (event) => { event.preventDefault(); offset = 0; loadEntries(); });
  $("page-prev").addEventListener("click", () => { offset = Math.max(0, offset - PAGE); loadEntries(); });
  $("page-next").addEventListener("click", () => { offset += PAGE; loadEntries(); });
  $("ann-state").addEventListener("change", loadAnnouncements);
  $("ann-form").addEventListener("submit", publishAnnouncement);
  document.addEventListener("knowledge-changed", (event) => {
    if (event.detail === "rollback") loadEntries();
  });
  loadEntries();
  loadAnnouncements();
})();
