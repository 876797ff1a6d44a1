// SQMS charts: draws the Plotly figures a page hands over in a JSON data block
// (<script type="application/json" id="dash-charts">, never executed, so the CSP allows it) into
// the elements marked data-chart="<name>". No inline script, no eval; Plotly comes from our own
// server (see complaints/views/dashboard.py).
(function () {
  "use strict";

  var CONFIG = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"],
  };

  function figures(root) {
    var block = root.querySelector ? root.querySelector("#dash-charts") : null;
    if (!block) block = document.getElementById("dash-charts");
    if (!block) return null;
    try {
      return JSON.parse(block.textContent);
    } catch (e) {
      return null;
    }
  }

  function draw(root) {
    var figs = figures(root);
    if (!figs) return;
    var phone = window.matchMedia && window.matchMedia("(max-width: 600px)").matches;
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var fig = figs[el.getAttribute("data-chart")];
      if (!fig) return;
      if (fig.empty || typeof window.Plotly === "undefined") {
        if (window.Plotly) window.Plotly.purge(el);
        el.classList.add("empty");
        el.textContent = fig.empty || "";
        return;
      }
      el.classList.remove("empty");
      var config = Object.assign({}, CONFIG, { displayModeBar: phone ? false : "hover" });
      window.Plotly.react(el, fig.data, fig.layout, config);
    });
  }

  // A custom date switches the period to "custom dates".
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.form || !input.form.classList.contains("dash-filters")) return;
    if (input.name === "date_from" || input.name === "date_to") {
      var period = input.form.querySelector("select[name=period]");
      if (period) period.value = "custom";
    }
  });

  function start() {
    draw(document);
    document.body.addEventListener("htmx:afterSettle", function (event) {
      if (event.target && event.target.id === "dashboard") draw(event.target);
    });
    document.body.addEventListener("htmx:historyRestore", function () {
      draw(document);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
