// The response rate of each lifecycle segment, treated beside control, from the page's own figures.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("segment-chart");
    if (!node || typeof echarts === "undefined") { return; }
    var data = JSON.parse(node.getAttribute("data-chart"));
    // In the page's language (a decimal comma in Russian), with as many digits as a small rate needs: axis
    // ticks of 0.5 % steps must not all read "1 %".
    var lang = document.documentElement.lang || "ru";
    var percent = function (v, digits) {
      return (v * 100).toLocaleString(lang, { maximumFractionDigits: digits }) + " %";
    };
    var pct = function (v) { return v === null ? "—" : percent(v, 2); };
    var chart = echarts.init(node);
    chart.setOption({
      tooltip: { trigger: "axis", valueFormatter: pct },
      legend: { data: [data.labels.treatment, data.labels.control] },
      grid: { left: 60, right: 20, bottom: 40, top: 40 },
      xAxis: { type: "category", data: data.segments },
      yAxis: { type: "value", axisLabel: { formatter: function (v) { return percent(v, 2); } } },
      series: [
        { name: data.labels.treatment, type: "bar", data: data.treatment },
        { name: data.labels.control, type: "bar", data: data.control }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
