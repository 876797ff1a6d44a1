// SQMS charts: draws the Plotly figure that each element marked data-chart carries as JSON in
// its data-figure attribute (data, never executed: no inline script, no eval, so the CSP has
// nothing to object to; an htmx swap keeps attributes, whereas it drops script elements).
// Plotly's script and style rules come from our own server (complaints/views/dashboard.py).
(function () {
  "use strict";

  var CONFIG = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"],
  };

  function figureOf(el) {
    try {
      return JSON.parse(el.getAttribute("data-figure") || "null");
    } catch (e) {
      return null;
    }
  }

  function draw(root) {
    var phone = window.matchMedia && window.matchMedia("(max-width: 600px)").matches;
    var config = Object.assign({}, CONFIG, { displayModeBar: phone ? false : "hover" });
    (root || document).querySelectorAll("[data-chart][data-figure]").forEach(function (el) {
      var fig = figureOf(el);
      if (!fig) return;
      if (fig.empty || typeof window.Plotly === "undefined") {
        el.classList.add("empty");
        el.textContent = fig.empty || "";
        return;
      }
      el.classList.remove("empty");
      window.Plotly.react(el, fig.data, fig.layout, config);
    });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.form || !input.form.classList.contains("dash-filters")) return;
    var form = input.form;
    if (input.name === "date_from" || input.name === "date_to") {
      // A date typed in makes the period a custom one.
      var period = form.querySelector("select[name=period]");
      if (period) period.value = "custom";
    } else if (input.name === "period" && input.value !== "custom") {
      // A preset decides the dates; the page shows them once it is back.
      form.querySelectorAll("input[type=date]").forEach(function (d) { d.value = ""; });
    }
  });

  function start() {
    draw(document);
    document.body.addEventListener("htmx:afterSettle", function (event) {
      var target = event.detail && event.detail.target;
      if (target && target.id === "dashboard") draw(target);
    });
    // htmx keeps a copy of the page for the back button by re-parsing its HTML, where Plotly's
    // style properties would turn into style attributes the CSP refuses: take the charts out
    // first (the new content is drawn anyway, and a restored page is drawn again below).
    document.body.addEventListener("htmx:beforeHistorySave", function () {
      if (typeof window.Plotly === "undefined") return;
      document.querySelectorAll("[data-chart][data-figure]").forEach(function (el) {
        window.Plotly.purge(el);
        el.textContent = "";
      });
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
