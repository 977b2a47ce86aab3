/* The citizens' zoning look-up on the map: a search box with suggestions (places, roads, parcel
   identity, coordinates), a click on the map opens the parcel panel (land use, zones with their
   shares and limits, what may be built), the selected parcel is highlighted, and the URL keeps the
   search, the parcel and the view so a link restores them (#z/lat/lon, &p=parcel, &q=query). */
(function () {
  "use strict";
  var root = document.getElementById("lookup");
  if (!root) { return; }
  var T = JSON.parse(document.getElementById("lookup-texts").textContent);
  var lang = document.documentElement.lang;
  var map = window[root.dataset.map];
  var input = document.getElementById("search-input");
  var list = document.getElementById("search-results");
  var panel = document.getElementById("parcel-panel");
  var highlight = L.geoJSON(null, {style: {color: "#d7191c", weight: 3, fill: false}, interactive: false}).addTo(map);
  var state = {q: "", p: null};
  var timer = null;

  function esc(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function num(value, digits) {
    return value === null || value === undefined ? "—" :
      Number(value).toLocaleString(lang === "en" ? "en-GB" : "vi-VN", {maximumFractionDigits: digits});
  }
  function name(item) { return lang === "en" ? item.name_en : item.name_vi; }

  function writeHash() {
    var c = map.getCenter();
    var hash = "#" + map.getZoom() + "/" + c.lat.toFixed(5) + "/" + c.lng.toFixed(5);
    if (state.p) { hash += "&p=" + state.p; }
    if (state.q) { hash += "&q=" + encodeURIComponent(state.q); }
    history.replaceState(null, "", hash);
  }

  function readHash() {
    var parts = location.hash.replace(/^#/, "").split("&");
    var view = parts[0].split("/");
    var out = {};
    if (view.length === 3 && !isNaN(+view[0])) { out.view = [+view[1], +view[2], +view[0]]; }
    parts.slice(1).forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i > 0) { out[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1)); }
    });
    return out;
  }

  function showPanel(data) {
    state.p = data.id;
    highlight.clearLayers().addData(JSON.parse(data.geometry));
    var id = data.identity;
    var rows = data.zones.map(function (z) {
      return "<tr><td>" + esc(z.zone_code) + "</td><td>" + esc(z.planned_land_use.code) + " – " + esc(name(z.planned_land_use)) +
        "</td><td>" + num(z.share_m2, 1) + " m² (" + num(z.share_pct, 1) + "%)</td><td>" + num(z.max_floors, 0) +
        "</td><td>" + num(z.max_height_m, 1) + "</td><td>" + num(z.building_density_pct, 0) + "</td></tr>" +
        "<tr class='plan'><td colspan='6'>" + esc(z.plan_name) + " · " + esc(T.decision) + " " + esc(z.decision_no) +
        " (" + esc(z.decision_date) + ")</td></tr>";
    }).join("");
    panel.innerHTML =
      "<button type='button' class='close' aria-label='" + esc(T.close) + "'>×</button>" +
      "<h2>" + esc(T.parcel) + " " + esc(id.parcel_no) + ", " + esc(T.sheet) + " " + esc(id.map_sheet_no) + "</h2>" +
      "<p class='where'>" + esc(id.commune) + " (" + esc(id.commune_code) + "), " + esc(id.district) + "</p>" +
      "<dl><dt>" + esc(T.area) + "</dt><dd>" + num(data.area_m2, 1) + " m²</dd>" +
      "<dt>" + esc(T.land_use) + "</dt><dd>" + esc(data.land_use.code) + " – " + esc(name(data.land_use)) + "</dd></dl>" +
      "<h3>" + esc(T.zoning) + "</h3>" +
      (data.zones.length ? "<table><thead><tr><th>" + esc(T.zone) + "</th><th>" + esc(T.planned) + "</th><th>" +
        esc(T.share) + "</th><th>" + esc(T.floors) + "</th><th>" + esc(T.height) + "</th><th>" + esc(T.density) +
        "</th></tr></thead><tbody>" + rows + "</tbody></table>" : "<p>" + esc(T.no_zone) + "</p>") +
      "<h3>" + esc(T.buildable) + "</h3><dl><dt>" + esc(T.footprint) + "</dt><dd>" + num(data.buildable.footprint_m2, 1) +
      " m²</dd><dt>" + esc(T.floor_area) + "</dt><dd>" + num(data.buildable.floor_area_m2, 1) + " m²</dd><dt>" +
      esc(T.height) + "</dt><dd>" + num(data.buildable.max_height_m, 1) + "</dd></dl>" +
      "<p class='actions'><button type='button' class='share'>" + esc(T.share_link) + "</button> " +
      "<a class='report' href='/api/parcels/" + encodeURIComponent(data.id) + "/report.pdf' target='_blank' rel='noopener'>" +
      esc(T.report) + "</a></p>";
    panel.hidden = false;
    panel.querySelector(".close").addEventListener("click", function () {
      panel.hidden = true; highlight.clearLayers(); state.p = null; writeHash();
    });
    panel.querySelector(".share").addEventListener("click", function () {
      writeHash();
      if (navigator.clipboard) { navigator.clipboard.writeText(location.href).catch(function () {}); }
      this.textContent = T.copied;
    });
    panel.focus();
    writeHash();
  }

  function openParcel(url, fit) {
    return fetch(url, {credentials: "same-origin"}).then(function (r) {
      if (r.status === 404) { panel.hidden = false; panel.innerHTML = "<p>" + esc(T.no_parcel) + "</p>"; return null; }
      return r.json();
    }).then(function (data) {
      if (!data) { return; }
      if (fit) { map.fitBounds([[data.bbox[1], data.bbox[0]], [data.bbox[3], data.bbox[2]]], {maxZoom: 19}); }
      showPanel(data);
    });
  }

  function choose(result) {
    state.q = input.value;
    list.hidden = true;
    if (result.parcel_id) { openParcel("/api/parcels/" + result.parcel_id, true); return; }
    if (result.bbox && result.bbox[0] !== result.bbox[2]) {
      map.fitBounds([[result.bbox[1], result.bbox[0]], [result.bbox[3], result.bbox[2]]]);
    } else {
      map.setView([result.lat, result.lon], Math.max(map.getZoom(), 17));
    }
    if (result.kind === "coordinate" && !result.outside) {
      openParcel("/api/parcels/at?lon=" + result.lon + "&lat=" + result.lat, false);
    }
    writeHash();
  }

  function runSearch(q, pickFirst) {
    return fetch("/api/search?q=" + encodeURIComponent(q)).then(function (r) { return r.json(); }).then(function (data) {
      list.innerHTML = "";
      if (!data.results.length) {
        var li = document.createElement("li");
        li.className = "none";
        li.textContent = T.nothing + (data.suggestions.length ? " " + T.did_you_mean + " " + data.suggestions.join(", ") : "");
        list.appendChild(li);
        data.suggestions.forEach(function (s) {
          var b = document.createElement("li");
          b.tabIndex = 0; b.setAttribute("role", "option"); b.textContent = s;
          b.addEventListener("click", function () { input.value = s; runSearch(s, true); });
          list.appendChild(b);
        });
      }
      data.results.forEach(function (result) {
        var li = document.createElement("li");
        li.tabIndex = 0; li.setAttribute("role", "option");
        li.innerHTML = "<strong>" + esc(result.label) + "</strong> <small>" + esc(result.detail || "") + "</small>";
        li.addEventListener("click", function () { choose(result); });
        li.addEventListener("keydown", function (e) { if (e.key === "Enter") { choose(result); } });
        list.appendChild(li);
      });
      list.hidden = false;
      if (pickFirst && data.results.length) { choose(data.results[0]); }
    });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    if (input.value.trim().length < 2) { list.hidden = true; return; }
    timer = setTimeout(function () { runSearch(input.value, false); }, 250);
  });
  document.getElementById("search-form").addEventListener("submit", function (e) {
    e.preventDefault();
    runSearch(input.value, true);
  });
  document.getElementById("parcel-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var form = e.target;
    input.value = form.commune.value + " " + form.sheet.value + " " + form.parcel.value;
    runSearch(input.value, true);
  });
  map.on("click", function (e) {
    if (map.getZoom() < +root.dataset.parcelZoom) { return; }  // parcels are not drawn yet: nothing to pick
    openParcel("/api/parcels/at?lon=" + e.latlng.lng.toFixed(7) + "&lat=" + e.latlng.lat.toFixed(7), false);
  });
  map.on("moveend", writeHash);

  var initial = readHash();
  if (initial.view) { map.setView([initial.view[0], initial.view[1]], initial.view[2]); }
  if (initial.q) { input.value = initial.q; state.q = initial.q; }
  if (initial.p) { openParcel("/api/parcels/" + encodeURIComponent(initial.p), !initial.view); }
  root.dataset.ready = "1";
})();
