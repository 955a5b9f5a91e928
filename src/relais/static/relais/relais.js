// Small progressive enhancements; every page works without them.
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", () => {
  // On a phone the header's menu opens and closes with its button (CSS hides it closed).
  document.querySelectorAll(".menu-toggle").forEach((button) => {
    const menu = document.getElementById(button.getAttribute("aria-controls"));
    if (!menu) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      const open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      menu.classList.toggle("open", open);
    });
  });
  // Language switch submits on change (the button stays for keyboard and no-JS users).
  document.querySelectorAll("form.language-switch select").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
  // A skip link moves the focus itself: following "#site-search" only scrolls to the box.
  document.querySelectorAll("a.skip-link").forEach((link) => {
    link.addEventListener("click", () => {
      const target = document.querySelector(link.getAttribute("href"));
      if (target) target.focus();
    });
  });
  // A table wider than the screen scrolls sideways in its frame: the frame takes the
  // keyboard focus so it can be scrolled without a mouse (WCAG 2.1.1), named after the
  // table's caption or the heading above it.
  document.querySelectorAll(".table-wrap").forEach((frame) => {
    if (frame.scrollWidth <= frame.clientWidth) return;
    const caption = frame.querySelector("caption");
    let heading = frame.previousElementSibling;
    while (heading && !/^H[1-6]$/.test(heading.tagName)) heading = heading.previousElementSibling;
    frame.tabIndex = 0;
    frame.setAttribute("role", "region");
    const name = (caption || heading || document.querySelector("h1"));
    if (name) frame.setAttribute("aria-label", name.textContent.trim());
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
  // A file over the upload limit is refused as soon as it is chosen, not after minutes of
  // sending it (the server refuses it too: this only spares the wait).
  const uploadLimit = document.querySelector("meta[name=upload-limit]");
  if (uploadLimit) {
    const maxBytes = Number(uploadLimit.content);
    const tooLarge = (input) => Array.from(input.files || []).find((f) => f.size > maxBytes);
    const say = (input, file) => {
      let note = input.parentElement.querySelector(".upload-too-large");
      if (!file) { if (note) note.remove(); return; }
      if (!note) {
        note = document.createElement("p");
        note.className = "errorlist upload-too-large";
        note.setAttribute("role", "alert");
        input.insertAdjacentElement("afterend", note);
      }
      const size = (file.size / 1048576).toLocaleString(document.documentElement.lang,
        { minimumFractionDigits: 1, maximumFractionDigits: 1 });
      note.textContent = uploadLimit.dataset.message.replace("{size}", size);
    };
    document.querySelectorAll("input[type=file]").forEach((input) => {
      input.addEventListener("change", () => say(input, tooLarge(input)));
      if (input.form) input.form.addEventListener("submit", (event) => {
        const file = tooLarge(input);
        if (!file) return;
        event.preventDefault();
        say(input, file);
        input.focus();
      });
    });
  }
  // htmx sends the CSRF token with every request it makes.
  document.body.addEventListener("htmx:configRequest", (event) => {
    const token = document.querySelector("meta[name=csrf-token]");
    if (token) event.detail.headers["X-CSRFToken"] = token.content;
  });
});
