// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // Language switch submits on change (the button stays for keyboard and no-JS users).
  document.querySelectorAll("form.language-switch select").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
  // Ask before irreversible actions marked with data-confirm.
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  // Print buttons: shown only where script runs (without it, the browser's own Print works).
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  });
  // htmx sends the CSRF token with every request it makes.
  document.body.addEventListener("htmx:configRequest", (event) => {
    const token = document.querySelector("meta[name=csrf-token]");
    if (token) event.detail.headers["X-CSRFToken"] = token.content;
  });
});
