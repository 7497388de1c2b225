// The annual audit's monthly completeness chart (data in #audit-chart-data).
document.addEventListener("DOMContentLoaded", () => {
  portalBarChart("audit-chart", "audit-chart-data", { scales: { y: { beginAtZero: true, max: 100 } } });
});
