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
