/* The province's own base map under the features of the OGC API pages: district and commune
   boundaries and the main roads, drawn from the platform's vector tiles (/tiles/), so the map needs
   neither a tile server nor the internet. Used by ogcapi/templates when no base-map URL is set. */
function provinceBase(map) {
  if (!window.L || !L.vectorGrid) { return; }
  // Under the features (overlay pane, z-index 400) and never in the way of their clicks.
  var pane = map.createPane("base");
  pane.style.zIndex = 150;
  pane.style.pointerEvents = "none";
  map.getContainer().style.background = "#f3f1e8";
  var unitStyles = {
    province: {color: "#444", weight: 2.5, fill: false},
    district: {color: "#666", weight: 1.8, fill: true, fillColor: "#f7f4ea", fillOpacity: 0.6},
    commune: {color: "#9a9a9a", weight: 0.8, dashArray: "4 3", fill: false}
  };
  L.vectorGrid.protobuf("/tiles/admin_units/{z}/{x}/{y}.pbf", {
    pane: "base", interactive: false, maxZoom: 19,
    vectorTileLayerStyles: {
      admin_units: function (properties) { return unitStyles[properties.level] || unitStyles.commune; }
    }
  }).addTo(map);
  L.vectorGrid.protobuf("/tiles/roads/{z}/{x}/{y}.pbf", {
    pane: "base", interactive: false, maxZoom: 19,
    vectorTileLayerStyles: {
      roads: function (properties) {
        return properties.road_class === "national" ? {color: "#e67e22", weight: 3}
          : properties.road_class === "provincial" ? {color: "#f0b27a", weight: 2}
          : {color: "#c8c2b4", weight: 1};
      }
    }
  }).addTo(map);
}
