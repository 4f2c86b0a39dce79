// The public complaint form (issue 18): a point on the map of the city's counties, or the phone's location, fills
// the longitude and latitude fields. Without JavaScript the form works as it is (address, or typed coordinates).
// Runs under the CSP `script-src 'self'`: no inline code, no eval; the map is drawn with the bundled ECharts.
(function () {
  "use strict";

  function setPoint(form, lon, lat, chart) {
    form.querySelector("[data-longitude]").value = lon.toFixed(6);
    form.querySelector("[data-latitude]").value = lat.toFixed(6);
    if (chart) {
      chart.setOption({ series: [{ type: "scatter", coordinateSystem: "geo", data: [[lon, lat]], symbolSize: 14 }] });
    }
  }

  function drawMap(form, element) {
    if (!window.echarts || !window.fetch) return null;
    var chart = null;
    fetch(element.getAttribute("data-map-url"), { credentials: "same-origin" })
      .then(function (answer) {
        if (!answer.ok) throw new Error("no map");
        return answer.json();
      })
      .then(function (geojson) {
        element.hidden = false;
        window.echarts.registerMap("complaint-city", geojson);
        chart = window.echarts.init(element, null, { renderer: "canvas" });
        chart.setOption({
          geo: { map: "complaint-city", roam: true, label: { show: true, fontSize: 10 } },
          series: [{ type: "scatter", coordinateSystem: "geo", data: [] }],
        });
        chart.getZr().on("click", function (event) {
          var point = chart.convertFromPixel("geo", [event.offsetX, event.offsetY]);
          if (point) setPoint(form, point[0], point[1], chart);
        });
        element.setAttribute("data-chart-drawn", "yes");
      })
      .catch(function () {
        element.hidden = true;
      });
    return function () {
      return chart;
    };
  }

  function init(form) {
    var mapElement = form.querySelector("[data-pick-map]");
    var chartOf = mapElement ? drawMap(form, mapElement) : null;
    var locate = form.querySelector("[data-locate]");
    if (locate && navigator.geolocation) {
      locate.hidden = false;
      locate.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(function (position) {
          setPoint(form, position.coords.longitude, position.coords.latitude, chartOf ? chartOf() : null);
        });
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("[data-complaint-form]");
    for (var i = 0; i < forms.length; i++) init(forms[i]);
  });
})();
