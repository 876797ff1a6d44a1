// SQMS: the little script the pages need beyond htmx. No inline scripts (CSP forbids them).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest(".menu-toggle");
    if (!toggle) return;
    var open = document.body.classList.toggle("nav-open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();

// Ctrl+Enter (or ⌘+Enter) saves the intake form: a hotline operator never leaves the keyboard.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    var form = event.target.closest && event.target.closest("form.intake-form");
    if (form) { event.preventDefault(); form.requestSubmit(); }
  });
})();
