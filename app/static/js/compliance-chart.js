/* The compliance page's stacked bar chart. The data sits in a <script type="application/json"> block named by the
   canvas's data-stacked-chart attribute (no inline scripts: the CSP forbids them); drawn again after HTMX swaps. */
(function () {
  "use strict";

  var COLORS = { block: "#c62828", defer: "#a84300", require_content: "#1565c0", warn: "#6a1b9a" };

  function draw(root) {
    if (typeof Chart === "undefined") return;
    root.querySelectorAll("canvas[data-stacked-chart]").forEach(function (canvas) {
      if (canvas.dataset.chartReady || Chart.getChart(canvas)) return;
      var source = document.getElementById(canvas.dataset.stackedChart);
      if (!source) return;
      canvas.dataset.chartReady = "1";
      var data = JSON.parse(source.textContent);
      var labels = data.labels.map(function (day) { return day.slice(5); });
      new Chart(canvas, {
        type: "bar",
        data: {
          labels: labels,
          datasets: data.series.map(function (s) {
            return { label: s.label, data: s.values, backgroundColor: COLORS[s.key] || "#616161", stack: "decisions" };
          })
        },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          interaction: { mode: "index", intersect: false },
          scales: {
            x: { stacked: true, ticks: { color: "#424242", autoSkip: true, maxRotation: 0 }, grid: { display: false } },
            y: { stacked: true, beginAtZero: true, ticks: { color: "#424242", precision: 0 } }
          },
          plugins: { legend: { position: "bottom", labels: { color: "#212121", boxWidth: 14 } } }
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw(document);
    ["htmx:afterSettle", "htmx:historyRestore"].forEach(function (name) {
      document.body.addEventListener(name, function () { draw(document); });
    });
  });
})();
