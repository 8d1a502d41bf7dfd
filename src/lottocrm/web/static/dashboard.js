// Draws the dashboard's charts from the report API. Loaded as a static file: the CSP allows no inline script.
(function () {
  "use strict";
  var root = document.querySelector(".charts");
  if (!root || typeof echarts === "undefined") { return; }
  var labels = JSON.parse(root.getAttribute("data-labels"));
  var locale = root.getAttribute("data-locale") === "en" ? "en-GB" : "ru-RU";
  var rub = new Intl.NumberFormat(locale, { style: "currency", currency: "RUB", maximumFractionDigits: 0 });
  // Axes and bar labels use compact money ("295 млн ₽") so ticks never collide; tooltips keep the full amount.
  var rubShort = new Intl.NumberFormat(locale, { style: "currency", currency: "RUB", notation: "compact", maximumFractionDigits: 1 });
  var num = new Intl.NumberFormat(locale);
  var pct = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
  var charts = [];

  // [code, label] pairs in lifecycle order.
  var segmentPairs = JSON.parse(root.getAttribute("data-segments"));
  var segmentCodes = segmentPairs.map(function (pair) { return pair[0]; });
  var segments = {};
  segmentPairs.forEach(function (pair) { segments[pair[0]] = pair[1]; });

  // Segment reports have a path of two parts ("segments/sizes"), so each part is encoded on its own.
  function fetchReport(name) {
    return fetch("/api/v1/reports/" + name.split("/").map(encodeURIComponent).join("/"), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(name + ": HTTP " + r.status); } return r.json(); });
  }
  function asObjects(report) {
    return report.rows.map(function (row) {
      var o = {}; report.columns.forEach(function (c, i) { o[c] = row[i]; }); return o;
    });
  }
  function load(name) { return fetchReport(name).then(asObjects); }
  function hint(id, text) {
    var el = document.getElementById(id);
    el.textContent = text;
    el.classList.add("hint");
  }
  function month(iso) { return iso.slice(0, 7); }
  // A period the data does not cover to its end (the month of the latest sale) is marked, never shown as whole.
  function period(row) { return month(row.month || row.cohort) + (row.complete ? "" : " *"); }
  function footnote(id, text) {
    var note = document.createElement("small");
    note.className = "muted chart-note";
    note.textContent = text;
    document.getElementById(id).insertAdjacentElement("afterend", note);
  }
  function draw(id, option) {
    var el = document.getElementById(id);
    el.textContent = "";  // the "being computed" hint, if the page had to show one
    var chart = echarts.init(el, null, { renderer: "canvas" });
    option.animation = false;
    chart.setOption(option);
    charts.push(chart);
    el.setAttribute("data-rendered", "true");
  }
  function fail(id, error) {
    var el = document.getElementById(id);
    el.textContent = String(error);
    el.classList.add("error");
  }
  // Region and channel codes as the page's language names them; a game is already a name.
  var names = JSON.parse(root.getAttribute("data-names"));
  // Bars of every row (the largest on top), the chart as tall as its rows need.
  function bars(id, rows, key) {
    rows = rows.slice().reverse();
    document.getElementById(id).style.height = Math.max(320, rows.length * 24 + 60) + "px";
    draw(id, {
      grid: { left: 10, right: 80, top: 10, bottom: 30, containLabel: true },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return rub.format(v); } },
      xAxis: { type: "value", axisLabel: { formatter: function (v) { return rubShort.format(v); } } },
      yAxis: { type: "category", axisLabel: { interval: 0 },
               data: rows.map(function (r) { return r[key] ? names[r[key]] || r[key] : "—"; }) },
      series: [{ type: "bar", name: labels.revenue, data: rows.map(function (r) { return r.revenue_kopecks / 100; }),
                 label: { show: true, position: "right", formatter: function (p) { return rubShort.format(p.value); } } }]
    });
  }

  var jobs = {
    "chart-kpi": function () {
      return load("kpi").then(function (rows) {
        var partial = rows.filter(function (r) { return !r.complete; }).map(period);
        draw("chart-kpi", {
          legend: { top: 0 },
          tooltip: { trigger: "axis" },
          grid: { left: 70, right: 90, top: 40, bottom: 30 },
          xAxis: { type: "category", data: rows.map(period) },
          yAxis: [{ type: "value", name: labels.players, axisLabel: { formatter: function (v) { return num.format(v); } } },
                  { type: "value", name: labels.revenue, axisLabel: { formatter: function (v) { return rubShort.format(v); } } }],
          series: [
            { type: "line", name: labels.active_players, data: rows.map(function (r) { return r.active_players; }),
              markArea: { silent: true, itemStyle: { color: "rgba(120, 120, 120, 0.12)" },
                          data: partial.map(function (p) { return [{ xAxis: p }, { xAxis: p }]; }) } },
            { type: "line", name: labels.new_players, data: rows.map(function (r) { return r.new_players; }) },
            { type: "bar", name: labels.revenue, yAxisIndex: 1,
              data: rows.map(function (r) {
                return { value: r.revenue_kopecks / 100, itemStyle: r.complete ? {} : { opacity: 0.4 } };
              }) }
          ]
        });
        if (partial.length) { footnote("chart-kpi", labels.so_far_note); }
      });
    },
    "chart-cohorts": function () {
      return load("cohorts").then(function (rows) {
        var cohorts = Array.from(new Set(rows.map(function (r) { return month(r.cohort); }))).sort();
        var ages = Array.from(new Set(rows.map(function (r) { return r.age; }))).sort(function (a, b) { return a - b; });
        draw("chart-cohorts", {
          tooltip: { formatter: function (p) {
            return labels.cohort + " " + cohorts[p.value[1]] + ", +" + ages[p.value[0]] + ": " + pct.format(p.value[2]) +
              (p.data.complete ? "" : " (" + labels.so_far + ")");
          } },
          grid: { left: 80, right: 90, top: 10, bottom: 50 },
          xAxis: { type: "category", name: labels.months_since, nameLocation: "middle", nameGap: 28, data: ages },
          yAxis: { type: "category", data: cohorts },
          visualMap: { min: 0, max: 1, calculable: true, orient: "vertical", right: 0, top: "middle",
                       formatter: function (v) { return pct.format(v); } },
          series: [{ type: "heatmap", name: labels.retention,
                     data: rows.map(function (r) {
                       return { value: [ages.indexOf(r.age), cohorts.indexOf(month(r.cohort)), r.retention], complete: r.complete,
                                itemStyle: r.complete ? {} : { opacity: 0.45 },
                                label: r.complete ? {} : { color: "#222", textBorderWidth: 0 } };
                     }),
                     label: { show: cohorts.length <= 14, formatter: function (p) {
                       return Math.round(p.value[2] * 100) + (p.data.complete ? "" : "*");
                     } } }]
        });
        if (rows.some(function (r) { return !r.complete; })) { footnote("chart-cohorts", labels.so_far_note); }
      });
    },
    "chart-funnel": function () {
      return load("funnel").then(function (rows) {
        var r = rows[0] || {};
        var steps = ["registered", "first_purchase", "second_purchase", "fifth_purchase"];
        draw("chart-funnel", {
          tooltip: { trigger: "item" },
          series: [{ type: "funnel", sort: "none", left: "10%", width: "80%", minSize: "10%",
                     label: { show: true, position: "inside", formatter: function (p) { return p.name + ": " + num.format(p.value); } },
                     data: steps.map(function (s) { return { name: labels[s], value: r[s] || 0 }; }) }]
        });
      });
    },
    "chart-game": function () { return load("sales-by-game").then(function (rows) { bars("chart-game", rows, "game"); }); },
    "chart-channel": function () { return load("sales-by-channel").then(function (rows) { bars("chart-channel", rows, "channel"); }); },
    "chart-region": function () { return load("sales-by-region").then(function (rows) { bars("chart-region", rows, "region"); }); },
    "chart-segments": function () {
      return load("segments/sizes").then(function (rows) {
        if (!rows.length) { hint("chart-segments", labels.no_segments); return; }
        var dates = Array.from(new Set(rows.map(function (r) { return r.as_of; }))).sort();
        var count = {};
        rows.forEach(function (r) { count[r.as_of + "|" + r.segment] = r.players; });
        draw("chart-segments", {
          legend: { top: 0 },
          tooltip: { trigger: "axis", valueFormatter: function (v) { return num.format(v); } },
          grid: { left: 70, right: 20, top: 80, bottom: 30 },
          xAxis: { type: "category", data: dates },
          yAxis: { type: "value", name: labels.players, axisLabel: { formatter: function (v) { return num.format(v); } } },
          series: segmentCodes.filter(function (code) { return dates.some(function (d) { return count[d + "|" + code]; }); })
            .map(function (code) {
              return { type: "bar", stack: "players", name: segments[code],
                       data: dates.map(function (d) { return count[d + "|" + code] || 0; }) };
            })
        });
      });
    },
    "chart-migration": function () {
      return fetchReport("segments/migration").then(function (report) {
        var rows = asObjects(report);
        if (!rows.length) { hint("chart-migration", labels.no_migration); return; }
        var from = segmentCodes.filter(function (c) { return rows.some(function (r) { return r.from_segment === c; }); });
        var to = segmentCodes.filter(function (c) { return rows.some(function (r) { return r.to_segment === c; }); });
        var most = Math.max.apply(null, rows.map(function (r) { return r.players; }));
        draw("chart-migration", {
          tooltip: { formatter: function (p) {
            return segments[from[p.value[1]]] + " → " + segments[to[p.value[0]]] + ": " + num.format(p.value[2]);
          } },
          grid: { left: 10, right: 90, top: 30, bottom: 40, containLabel: true },
          xAxis: { type: "category", name: labels.to_segment + ", " + report.later, nameLocation: "middle", nameGap: 90,
                   axisLabel: { interval: 0, rotate: 30 }, data: to.map(function (c) { return segments[c]; }) },
          yAxis: { type: "category", name: labels.from_segment + ", " + report.earlier,
                   data: from.map(function (c) { return segments[c]; }) },
          visualMap: { min: 0, max: most, calculable: true, orient: "vertical", right: 0, top: "middle",
                       formatter: function (v) { return num.format(Math.round(v)); } },
          series: [{ type: "heatmap", name: labels.players,
                     data: rows.map(function (r) { return [to.indexOf(r.to_segment), from.indexOf(r.from_segment), r.players]; }),
                     label: { show: true, formatter: function (p) { return num.format(p.value[2]); } } }]
        });
      });
    }
  };
  Object.keys(jobs).forEach(function (id) {
    if (document.getElementById(id)) { jobs[id]().catch(function (e) { fail(id, e); }); }
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
