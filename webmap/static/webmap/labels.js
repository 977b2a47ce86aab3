/* Names on the base map: districts, communes and towns, main roads (the page's #map-labels: each
   district and commune at a point well inside it, each road with its lines). Each kind has a zoom
   range; labels are placed most important first and one that would overlap a placed one is left
   out, so names stay readable at every zoom. Roads get a shield ("QL13") every few hundred pixels
   along the line. Placed again after every move; hidden while a zoom animates. */
(function () {
  "use strict";
  var source = document.getElementById("map-labels");
  var root = document.getElementById("lookup");
  if (!source || !root) { return; }
  var map = window[root.dataset.map];
  var labels = JSON.parse(source.textContent);
  // Zoom ranges and order of placement (lower first): districts, national roads, provincial roads, communes.
  var KINDS = {
    district: {min: 8, max: 12, rank: 0},
    national: {min: 8, max: 19, rank: 1},
    provincial: {min: 10, max: 19, rank: 2},
    commune: {min: 11, max: 16, rank: 3},
  };
  var SHIELD_SPACING = 420;  // px between two shields of the same road
  var GAP = 6;  // px kept free around each label
  var FLOATING = "#lookup, .leaflet-control, #legend, #parcel-panel";

  var pane = map.createPane("labels");
  pane.style.zIndex = 450;  // above the overlays' fills (400), under markers and popups
  pane.style.pointerEvents = "none";
  pane.setAttribute("aria-hidden", "true");  // the names are for the eye; the search finds them by name

  labels.sort(function (a, b) { return KINDS[a.kind].rank - KINDS[b.kind].rank; });

  function overlaps(box, taken) {
    for (var i = 0; i < taken.length; i++) {
      var t = taken[i];
      if (box.left < t.right && box.right > t.left && box.top < t.bottom && box.bottom > t.top) { return true; }
    }
    return false;
  }

  // Put a label centred on layer point `at`; keep it when it is in view and overlaps nothing placed.
  function put(label, at, taken, view) {
    var el = document.createElement("div");
    el.className = "map-label map-label-" + label.kind;
    el.textContent = label.name;
    el.title = label.full;
    el.style.left = at.x + "px";
    el.style.top = at.y + "px";
    pane.appendChild(el);
    var w = el.offsetWidth, h = el.offsetHeight;
    var box = {left: at.x - w / 2 - GAP, right: at.x + w / 2 + GAP, top: at.y - h / 2 - GAP, bottom: at.y + h / 2 + GAP};
    var inView = box.left >= view.min.x && box.right <= view.max.x && box.top >= view.min.y && box.bottom <= view.max.y;
    if (!inView || overlaps(box, taken)) { pane.removeChild(el); return false; }
    taken.push(box);
    return true;
  }

  // Points every SHIELD_SPACING px along a line (layer points), starting half a spacing in.
  function alongLine(line) {
    var points = line.map(function (ll) { return map.latLngToLayerPoint(ll); });
    var out = [], next = SHIELD_SPACING / 2, walked = 0;
    for (var i = 1; i < points.length; i++) {
      var a = points[i - 1], b = points[i], length = a.distanceTo(b);
      while (length > 0 && walked + length >= next) {
        var f = (next - walked) / length;
        out.push(L.point(a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f));
        next += SHIELD_SPACING;
      }
      walked += length;
    }
    if (!out.length && points.length) { out.push(points[Math.floor(points.length / 2)]); }
    return out;
  }

  function place() {
    pane.innerHTML = "";
    pane.style.display = "";  // shown before measuring: a hidden label has no size
    var zoom = map.getZoom(), taken = [];
    // What floats over the map (search box, buttons, legend) is taken already: no name hides under it.
    var corner = map.getContainer().getBoundingClientRect();
    document.querySelectorAll(FLOATING).forEach(function (el) {
      var r = el.getBoundingClientRect();
      if (!r.width) { return; }
      var a = map.containerPointToLayerPoint([r.left - corner.left, r.top - corner.top]);
      var b = map.containerPointToLayerPoint([r.right - corner.left, r.bottom - corner.top]);
      taken.push({left: a.x, top: a.y, right: b.x, bottom: b.y});
    });
    var origin = map.getPixelOrigin(), pixels = map.getPixelBounds();
    var view = L.bounds(pixels.min.subtract(origin), pixels.max.subtract(origin));  // the visible area in layer points
    labels.forEach(function (label) {
      var kind = KINDS[label.kind];
      if (!kind || zoom < kind.min || zoom > kind.max) { return; }
      if (label.at) { put(label, map.latLngToLayerPoint(label.at), taken, view); return; }
      (label.lines || []).forEach(function (line) {
        alongLine(line).forEach(function (at) { put(label, at, taken, view); });
      });
    });
  }

  map.on("zoomstart", function () { pane.style.display = "none"; });
  map.on("moveend", place);
  document.addEventListener("map:covered", place);  // the panel opened or closed (lookup.js)
  map.whenReady(place);
})();
