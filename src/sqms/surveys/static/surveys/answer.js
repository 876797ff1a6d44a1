// The survey answer page: the running total of an importance allocation. No inline scripts
// (the CSP forbids them); without this file the page still works and the server checks the sum.
(function () {
  "use strict";
  function update(box) {
    var total = parseInt(box.getAttribute("data-total"), 10) || 100;
    var sum = 0;
    box.querySelectorAll("input[type=number]").forEach(function (input) {
      var v = parseInt(input.value, 10);
      if (!isNaN(v)) sum += v;
    });
    var out = box.querySelector("output");
    if (out) out.textContent = String(sum);
    var line = box.querySelector(".alloc-sum");
    if (line) line.classList.toggle("off", sum !== total);
  }
  document.addEventListener("input", function (event) {
    var box = event.target.closest && event.target.closest(".alloc");
    if (box) update(box);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".alloc").forEach(update);
  });
})();
