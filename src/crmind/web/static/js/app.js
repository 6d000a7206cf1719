// crmind dashboard: draws every chart element ([data-chart] holds an ECharts option as JSON),
// on load and after htmx swaps, and keeps them sized to their box.
(function () {
  "use strict";
  var charts = [];

  function draw(root) {
    if (!window.echarts) { return; }
    (root || document).querySelectorAll(".chart[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) { return; }
      var option;
      try { option = JSON.parse(el.dataset.chart); } catch (e) { el.dataset.error = String(e); return; }
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      option.animation = false;
      chart.setOption(option);
      var points = 0;
      (option.series || []).forEach(function (s) { points += (s.data || []).length; });
      el.dataset.points = String(points);
      el.dataset.drawn = "1";
      charts.push(chart);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.target); });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { if (!chart.isDisposed()) { chart.resize(); } });
  });
})();
