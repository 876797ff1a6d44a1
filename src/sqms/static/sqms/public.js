// The public complaint pages and the QR poster: print, copy the tracking code, and one
// submission per tap. No inline scripts (CSP forbids them); buttons that need this script stay
// hidden without it.
(function () {
  "use strict";
  var needy = document.querySelectorAll("[data-print], [data-copy]");
  for (var i = 0; i < needy.length; i++) needy[i].hidden = false;

  function selectText(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { window.print(); return; }
    var copy = event.target.closest("[data-copy]");
    if (!copy) return;
    var source = document.querySelector(copy.getAttribute("data-copy"));
    if (!source) return;
    var done = function () { copy.textContent = copy.getAttribute("data-copied"); };
    // The clipboard API needs HTTPS; on a plain-HTTP intranet select the text for the user.
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.textContent.trim()).then(done, function () { selectText(source); });
    } else {
      selectText(source);
    }
  });

  // A double tap on "Send" sends once (the server refuses a second use of the form's stamp too).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-once")) return;
    if (form.hasAttribute("data-sent")) { event.preventDefault(); return; }
    form.setAttribute("data-sent", "");
  });
  // Coming back with the browser's Back button: the form may be sent again.
  window.addEventListener("pageshow", function () {
    var sent = document.querySelectorAll("form[data-sent]");
    for (var i = 0; i < sent.length; i++) sent[i].removeAttribute("data-sent");
  });
})();
