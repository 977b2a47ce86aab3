/* The citizens' zoning look-up on the map: a search box with suggestions (places, roads, parcel
   identity, coordinates), a click on the map opens the parcel panel (land use, zones with their
   shares and limits, what may be built), the selected parcel is highlighted and kept in sight beside
   or above the panel, and the URL keeps the search, the parcel and the view so a link restores them
   (#z/lat/lon, &p=parcel, &q=query; ?p= and ?q= are read too). Also the map's first view (the link's,
   or the whole province, without animation), its zoom-out limit, the layer button on phones, and the
   message when a tap comes before parcels are drawn. Keyboard: arrows move in the suggestions
   (combobox/listbox, aria-activedescendant), Enter picks, Escape closes the suggestions, the layer
   list, then the panel. */
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
  var message = document.getElementById("map-message");
  var layersButton = document.getElementById("layers-button");
  var layerList = document.querySelector(".leaflet-control-layers");
  var parcelZoom = +root.dataset.parcelZoom;
  var province = L.latLngBounds(JSON.parse(root.dataset.province));
  var active = -1;  // the suggestion the arrow keys are on
  var highlight = L.geoJSON(null, {style: {color: "#d7191c", weight: 3, fill: false}, interactive: false}).addTo(map);
  var state = {q: "", p: null};
  var timer = null;

  function esc(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  // Numbers and dates are written the Vietnamese way in both languages (1.234,5; 27/11/2026), as in the PDF.
  function num(value, digits) {
    return value === null || value === undefined ? "—" :
      Number(value).toLocaleString("vi-VN", {maximumFractionDigits: digits});
  }
  function date(iso) { return iso ? String(iso).split("-").reverse().join("/") : "—"; }
  function name(item) { return lang === "en" ? item.name_en : item.name_vi; }

  function writeHash() {
    var c = map.getCenter();
    var hash = "#" + map.getZoom() + "/" + c.lat.toFixed(5) + "/" + c.lng.toFixed(5);
    if (state.p) { hash += "&p=" + state.p; }
    if (state.q) { hash += "&q=" + encodeURIComponent(state.q); }
    // The hash says it all: a ?p= or ?q= the page was opened with is dropped (closing the panel forgets the parcel).
    var query = new URLSearchParams(location.search);
    query.delete("p"); query.delete("q");
    history.replaceState(null, "", location.pathname + (query.toString() ? "?" + query : "") + hash);
  }

  function readHash() {
    var parts = location.hash.replace(/^#/, "").split("&");
    var view = parts[0].split("/");
    var out = {};
    if (view.length === 3 && !isNaN(+view[0])) { out.view = [+view[1], +view[2], +view[0]]; }
    var query = new URLSearchParams(location.search);
    ["p", "q"].forEach(function (key) { if (query.get(key)) { out[key] = query.get(key); } });
    parts.slice(1).forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i > 0) { out[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1)); }
    });
    return out;
  }

  // The part of the map not hidden by the search box or the panel, in container pixels.
  function freeArea() {
    var size = map.getSize(), box = map.getContainer().getBoundingClientRect();
    var area = {left: 0, top: Math.max(0, root.getBoundingClientRect().bottom - box.top), right: size.x, bottom: size.y};
    if (!panel.hidden) {
      var p = panel.getBoundingClientRect();
      if (p.width > size.x * 0.7) { area.bottom = Math.min(area.bottom, p.top - box.top); }  // a bottom sheet (phone)
      else { area.right = Math.min(area.right, p.left - box.left); }  // a side panel
    }
    if (area.bottom - area.top < 60) { area.top = 0; }  // too little room: the search box may cover
    return area;
  }

  // Bring the parcel into the free part of the map: fitted to it (search, link without a view) or,
  // at the current zoom, moved out from under the panel (a tap, a link with its own view).
  function reveal(bounds, fit) {
    var size = map.getSize(), area = freeArea(), pad = 12;
    if (fit) {
      map.fitBounds(bounds, {paddingTopLeft: [area.left + pad, area.top + pad], animate: false, maxZoom: 18,
                             paddingBottomRight: [size.x - area.right + pad, size.y - area.bottom + pad]});
      return;
    }
    var at = map.latLngToContainerPoint(bounds.getCenter());
    if (at.x < area.left + pad || at.x > area.right - pad || at.y < area.top + pad || at.y > area.bottom - pad) {
      map.panBy([at.x - (area.left + area.right) / 2, at.y - (area.top + area.bottom) / 2], {animate: false});
    }
  }

  function say(text, action) {
    message.innerHTML = "";
    if (!text) { return; }
    var p = document.createElement("p");
    p.textContent = text;
    message.appendChild(p);
    if (action) {
      var b = document.createElement("button");
      b.type = "button"; b.textContent = action.label;
      b.addEventListener("click", action.run);
      p.appendChild(document.createTextNode(" "));
      p.appendChild(b);
    }
  }

  function closePanel() {
    panel.hidden = true; highlight.clearLayers(); state.p = null; writeHash();
    document.dispatchEvent(new Event("map:covered"));
  }

  function showPanel(data) {
    state.p = data.id;
    highlight.clearLayers().addData(JSON.parse(data.geometry));
    var id = data.identity;
    var rows = data.zones.map(function (z) {
      return "<tr><td>" + esc(z.zone_code) + "</td><td>" + esc(z.planned_land_use.code) + " – " + esc(name(z.planned_land_use)) +
        "</td><td>" + num(z.share_m2, 1) + " m² (" + num(z.share_pct, 1) + " %)</td><td>" + num(z.max_floors, 0) +
        "</td><td>" + num(z.max_height_m, 1) + "</td><td>" + num(z.building_density_pct, 0) + "</td></tr>" +
        "<tr class='plan'><td colspan='6'>" + esc(z.plan_name) + " · " + esc(T.decision) + " " + esc(z.decision_no) +
        " (" + esc(date(z.decision_date)) + ")</td></tr>";
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
      "<a class='report' href='/api/parcels/" + encodeURIComponent(data.id) + "/report.pdf?lang=" + lang + "' target='_blank' rel='noopener'>" +
      esc(T.report) + "</a></p>";
    panel.hidden = false;
    panel.querySelector(".close").addEventListener("click", closePanel);
    panel.querySelector(".share").addEventListener("click", function () {
      writeHash();
      if (navigator.clipboard) { navigator.clipboard.writeText(location.href).catch(function () {}); }
      this.textContent = T.copied;
    });
    panel.focus({preventScroll: true});
    writeHash();
  }

  function openParcel(url, fit) {
    return fetch(url, {credentials: "same-origin"}).then(function (r) {
      if (r.status === 404) { panel.hidden = false; panel.innerHTML = "<p>" + esc(T.no_parcel) + "</p>"; return null; }
      return r.json();
    }).then(function (data) {
      if (!data) { return; }
      say("");
      showPanel(data);  // first the panel, so the parcel is placed beside or above it
      reveal(L.latLngBounds([[data.bbox[1], data.bbox[0]], [data.bbox[3], data.bbox[2]]]), fit);
      writeHash();
      document.dispatchEvent(new Event("map:covered"));  // names move out from under the panel
    });
  }

  function closeList() {
    list.hidden = true; active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  // Arrow keys move the active suggestion; the focus stays in the box (aria-activedescendant).
  function moveActive(step) {
    var options = list.querySelectorAll("[role=option]:not([aria-disabled=true])");
    if (list.hidden || !options.length) { return; }
    active = active < 0 && step < 0 ? options.length - 1 : (active + step + options.length) % options.length;
    options.forEach(function (o, i) { o.setAttribute("aria-selected", i === active ? "true" : "false"); });
    input.setAttribute("aria-activedescendant", options[active].id);
    options[active].scrollIntoView({block: "nearest"});
  }

  function choose(result) {
    state.q = input.value;
    closeList();
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
      active = -1;
      input.removeAttribute("aria-activedescendant");
      function option(html, pick) {
        var li = document.createElement("li");
        li.id = "search-option-" + list.children.length;
        li.setAttribute("role", "option"); li.setAttribute("aria-selected", "false");
        li.innerHTML = html;
        li.addEventListener("click", pick);
        li.pick = pick;
        list.appendChild(li);
      }
      if (!data.results.length) {
        var li = document.createElement("li");
        li.className = "none";
        li.setAttribute("role", "option"); li.setAttribute("aria-disabled", "true");
        li.textContent = T.nothing + (data.suggestions.length ? " " + T.did_you_mean + " " + data.suggestions.join(", ") : "");
        list.appendChild(li);
        data.suggestions.forEach(function (s) {
          option(esc(s), function () { input.value = s; runSearch(s, true); });
        });
      }
      if (data.message) {  // e.g. the neighbourhood named is not known: the results are its commune
        var note = document.createElement("li");
        note.className = "none";
        note.setAttribute("role", "option"); note.setAttribute("aria-disabled", "true");
        note.textContent = data.message;
        list.appendChild(note);
      }
      data.results.forEach(function (result) {
        option("<strong>" + esc(result.label) + "</strong> <small>" + esc(result.detail || "") + "</small>",
               function () { choose(result); });
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      if (pickFirst && data.results.length) { choose(data.results[0]); }
    });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    if (input.value.trim().length < 2) { closeList(); return; }
    timer = setTimeout(function () { runSearch(input.value, false); }, 250);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      moveActive(e.key === "ArrowDown" ? 1 : -1);
    } else if (e.key === "Enter" && !list.hidden && active >= 0) {
      e.preventDefault();
      var options = list.querySelectorAll("[role=option]:not([aria-disabled=true])");
      clearTimeout(timer);
      options[active].pick();
    } else if (e.key === "Escape" && !list.hidden) {
      e.preventDefault();  // a search box would clear its text on Escape: only the suggestions close
    }
  });
  document.getElementById("search-form").addEventListener("submit", function (e) {
    e.preventDefault();
    clearTimeout(timer);
    runSearch(input.value, true);
  });
  // Escape closes what is open, the innermost first: suggestions, the layer list, the panel.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") { return; }
    if (!list.hidden) { closeList(); input.focus(); }
    else if (document.body.classList.contains("layers-open")) { toggleLayers(false); layersButton.focus(); }
    else if (!panel.hidden) { closePanel(); input.focus(); }
  });
  document.getElementById("parcel-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var form = e.target;
    input.value = form.commune.value + " " + form.sheet.value + " " + form.parcel.value;
    runSearch(input.value, true);
  });
  map.on("click", function (e) {
    toggleLayers(false);
    if (map.getZoom() < parcelZoom) {
      // Parcels are not drawn yet: say so, and offer to zoom in right here.
      say(T.zoom_for_parcels, {label: T.zoom_here, run: function () { say(""); map.setView(e.latlng, parcelZoom); }});
      return;
    }
    openParcel("/api/parcels/at?lon=" + e.latlng.lng.toFixed(7) + "&lat=" + e.latlng.lat.toFixed(7), false);
  });
  map.on("zoomend", function () { if (map.getZoom() >= parcelZoom) { say(""); } });
  map.on("moveend", writeHash);

  // On a phone the layer list is a sheet opened by the layer button (on wider screens it stays open).
  function toggleLayers(open) {
    if (!layerList) { return; }
    document.body.classList.toggle("layers-open", open);
    layersButton.setAttribute("aria-expanded", open ? "true" : "false");
  }
  if (layerList) {
    // The button sits under the zoom buttons, as one more map control.
    var bar = L.control({position: "topleft"});
    bar.onAdd = function () {
      var div = L.DomUtil.create("div", "leaflet-bar layers-button-bar");
      div.appendChild(layersButton);
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    bar.addTo(map);
    layerList.id = "layer-list";
    layersButton.setAttribute("aria-controls", "layer-list");
    layersButton.addEventListener("click", function () {
      toggleLayers(!document.body.classList.contains("layers-open"));
    });
  } else {
    layersButton.hidden = true;
  }

  // The first view: the link's, else the whole province; set without animation, so nothing started
  // before it (folium's own start view) can move the map afterwards. One can always zoom out to
  // the province (and one step more), and no further.
  map.setMinZoom(Math.max(map.getMinZoom(), map.getBoundsZoom(province) - 1));
  var initial = readHash();
  if (initial.view) { map.setView([initial.view[0], initial.view[1]], initial.view[2], {animate: false}); }
  else { map.fitBounds(province, {animate: false}); }
  if (initial.q) { input.value = initial.q; state.q = initial.q; }
  if (initial.p) { openParcel("/api/parcels/" + encodeURIComponent(initial.p), !initial.view); }
  root.dataset.ready = "1";
})();
