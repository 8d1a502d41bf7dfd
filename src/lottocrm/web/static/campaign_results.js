// The response rate of each lifecycle segment, treated beside control, from the page's own figures.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("segment-chart");
    if (!node || typeof echarts === "undefined") { return; }
    var data = JSON.parse(node.getAttribute("data-chart"));
    var pct = function (v) { return v === null ? "—" : (v * 100).toFixed(1) + " %"; };
    var chart = echarts.init(node);
    chart.setOption({
      tooltip: { trigger: "axis", valueFormatter: pct },
      legend: { data: [data.labels.treatment, data.labels.control] },
      grid: { left: 60, right: 20, bottom: 40, top: 40 },
      xAxis: { type: "category", data: data.segments },
      yAxis: { type: "value", axisLabel: { formatter: function (v) { return (v * 100).toFixed(0) + " %"; } } },
      series: [
        { name: data.labels.treatment, type: "bar", data: data.treatment },
        { name: data.labels.control, type: "bar", data: data.control }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
