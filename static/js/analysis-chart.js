/* 能耗数据分析: the item's values as a line chart over the vendored Chart.js; the data
   (labels, one dataset, unit) comes from the json_script element "analysis-data". */
(function () {
  "use strict";
  function draw() {
    const canvas = document.getElementById("analysis-chart");
    const source = document.getElementById("analysis-data");
    if (!canvas || !source || typeof Chart === "undefined") return;
    const data = JSON.parse(source.textContent);
    const grouped = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
    canvas.chart = new Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.datasets.map((d) => ({
          borderColor: "#0d6efd", backgroundColor: "#0d6efd", tension: 0.1, pointRadius: 2, ...d,
        })),
      },
      options: {
        responsive: true,
        animation: false,
        scales: { y: { beginAtZero: true, ticks: { callback: (v) => grouped.format(v) } } },
        plugins: {
          tooltip: {
            callbacks: { label: (c) => c.dataset.label + ": " + grouped.format(c.parsed.y) },
          },
        },
      },
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
