// The /map page: draws the choropleth the server classified (/api/v1/map) with Leaflet, served by
// localindex itself. No base map tiles: nothing is fetched from any other site.
(function () {
  "use strict";
  var element = document.getElementById("map");
  if (!element || !window.L) { return; }
  fetch(element.getAttribute("data-source"), { headers: { Accept: "application/json" } })
    .then(function (response) { return response.json(); })
    .then(draw);

  function draw(data) {
    var classes = data.classification.classes;
    var map = L.map(element, { zoomSnap: 0.25, attributionControl: true });
    map.attributionControl.setPrefix(false).addAttribution("Contains OS data © Crown copyright and database right; ONS boundaries (OGL v3.0)");
    var layer = L.geoJSON(data, {
      style: function (feature) {
        var index = feature.properties["class"];
        return { color: "#333", weight: 1, fillOpacity: 0.85, fillColor: index === null ? "#ffffff" : classes[index].colour };
      },
      onEachFeature: function (feature, path) {
        var p = feature.properties;
        path.bindTooltip(p.name + " (" + p.code + "): " + p.text, { sticky: true });
        path.on("click", function () { window.location.href = "/area/" + encodeURIComponent(p.code); });
        path.on("add", function () {
          var svg = path.getElement();
          svg.setAttribute("tabindex", "0");
          svg.setAttribute("role", "link");
          svg.setAttribute("aria-label", p.name + " (" + p.code + "): " + p.text + ". Open its scorecard.");
          svg.setAttribute("data-code", p.code);
          svg.addEventListener("keydown", function (event) {
            if (event.key === "Enter" || event.key === " ") { event.preventDefault(); window.location.href = "/area/" + encodeURIComponent(p.code); }
          });
          svg.addEventListener("focus", function () { path.openTooltip(); });
          svg.addEventListener("blur", function () { path.closeTooltip(); });
        });
      }
    }).addTo(map);
    if (layer.getLayers().length) { map.fitBounds(layer.getBounds()); } else { map.setView([51.5, -0.1], 10); }
    element.setAttribute("data-drawn", String(layer.getLayers().length));
  }
})();
