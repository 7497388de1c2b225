/* Behaviour every page shares, bound from data attributes: the Content-Security-Policy
   allows no inline script or on*= handler, and no style attribute.

   data-autosubmit          a <select> that submits its form when changed
   data-print               a button that opens the print dialog
   data-progress="42.5"     a progress bar's width in per cent
   data-chart="bar|line|doughnut|stacked" data-chart-data="id" [data-chart-options='{...}']
                            a canvas drawn by the chart helpers (charts.js, telemetry-charts.js)
                            from the json_script element with that id

   Runs on the page and again on every fragment HTMX swaps in (htmx:load); progress widths
   are applied again after every swap and settle. */
(function () {
  "use strict";
  const CHARTS = {
    bar: "portalBarChart",
    line: "telemetryLineChart",
    doughnut: "telemetryDoughnutChart",
    stacked: "telemetryStackedBarChart",
  };

  function once(element, name) {
    const key = "portalBound" + name;
    if (element.dataset[key]) return false;
    element.dataset[key] = "1";
    return true;
  }

  function each(root, selector, callback) {
    if (root.matches && root.matches(selector)) callback(root);
    root.querySelectorAll(selector).forEach(callback);
  }

  // Idempotent: setting the same width twice changes nothing, so it runs on load, on
  // htmx:load and again after every swap and settle (a swapped-in bar is never left bare).
  function applyProgress(root) {
    each(root, "[data-progress]", (element) => {
      const percent = Math.max(0, Math.min(100, parseFloat(element.dataset.progress) || 0));
      const width = percent + "%";
      if (element.style.width !== width) element.style.width = width;
    });
  }

  function init(root) {
    each(root, "[data-autosubmit]", (element) => {
      if (once(element, "Submit")) element.addEventListener("change", () => element.form.submit());
    });
    each(root, "[data-print]", (element) => {
      if (once(element, "Print")) element.addEventListener("click", () => window.print());
    });
    applyProgress(root);
    each(root, "canvas[data-chart]", (canvas) => {
      const draw = window[CHARTS[canvas.dataset.chart]];
      if (typeof draw !== "function" || !once(canvas, "Chart")) return;
      const options = canvas.dataset.chartOptions ? JSON.parse(canvas.dataset.chartOptions) : undefined;
      draw(canvas.id, canvas.dataset.chartData, options);
    });
  }

  function start() {
    init(document);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  document.addEventListener("htmx:load", (event) => init(event.detail.elt));
  ["htmx:afterSwap", "htmx:afterSettle"].forEach((name) =>
    document.addEventListener(name, (event) => {
      const target = event.detail && (event.detail.elt || event.detail.target);
      applyProgress(target && target.isConnected ? target : document);
    }),
  );
})();
