/* The map's two kinds of overlay, both reading the platform itself:
   - L.ogcFeatureLayer: an OGC API Features collection, fetched from /ogcapi/ for the current view
     (bbox) from a minimum zoom on, replaced when the view moves (points and lines);
   - L.platformTileLayer: vector tiles from /tiles/ (big polygon layers: parcels, zoning),
     coloured by a code list when it has colours: filled, or as bold dashed outlines (zoning over
     parcels, so the two read apart), outlines drawn above fills.
   Popups show the attributes with their labels and code-list names. The layer list says, beside a
   layer greyed out at the current zoom, from which zoom it is shown (option zoomHint). */
(function () {
  "use strict";

  function escapeHtml(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function popupHtml(title, props, labels, codes) {
    var rows = Object.keys(props).map(function (key) {
      var value = props[key];
      if (value === null || value === undefined || value === "") { return ""; }
      if (codes[key] && codes[key][value]) { value = value + " – " + codes[key][value]; }
      if (typeof value === "number" && !Number.isInteger(value)) { value = value.toLocaleString(undefined, {maximumFractionDigits: 1}); }
      return "<tr><th>" + escapeHtml(labels[key] || key) + "</th><td>" + escapeHtml(value) + "</td></tr>";
    }).join("");
    return "<strong>" + escapeHtml(title) + "</strong><table class=\"popup\">" + rows + "</table>";
  }

  L.OgcFeatureLayer = L.GeoJSON.extend({
    options: {minZoom: 0, limit: 1000, color: "#3366cc", labels: {}, codeLists: {}, title: ""},

    initialize: function (itemsUrl, options) {
      L.setOptions(this, options);
      this._itemsUrl = itemsUrl;
      this._request = null;
      var color = this.options.color;
      L.GeoJSON.prototype.initialize.call(this, null, {
        style: function () { return {color: color, weight: 1.5, fillOpacity: 0.25, bubblingMouseEvents: false}; },
        pointToLayer: function (feature, latlng) {
          // A click on a marker opens its popup only, not the parcel panel underneath.
          return L.circleMarker(latlng, {radius: 5, color: color, weight: 1, fillOpacity: 0.8, bubblingMouseEvents: false});
        },
        onEachFeature: this._bindPopup.bind(this),
      });
    },

    onAdd: function (map) {
      L.GeoJSON.prototype.onAdd.call(this, map);
      map.on("moveend", this._refresh, this);
      this._refresh();
    },

    onRemove: function (map) {
      map.off("moveend", this._refresh, this);
      if (this._request) { this._request.abort(); }
      L.GeoJSON.prototype.onRemove.call(this, map);
    },

    _bindPopup: function (feature, layer) {
      layer.bindPopup(popupHtml(this.options.title, feature.properties || {}, this.options.labels, this.options.codeLists));
    },

    _refresh: function () {
      var map = this._map;
      if (!map) { return; }
      if (this._request) { this._request.abort(); this._request = null; }
      if (map.getZoom() < this.options.minZoom) {
        this.clearLayers();
        this.fire("toosmall");
        return;
      }
      var b = map.getBounds();
      var url = this._itemsUrl + "?f=json&limit=" + this.options.limit + "&bbox=" +
        [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); }).join(",");
      var controller = new AbortController(), self = this;
      this._request = controller;
      fetch(url, {signal: controller.signal, credentials: "same-origin", headers: {Accept: "application/geo+json"}})
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status + " " + response.statusText); }
          return response.json();
        })
        .then(function (collection) {
          self.clearLayers();
          self.addData(collection);
          self.fire("loaded", {returned: collection.numberReturned, matched: collection.numberMatched});
        })
        .catch(function (error) {
          if (error.name !== "AbortError") { self.fire("loaderror", {error: error}); }
        });
    },
  });

  L.ogcFeatureLayer = function (itemsUrl, options) { return new L.OgcFeatureLayer(itemsUrl, options); };

  L.platformTileLayer = function (tileUrl, options) {
    var colors = options.colors || {}, colorBy = options.colorBy, layerStyles = {};
    layerStyles[options.collection] = function (properties) {
      var color = (colorBy && colors[properties[colorBy]]) || options.color;
      if (options.outline) { return {color: color, weight: 2.5, opacity: 0.9, dashArray: "7 4", fill: false}; }
      return {color: options.color, weight: 0.8, fill: true, fillColor: color, fillOpacity: 0.6};
    };
    var layer = L.vectorGrid.protobuf(tileUrl, {
      vectorTileLayerStyles: layerStyles, interactive: true, minZoom: options.minZoom, maxZoom: 22,
      maxNativeZoom: 20, getFeatureId: function (f) { return f.id; }, zIndex: options.outline ? 3 : 2,
      zoomHint: options.zoomHint,
    });
    layer.on("click", function (e) {
      if (options.popups === false) { return; }
      L.popup().setLatLng(e.latlng)
        .setContent(popupHtml(options.title, e.layer.properties || {}, options.labels, options.codeLists))
        .openOn(layer._map);
    });
    return layer;
  };

  // The layer list greys out a layer below its minZoom (Leaflet disables its checkbox); the hint,
  // shown by CSS only then, says why.
  var addItem = L.Control.Layers.prototype._addItem;
  L.Control.Layers.prototype._addItem = function (obj) {
    var label = addItem.call(this, obj);
    var hint = obj.overlay && obj.layer.options.zoomHint;
    if (hint) {
      var small = document.createElement("small");
      small.className = "zoom-hint";
      small.textContent = " (" + hint + ")";
      label.firstChild.appendChild(small);
    }
    return label;
  };
})();
