// Charts of the results pages (issue 16), drawn with ECharts from options the server writes as JSON.
//
// Each element with data-chart="ID" is drawn from the option in <script type="application/json" id="ID"> (JSON is
// data, never executed; the page's CSP allows only this file and ECharts to run). The option is ECharts' own,
// built by the server (results/charts.py), with one addition read here: "mapUrl", a GeoJSON address whose
// features are fetched and registered under "mapName" before drawing (the region boundaries under a map).
// Tooltips render as rich text, never as HTML, so no stored name can become markup. A drawn chart gets
// data-chart-drawn="yes" (the browser tests wait for it); charts follow the window's size. An element (the wall
// screen's <main>) with data-refresh="SECONDS" reloads the page after that many seconds.
(function () {
  "use strict";

  function option(element) {
    var source = document.getElementById(element.getAttribute("data-chart"));
    if (!source) return null;
    try {
      return JSON.parse(source.textContent);
    } catch (error) {
      return null;
    }
  }

  function tooltips(opt) {
    var all = [].concat(opt.tooltip || []);
    if (!all.length) all = [{}];
    all.forEach(function (t) {
      t.renderMode = "richText";
    });
    opt.tooltip = all;
  }

  function draw(element, opt) {
    delete opt.mapUrl;
    delete opt.mapName;
    tooltips(opt);
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(opt);
    element.setAttribute("data-chart-drawn", "yes");
    window.addEventListener("resize", function () {
      chart.resize();
    });
  }

  function start() {
    if (!window.echarts) return;
    var elements = document.querySelectorAll("[data-chart]");
    Array.prototype.forEach.call(elements, function (element) {
      var opt = option(element);
      if (!opt) return;
      if (opt.mapUrl) {
        fetch(opt.mapUrl, { credentials: "same-origin" })
          .then(function (answer) {
            return answer.json();
          })
          .then(function (geojson) {
            window.echarts.registerMap(opt.mapName, geojson);
            draw(element, opt);
          });
        return;
      }
      draw(element, opt);
    });
    var refreshing = document.querySelector("[data-refresh]");
    if (refreshing) {
      var seconds = parseInt(refreshing.getAttribute("data-refresh"), 10);
      if (seconds > 0) {
        window.setTimeout(function () {
          window.location.reload();
        }, seconds * 1000);
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
