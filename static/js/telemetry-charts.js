/* Telemetry charts over the vendored Chart.js; data comes from a json_script element. */
const TELEMETRY_COLOURS = ["#0d6efd", "#198754", "#dc3545", "#fd7e14", "#6f42c1", "#20c997",
  "#0dcaf0", "#6c757d", "#d63384", "#ffc107", "#212529", "#6610f2"];

function telemetryLineChart(canvasId, dataId) {
  const canvas = document.getElementById(canvasId);
  if (!canvas || typeof Chart === "undefined") return null;
  const data = JSON.parse(document.getElementById(dataId).textContent);
  return new Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: data.datasets.map((d, i) => ({
        borderColor: TELEMETRY_COLOURS[i % TELEMETRY_COLOURS.length],
        backgroundColor: TELEMETRY_COLOURS[i % TELEMETRY_COLOURS.length],
        tension: 0.1, ...d,
      })),
    },
    options: {
      responsive: true,
      scales: { y: { min: 0, max: 100, ticks: { callback: (v) => v + "%" } } },
    },
  });
}

function telemetryDoughnutChart(canvasId, dataId) {
  const canvas = document.getElementById(canvasId);
  if (!canvas || typeof Chart === "undefined") return null;
  const data = JSON.parse(document.getElementById(dataId).textContent);
  return new Chart(canvas, {
    type: "doughnut",
    data: {
      labels: data.labels,
      datasets: [{ data: data.values,
        backgroundColor: data.values.map((_, i) => TELEMETRY_COLOURS[i % TELEMETRY_COLOURS.length]) }],
    },
    options: { responsive: true, plugins: { legend: { position: "right" } } },
  });
}

function telemetryStackedBarChart(canvasId, dataId) {
  const canvas = document.getElementById(canvasId);
  if (!canvas || typeof Chart === "undefined") return null;
  const data = JSON.parse(document.getElementById(dataId).textContent);
  const colours = ["#198754", "#0dcaf0", "#fd7e14", "#dc3545"];
  return new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: data.datasets.map((d, i) => ({ backgroundColor: colours[i % colours.length], ...d })),
    },
    options: { responsive: true, scales: { x: { stacked: true }, y: { stacked: true, min: 0 } } },
  });
}
