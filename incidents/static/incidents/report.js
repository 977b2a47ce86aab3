/* The citizen's report form (/phan-anh/): a map to place the problem (a tap, or the phone's position),
   photos kept across several picks (a phone's camera gives one photo per pick) with previews, and,
   before sending, the open reports of the same kind nearby, each with a "me too" button that supports
   it instead of filing a duplicate. Without this script the form still posts as a plain form. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("report-config").textContent);
  var t = config.texts;
  var form = document.getElementById("report-form");
  var lonInput = document.getElementById("lon"), latInput = document.getElementById("lat");
  var category = document.getElementById("category");
  var whereStatus = document.getElementById("where-status");
  var message = document.getElementById("form-message");
  var nearbyBox = document.getElementById("nearby"), nearbyList = document.getElementById("nearby-list");
  var photosInput = document.getElementById("photos"), previews = document.getElementById("photo-previews");
  var sendButton = document.getElementById("send");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var bounds = L.latLngBounds(config.bounds);

  // -- the map -----------------------------------------------------------------------------------
  var map = L.map("report-map", {maxBounds: bounds.pad(0.3), maxBoundsViscosity: 0.8, minZoom: 7, maxZoom: 19,
                                 tap: true});
  map.fitBounds(bounds);
  if (config.basemap) {
    L.tileLayer(config.basemap, {attribution: config.attribution, maxZoom: 19}).addTo(map);
  }
  // The platform's own base (as the web map draws it): boundaries and roads, as vector tiles.
  var roadColors = {national: "#c0392b", provincial: "#e67e22"};
  L.vectorGrid.protobuf("/tiles/admin_units/{z}/{x}/{y}.pbf", {
    maxNativeZoom: 20, maxZoom: 22, interactive: false,
    vectorTileLayerStyles: {admin_units: function (p) {
      var district = p.level === "district";
      return {color: district ? "#555" : "#999", weight: district ? 2 : 0.6, fill: district,
              fillColor: "#f7f4ea", fillOpacity: district ? 0.5 : 0};
    }},
  }).addTo(map);
  L.vectorGrid.protobuf("/tiles/roads/{z}/{x}/{y}.pbf", {
    maxNativeZoom: 20, maxZoom: 22, interactive: false,
    vectorTileLayerStyles: {roads: function (p) {
      return {color: roadColors[p.road_class] || "#888", weight: roadColors[p.road_class] ? 2.5 : 1};
    }},
  }).addTo(map);

  var marker = null;
  function place(latlng, text) {
    if (!bounds.contains(latlng)) {
      whereStatus.textContent = t.outside;
      return;
    }
    if (marker) { marker.setLatLng(latlng); } else {
      marker = L.circleMarker(latlng, {radius: 10, color: "#b00020", weight: 3, fillColor: "#ff5252", fillOpacity: 0.8})
        .addTo(map);
    }
    lonInput.value = latlng.lng.toFixed(6);
    latInput.value = latlng.lat.toFixed(6);
    whereStatus.textContent = text;
    clearMessage();
    checkNearby();
  }
  map.on("click", function (e) { place(e.latlng, t.placed); });
  if (lonInput.value && latInput.value) {
    var start = L.latLng(Number(latInput.value), Number(lonInput.value));
    place(start, t.placed);
    map.setView(start, 16);
  }

  document.getElementById("locate").addEventListener("click", function () {
    if (!navigator.geolocation) { whereStatus.textContent = t.no_geolocation; return; }
    whereStatus.textContent = t.locating;
    navigator.geolocation.getCurrentPosition(function (position) {
      var latlng = L.latLng(position.coords.latitude, position.coords.longitude);
      place(latlng, t.located);
      if (bounds.contains(latlng)) { map.setView(latlng, 17); }
    }, function () {
      whereStatus.textContent = t.no_geolocation;
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  });

  // -- nearby reports of the same kind --------------------------------------------------------------
  var checkedFor = null, nearbyCount = 0, pending = null, shownBeforeSend = false;

  function nearbyKey() {
    return category.value && lonInput.value ? [category.value, lonInput.value, latInput.value].join("|") : null;
  }

  function checkNearby() {
    var key = nearbyKey();
    if (!key) { nearbyBox.hidden = true; return Promise.resolve(0); }
    if (key === checkedFor && !pending) { return Promise.resolve(nearbyCount); }
    if (pending && pending.key === key) { return pending.promise; }
    var params = new URLSearchParams({category: category.value, lon: lonInput.value, lat: latInput.value,
                                      lang: config.lang});
    var promise = fetch("/phan-anh/gan-day?" + params, {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : {reports: []}; })
      .then(function (body) {
        if (nearbyKey() === key) {
          checkedFor = key;
          nearbyCount = body.reports.length;
          shownBeforeSend = false;
          showNearby(body.reports);
        }
        return body.reports.length;
      })
      .catch(function () { return 0; })
      .finally(function () { if (pending && pending.key === key) { pending = null; } });
    pending = {key: key, promise: promise};
    return promise;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  var nearbyMarkers = L.layerGroup().addTo(map);
  var heldNote = document.getElementById("nearby-held");

  function showNearby(reports) {
    nearbyList.textContent = "";
    nearbyMarkers.clearLayers();
    heldNote.hidden = true;
    if (!reports.length) { nearbyBox.hidden = true; return; }
    reports.forEach(function (report) {
      var item = el("li", "pa-nearby-item");
      var head = el("p", "pa-nearby-head");
      var link = el("a", null, report.tracking_code);
      link.href = report.status_url;
      head.appendChild(link);
      head.appendChild(document.createTextNode(" · " + report.status_name + " · " +
        t.meters.replace("{m}", report.distance_m.toLocaleString("vi-VN"))));
      item.appendChild(head);
      item.appendChild(el("p", "pa-nearby-text", report.description));
      item.appendChild(el("p", "pa-help", report.reported_at_text + " · " +
        t.supporters.replace("{n}", report.supporters)));
      var button = el("button", "pa-support", t.support);
      button.type = "button";
      button.addEventListener("click", function () { support(report, button); });
      item.appendChild(button);
      nearbyList.appendChild(item);
      L.circleMarker([report.lat, report.lon], {radius: 7, color: "#8a6d00", weight: 2, fillColor: "#ffd54f",
                                                fillOpacity: 0.9}).bindTooltip(report.tracking_code).addTo(nearbyMarkers);
    });
    nearbyBox.hidden = false;
  }

  function support(report, button) {
    button.disabled = true;
    fetch(report.support_url, {method: "POST", credentials: "same-origin",
                               headers: {"X-CSRFToken": csrf, Accept: "application/json"}})
      .then(function (r) {
        return r.json().then(function (body) { return {ok: r.ok, status: r.status, body: body}; });
      })
      .then(function (answer) {
        if (answer.ok) { window.location.assign(answer.body.status_url); return; }
        if (answer.status === 409) { window.location.assign(report.status_url); return; }
        showMessage(answer.body.error || String(answer.status));
        button.disabled = false;
      })
      .catch(function (error) { showMessage(String(error)); button.disabled = false; });
  }

  category.addEventListener("change", function () { clearMessage(); checkNearby(); });

  // -- photos ---------------------------------------------------------------------------------------
  var chosen = [];  // File objects, across picks
  var canRebuild = typeof DataTransfer === "function";

  function syncInput() {
    if (!canRebuild) { return; }
    var transfer = new DataTransfer();
    chosen.forEach(function (file) { transfer.items.add(file); });
    photosInput.files = transfer.files;
  }

  function showPreviews() {
    previews.querySelectorAll("img").forEach(function (img) { URL.revokeObjectURL(img.src); });
    previews.textContent = "";
    chosen.forEach(function (file, index) {
      var item = el("li");
      var img = el("img");
      img.src = URL.createObjectURL(file);
      img.alt = t.photos + " " + (index + 1);
      item.appendChild(img);
      var remove = el("button", "pa-remove", t.remove);
      remove.type = "button";
      remove.setAttribute("aria-label", t.remove + " " + (index + 1));
      remove.addEventListener("click", function () {
        chosen.splice(index, 1);
        syncInput();
        showPreviews();
      });
      item.appendChild(remove);
      previews.appendChild(item);
    });
  }

  photosInput.addEventListener("change", function () {
    clearMessage();
    var picked = Array.prototype.slice.call(photosInput.files);
    if (!canRebuild) { chosen = picked; }
    else {
      picked.forEach(function (file) {
        if (file.size > config.max_bytes) {
          showMessage(t.photo_too_big.replace("{name}", file.name).replace("{mb}", t.mb));
        } else if (chosen.length >= config.max_photos) {
          showMessage(t.too_many_photos);
        } else {
          chosen.push(file);
        }
      });
      syncInput();
    }
    showPreviews();
  });

  // -- sending --------------------------------------------------------------------------------------
  function showMessage(text) {
    message.textContent = text;
    message.hidden = false;
    message.scrollIntoView({block: "center", behavior: "smooth"});
  }

  function clearMessage() { message.hidden = true; message.textContent = ""; }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!category.value) { showMessage(t.pick_category); category.focus(); return; }
    if (!lonInput.value && !chosen.length && !photosInput.files.length) { showMessage(t.pick_location); return; }
    if (chosen.length > config.max_photos) { showMessage(t.too_many_photos); return; }
    checkNearby().then(function (count) {
      if (count && !shownBeforeSend) {
        // The citizen sees the nearby reports once before filing a new one; sending again files it.
        shownBeforeSend = true;
        sendButton.textContent = t.send_anyway;
        heldNote.hidden = false;
        nearbyBox.scrollIntoView({block: "start", behavior: "smooth"});
        return;
      }
      sendButton.disabled = true;
      sendButton.textContent = t.sending;
      form.submit();
    });
  });
})();
