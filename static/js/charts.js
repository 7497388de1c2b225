/* Small helpers over the vendored Chart.js: data comes from a json_script element. */
function portalChartData(dataId) {
  return JSON.parse(document.getElementById(dataId).textContent);
}

function portalBarChart(canvasId, dataId, options) {
  const data = portalChartData(dataId);
  const canvas = document.getElementById(canvasId);
  if (!canvas || typeof Chart === "undefined") return null;
  return new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: (data.datasets || [{ label: data.label || "", data: data.values }]).map((d) => ({
        backgroundColor: "#0d6efd", ...d,
      })),
    },
    options: Object.assign({
      responsive: true,
      plugins: { legend: { display: Boolean(data.datasets) } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    }, options || {}),
  });
}
