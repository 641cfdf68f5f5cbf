// The console's only script: the CSRF token on htmx requests, and the dashboard's charts
// from the JSON blocks the page carries (the CSP runs no inline script).
"use strict";

document.addEventListener("htmx:configRequest", (event) => {
  const token = document.body.dataset.csrf;
  if (token) event.detail.headers["X-CSRF-Token"] = token;
});

function drawCharts() {
  if (typeof Chart === "undefined") return;
  for (const block of document.querySelectorAll("script[type='application/json'][data-chart]")) {
    const canvas = document.getElementById(block.dataset.chart);
    if (!canvas || canvas.dataset.drawn) continue;
    const spec = JSON.parse(block.textContent);
    canvas.dataset.drawn = "1";
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: spec.datasets },
      options: { responsive: true, maintainAspectRatio: false, animation: false },
    });
  }
}

document.addEventListener("DOMContentLoaded", drawCharts);
document.addEventListener("htmx:afterSettle", drawCharts);
