// Sign in with an API key: the server checks it and keeps it in an HttpOnly cookie; then the page reloads.
"use strict";
(() => {
  const { t, api, showError } = window.dd;
  const button = document.querySelector("#signin-form button");
  document.getElementById("signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    button.textContent = t("common.loading");
    try {
      await api("POST", "/console/session", { key: document.getElementById("signin-key").value });
      window.location.reload();
    } catch (error) {
      button.textContent = t("auth.sign_in");
      showError(document.getElementById("signin-error"), error);
    }
  });
})();
