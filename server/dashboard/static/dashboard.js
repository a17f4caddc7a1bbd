// Talbar dashboard: charts from data attributes, selectors that submit themselves, and the
// overview's refresh. No inline scripts: the pages' Content-Security-Policy forbids them.
(function () {
  "use strict";
  var lang = document.body.getAttribute("data-lang") || "mn";
  // Same separators as the server's FormatInt (format.go).
  var sep = lang === "en" ? { g: ",", d: "." } : { g: "\u00a0", d: "." };
  function fmt(n, dec) {
    if (n === null || n === undefined) return "—";
    var s = Number(n).toFixed(dec || 0), parts = s.split("."), i = parts[0], neg = i[0] === "-";
    if (neg) i = i.slice(1);
    i = i.replace(/\B(?=(\d{3})+(?!\d))/g, sep.g);
    return (neg ? "-" : "") + i + (parts[1] ? sep.d + parts[1] : "");
  }
  var palette = ["#1f5fa8", "#e07b39", "#2e9c6a", "#9b59b6"];

  function axisTitle(d, id) {
    var t = d.axes && d.axes[id];
    return t ? { display: true, text: t } : { display: false };
  }

  function monthsChart(el, d) {
    var sets = d.series.map(function (s, i) {
      return {
        label: s.label, data: s.data, yAxisID: s.axis || "y",
        type: s.axis ? "line" : "bar", backgroundColor: palette[i], borderColor: palette[i], tension: 0.2
      };
    });
    return new Chart(el, {
      data: { labels: d.labels, datasets: sets },
      options: {
        animation: false, maintainAspectRatio: false,
        scales: {
          y: { beginAtZero: true, title: axisTitle(d, "y"), ticks: { callback: function (v) { return fmt(v); } } },
          y1: { beginAtZero: true, position: "right", title: axisTitle(d, "y1"), grid: { drawOnChartArea: false }, ticks: { callback: function (v) { return fmt(v); } } }
        },
        plugins: { tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + fmt(c.parsed.y); } } } }
      }
    });
  }

  function dashedLegend(chart) {
    return Chart.defaults.plugins.legend.labels.generateLabels(chart).map(function (item) {
      var ds = chart.data.datasets[item.datasetIndex];
      item.lineDash = ds.borderDash || [];
      item.lineWidth = 3;
      item.strokeStyle = ds.borderColor;
      return item;
    });
  }

  // yearPoints places a series on a year axis: years apart by their real distance, and a line
  // only between figures of consecutive years, so 2022 and 2026 are not joined as if the years
  // between them had figures.
  function yearPoints(labels, data) {
    var pts = [];
    labels.forEach(function (l, i) {
      var x = Number(l);
      if (data[i] === null || data[i] === undefined) return;
      if (pts.length && x - pts[pts.length - 1].x > 1) pts.push({ x: x - 0.5, y: null });
      pts.push({ x: x, y: data[i] });
    });
    return pts;
  }

  function indicatorChart(el, d) {
    var dec = d.percent ? 1 : 0, suffix = d.percent ? "%" : "";
    var years = d.labels.map(Number);
    return new Chart(el, {
      type: "line",
      data: {
        datasets: d.series.map(function (s, i) {
          return { label: s.label, data: yearPoints(d.labels, s.data), borderColor: palette[i], backgroundColor: palette[i], spanGaps: false, borderDash: i ? [6, 4] : [] };
        })
      },
      options: {
        animation: false, maintainAspectRatio: false,
        scales: {
          x: { type: "linear", min: Math.min.apply(null, years) - 0.4, max: Math.max.apply(null, years) + 0.4,
            afterBuildTicks: function (ax) {
              var t = [];
              for (var y = Math.min.apply(null, years); y <= Math.max.apply(null, years); y++) t.push({ value: y });
              ax.ticks = t;
            },
            ticks: { callback: function (v) { return String(v); } } },
          y: { beginAtZero: d.percent, ticks: { callback: function (v) { return fmt(v, 0) + suffix; } } }
        },
        plugins: {
          // A dashed series is shown in the legend as a short dashed line, not a dashed box
          // (whose border Chart.js draws as a zig-zag). With point styles the legend takes its
          // style from the series' first point, so the line's dash and width are put back.
          legend: { labels: { usePointStyle: true, pointStyle: "line", pointStyleWidth: 36, generateLabels: dashedLegend } },
          tooltip: { callbacks: {
            title: function (items) { return items.length ? String(items[0].parsed.x) : ""; },
            label: function (c) { return c.dataset.label + ": " + fmt(c.parsed.y, dec) + suffix; } } } }
      }
    });
  }

  var charts = {};
  function drawCharts() {
    if (typeof Chart === "undefined") return;
    document.querySelectorAll("canvas[data-chart]").forEach(function (el) {
      var d = JSON.parse(el.getAttribute("data-chart"));
      charts[el.id || Math.random()] = el.getAttribute("data-kind") === "indicator" ? indicatorChart(el, d) : monthsChart(el, d);
    });
  }

  // The overview polls its JSON and rewrites each figure in place, so a push shows within a
  // second without reloading the page.
  function refresh() {
    var box = document.getElementById("overview");
    if (!box) return;
    var url = box.getAttribute("data-refresh"), every = Number(box.getAttribute("data-every")) || 1000;
    function tick() {
      if (document.hidden) return;
      fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
        return r.ok ? r.json() : null;
      }).then(function (j) {
        if (!j) return;
        document.querySelectorAll("[data-fig]").forEach(function (el) {
          var k = el.getAttribute("data-fig");
          if (k in j.figures && el.textContent !== j.figures[k]) {
            el.textContent = j.figures[k];
            if (k in j.values) el.setAttribute("data-value", j.values[k]);
          }
        });
        var asOf = document.getElementById("as-of");
        if (asOf) asOf.textContent = j.as_of;
        var ch = charts["months-chart"];
        if (ch && j.chart) {
          j.chart.series.forEach(function (s, i) { ch.data.datasets[i].data = s.data; });
          ch.update("none");
        }
        if (j.chart) {
          document.querySelectorAll("#months-table [data-month]").forEach(function (td) {
            var s = j.chart.series[Number(td.getAttribute("data-series"))];
            if (s) td.textContent = fmt(s.data[Number(td.getAttribute("data-month"))]);
          });
        }
      }).catch(function () { /* offline for a moment: the next tick retries */ });
    }
    setInterval(tick, every);
  }

  // navHints marks the phone's one-line navigation with more-start / more-end while items are
  // hidden beyond that edge (the CSS shows a fading arrow there), and opens it scrolled so the
  // current page's item is in view.
  function navHints() {
    var nav = document.querySelector("header nav"), wrap = nav && nav.parentElement;
    if (!nav || !wrap.classList.contains("navwrap")) return;
    var on = nav.querySelector("a.on");
    if (on && nav.scrollWidth > nav.clientWidth) {
      nav.scrollLeft = on.offsetLeft - nav.offsetLeft - (nav.clientWidth - on.offsetWidth) / 2;
    }
    function update() {
      var over = nav.scrollWidth > nav.clientWidth + 1;
      wrap.classList.toggle("more-start", over && nav.scrollLeft > 1);
      wrap.classList.toggle("more-end", over && nav.scrollLeft + nav.clientWidth < nav.scrollWidth - 1);
    }
    nav.addEventListener("scroll", update, { passive: true });
    window.addEventListener("resize", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    navHints();
    document.querySelectorAll("form[data-autosubmit] select").forEach(function (s) {
      s.addEventListener("change", function () { s.form.submit(); });
    });
    document.querySelectorAll("[data-print]").forEach(function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
    document.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (e) { if (!window.confirm(f.getAttribute("data-confirm"))) e.preventDefault(); });
    });
    drawCharts();
    refresh();
  });
})();
