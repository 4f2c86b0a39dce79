// Live alert pages (issue 7, push): an EventSource on /alerts/stream refreshes the board's results, the alert
// page's status and timeline, and the unread badge when an alert event arrives; the alert page's chart is drawn
// with ECharts from the JSON the page carries. No build step; served as is.
(function () {
  "use strict";

  var REFRESH_DELAY = 250; // ms: events arriving together refresh once

  function live() {
    return document.querySelector("[data-live]");
  }

  // Replace the element with the server's fragment of the same page (the route answers htmx requests with it).
  function refresh(selector, url, done) {
    fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) {
        var old = document.querySelector(selector);
        if (!old) return;
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector(selector) || holder.firstElementChild;
        if (!fresh) return;
        old.replaceWith(fresh);
        if (window.htmx) window.htmx.process(fresh);
        if (done) done(fresh);
      })
      .catch(function () {});
  }

  function numbers(root) {
    var found = new Set();
    root.querySelectorAll("[data-alert-number]").forEach(function (row) {
      found.add(row.getAttribute("data-alert-number"));
    });
    return found;
  }

  function refreshBoard() {
    var before = numbers(document);
    refresh("#results", "/alerts" + window.location.search, function (fresh) {
      fresh.querySelectorAll("[data-alert-number]").forEach(function (row) {
        if (!before.has(row.getAttribute("data-alert-number"))) row.classList.add("fresh");
      });
    });
  }

  function refreshBadges() {
    if (!window.htmx) return;
    document.querySelectorAll(".nav-badge").forEach(function (badge) {
      window.htmx.trigger(badge, "alerts:refresh");
    });
  }

  function setState(state) {
    document.body.setAttribute("data-alert-stream", state);
    var label = document.getElementById("live-state");
    if (label) label.textContent = label.getAttribute(state === "open" ? "data-live-text" : "data-offline-text") || "";
  }

  function listen() {
    var element = live();
    if (!element || !window.EventSource) return;
    var source = new EventSource(element.getAttribute("data-live"));
    var pending = null;
    var touched = new Set();
    source.addEventListener("open", function () {
      setState("open");
    });
    source.addEventListener("error", function () {
      setState(source.readyState === EventSource.CLOSED ? "closed" : "connecting");
    });
    source.addEventListener("alert", function (message) {
      var event;
      try {
        event = JSON.parse(message.data);
      } catch (e) {
        return;
      }
      touched.add(String(event.alert_id));
      document.body.setAttribute("data-alert-last-event", String(event.id));
      if (pending) return;
      pending = window.setTimeout(function () {
        pending = null;
        var current = live();
        if (current && current.getAttribute("data-live-refresh") === "board") refreshBoard();
        if (current && current.getAttribute("data-live-refresh") === "alert" && touched.has(current.getAttribute("data-alert"))) {
          refresh("#alert-live", window.location.pathname);
        }
        touched.clear();
        refreshBadges();
      }, REFRESH_DELAY);
    });
    window.addEventListener("pagehide", function () {
      source.close();
    });
  }

  // A round number at or above x (1, 2 or 5 times a power of ten), so that the axis ends on a tick.
  function roundUp(x) {
    var power = Math.pow(10, Math.floor(Math.log10(x)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * power >= x) return steps[i] * power;
    return 10 * power;
  }

  // The value axis from zero (unless values are negative), reaching up to the reference when it is above the data.
  function yAxis(name, values, reference) {
    var shown = values.filter(function (v) {
      return v !== null && v !== undefined;
    });
    var axis = { type: "value", name: name };
    if (!shown.length || Math.min.apply(null, shown) >= 0) axis.min = 0;
    var top = shown.length ? Math.max.apply(null, shown) : 0;
    if (reference !== null && reference !== undefined && reference > 0 && reference >= top) axis.max = roundUp(reference * 1.2);
    return axis;
  }

  function drawChart() {
    var element = document.getElementById("alert-chart");
    var source = document.getElementById("alert-chart-data");
    if (!element || !source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var reference = data.reference;
    var series = {
      name: data.name,
      type: "line",
      data: data.values,
      connectNulls: false,
      symbolSize: 5,
      lineStyle: { width: 2 },
    };
    if (reference !== null && reference !== undefined) {
      series.markLine = {
        symbol: "none",
        silent: true,
        lineStyle: { type: "dashed", color: "#c0392b" },
        label: { formatter: data.texts.reference + " {c}", position: "insideEndTop" },
        data: [{ yAxis: reference }],
      };
    }
    if (data.span && data.span.length === 2) {
      series.markArea = {
        silent: true,
        itemStyle: { color: "rgba(192, 57, 43, 0.08)" },
        label: { color: "#c0392b" },
        data: [[{ name: data.texts.span, xAxis: data.span[0] }, { xAxis: data.span[1] }]],
      };
    }
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      color: ["#1f5fa8"],
      grid: { left: 56, right: 24, top: 28, bottom: 48 },
      tooltip: { trigger: "axis" },
      legend: { show: false },
      xAxis: { type: "category", data: data.labels, boundaryGap: false, axisLabel: { hideOverlap: true } },
      yAxis: yAxis(data.name, data.values, reference),
      series: [series],
    });
    element.setAttribute("data-chart", "drawn");
    window.addEventListener("resize", function () {
      chart.resize();
    });
  }

  function start() {
    drawChart();
    listen();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
