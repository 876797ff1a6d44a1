// Inspections: a receipt photo chosen on the phone is uploaded at once (no inline script: CSP).
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.classList && input.classList.contains("auto-submit") && input.form) {
      input.form.requestSubmit();
    }
  });
})();
