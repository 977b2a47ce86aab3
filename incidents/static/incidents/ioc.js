/* Shared by the IOC pages (ioc.js, agency.js, board.js): configuration, DOM building without
   innerHTML, Vietnamese numbers, JSON requests with the CSRF token, the base map, an event stream
   that patches by feature id and version. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("ioc-config").textContent);
  var T = config.texts;
  var numberFormats = {};

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else if (key === "style") Object.assign(node.style, value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
    });
    return node;
  }

  function num(value, digits) {
    if (value === null || value === undefined) return "–";
    digits = digits || 0;
    if (!numberFormats[digits]) {
      numberFormats[digits] = new Intl.NumberFormat("vi-VN", {maximumFractionDigits: digits, minimumFractionDigits: 0});
    }
    return numberFormats[digits].format(value);
  }

  function byCode(list) {
    var out = {};
    (list || []).forEach(function (item) { out[item.code] = item; });
    return out;
  }

  var lookups = {
    categories: byCode(config.categories), districts: byCode(config.districts), statuses: byCode(config.statuses),
    agencies: byCode(config.agencies), priorities: byCode(config.priorities), processes: byCode(config.processes),
    channels: byCode(config.channels), tasks: byCode(config.task_states)
  };

  function name(kind, code) {
    var item = lookups[kind][code];
    return item ? item.name : (code || "");
  }

  function csrf() { return document.body.getAttribute("data-csrf"); }

  function request(method, url, body) {
    var options = {method: method, credentials: "same-origin", headers: {"Accept": "application/json"}};
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRFToken"] = csrf();
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return {ok: response.ok, status: response.status, data: data};
      });
    });
  }

  function getJSON(url) {
    return request("GET", url).then(function (answer) {
      if (!answer.ok) throw new Error(answer.data.description || String(answer.status));
      return answer.data;
    });
  }

  function baseMap(map) {
    return getJSON("/ioc/base.json").then(function (data) {
      var layer = L.geoJSON(data, {
        interactive: false,
        style: function (feature) {
          return feature.properties.kind === "road" ? {color: "#b7791f", weight: 2, opacity: 0.7}
            : {color: "#4a5568", weight: 1.2, opacity: 0.8, fill: true, fillColor: "#f4f1ea", fillOpacity: 0.6};
        }
      }).addTo(map);
      layer.bringToBack();
      return layer;
    });
  }

  function newMap(id) {
    var map = L.map(id, {preferCanvas: true, zoomControl: true, attributionControl: false, minZoom: 7, maxZoom: 19})
      .setView([11.75, 106.75], 9);
    return map;
  }

  /* An EventSource that resumes by itself (Last-Event-ID); onChange(data) for each change, onReload()
     when the server says the client must resync; the state line in the header follows it. */
  function liveStream(url, onChange, onReload) {
    var stateLine = document.getElementById("live-state");
    var source = new EventSource(url, {withCredentials: true});
    function show(live) {
      if (!stateLine) return;
      stateLine.textContent = live ? stateLine.getAttribute("data-live") : stateLine.getAttribute("data-offline");
      stateLine.className = "live-state " + (live ? "is-live" : "is-offline");
    }
    source.addEventListener("open", function () { show(true); });
    source.addEventListener("error", function () { show(false); });
    source.addEventListener("change", function (event) {
      show(true);
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (data && data.reload) { onReload(); return; }
      onChange(data);
    });
    source.addEventListener("reload", function () { onReload(); });
    return source;
  }

  function timeline(items) {
    return el("ol", {className: "timeline"}, items.map(function (u) {
      var status = u.status_to ? name("statuses", u.status_to) : "";
      return el("li", {}, [el("time", {text: u.at_text}), " ", el("b", {text: u.actor || ""}), " ",
        el("span", {text: u.kind + (status ? " → " + status : "")}), u.note ? el("p", {text: u.note}) : null]);
    }));
  }

  window.IOC = {config: config, T: T, el: el, num: num, name: name, lookups: lookups, request: request,
    getJSON: getJSON, baseMap: baseMap, newMap: newMap, liveStream: liveStream, timeline: timeline};
})();

/* The operators' wall map (/ioc/): runs only on that page. */
(function () {
  "use strict";
  if (!document.body.classList.contains("ioc")) return;
  var IOC = window.IOC, el = IOC.el, T = IOC.T, num = IOC.num, name = IOC.name, config = IOC.config;
  var LIST_MAX = 200;                 // list rows drawn (the rest counted): a flood never slows the page
  var RANK = {urgent: 0, high: 1, normal: 2, low: 3};
  var features = new Map();           // id -> feature (map_feature shape)
  var markers = new Map();            // id -> Leaflet marker
  var fresh = new Set();              // ids that arrived live (highlighted for a while)
  var selected = null, selectedDetail = null, pickingLocation = false;
  var source = null, redrawTimer = null, kpiTimer = null, kpiLast = 0, detailTimer = null;

  var map = IOC.newMap("map");
  IOC.baseMap(map).then(function (layer) {
    var bounds = layer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds);
  }).catch(function () {});
  var cluster = L.markerClusterGroup({chunkedLoading: true, disableClusteringAtZoom: 15, maxClusterRadius: 50,
    iconCreateFunction: function (group) {
      var children = group.getAllChildMarkers(), overdue = 0;
      children.forEach(function (m) { if (m.options.overdue) overdue += 1; });
      return L.divIcon({className: "inc-cluster" + (overdue ? " has-overdue" : ""),
        html: "<span>" + children.length + "</span>", iconSize: [38, 38]});
    }}).addTo(map);
  var around = L.layerGroup().addTo(map);   // cameras, clinics, units and routes of the selected incident

  var filters = document.getElementById("filters");
  function fillSelect(select, items) {
    items.forEach(function (item) { select.appendChild(el("option", {value: item.code, text: item.name})); });
  }
  fillSelect(filters.elements.category, config.categories);
  fillSelect(filters.elements.district, config.districts);
  fillSelect(filters.elements.status, config.statuses);
  fillSelect(filters.elements.process, config.processes);
  filters.addEventListener("change", scheduleRedraw);

  function recentlyClosed(p) {
    return !p.open && p.closed_at && (Date.now() - Date.parse(p.closed_at)) < 24 * 3600 * 1000;
  }

  function isOverdue(p) {
    return p.open && p.due_at && Date.parse(p.due_at) < Date.now();
  }

  function passes(p) {
    var f = filters.elements;
    if (f.category.value && p.category !== f.category.value) return false;
    if (f.district.value && p.district !== f.district.value) return false;
    if (f.status.value && p.status !== f.status.value) return false;
    if (f.process.value) {
      var category = IOC.lookups.categories[p.category];
      if (!category || category.process !== f.process.value) return false;
    }
    if (f.overdue.checked && !isOverdue(p)) return false;
    if (!p.open && !f.closed.checked) return false;
    return true;
  }

  function icon(p) {
    var category = IOC.lookups.categories[p.category];
    var color = category && /^#[0-9a-fA-F]{3,8}$/.test(category.color) ? category.color : "#3366cc";
    var classes = ["inc-marker", "prio-" + p.priority, "status-" + p.status];
    if (isOverdue(p)) classes.push("is-overdue");
    if (!p.open) classes.push("is-closed");
    if (fresh.has(p.id)) classes.push("is-new");
    if (selected === p.id) classes.push("is-selected");
    return L.divIcon({className: classes.join(" "), iconSize: [22, 22],
      html: '<span class="dot" style="background:' + color + '" data-id="' + Number(p.id) + '"></span>'});
  }

  /* Apply one feature (initial state or live): newer versions win, older ones are ignored. */
  function apply(feature) {
    var id = feature.id, known = features.get(id);
    if (known && known.properties.version && feature.version !== undefined && feature.gone &&
        feature.version <= known.properties.version) return false;
    if (feature.gone) {
      if (known) { features.delete(id); var m = markers.get(id); if (m) { cluster.removeLayer(m); markers.delete(id); } }
      return true;
    }
    if (known && known.properties.version && feature.properties.version &&
        feature.properties.version < known.properties.version) return false;
    var p = feature.properties;
    if (!p.open && !recentlyClosed(p)) {
      features.delete(id);
      var gone = markers.get(id);
      if (gone) { cluster.removeLayer(gone); markers.delete(id); }
      return true;
    }
    features.set(id, feature);
    return true;
  }

  function scheduleRedraw() {
    if (redrawTimer) return;
    redrawTimer = setTimeout(redraw, 300);
  }

  function redraw() {
    redrawTimer = null;
    cluster.clearLayers();
    markers.clear();
    var open = 0, overdue = 0, shown = [];
    features.forEach(function (feature) {
      var p = feature.properties;
      if (p.open) { open += 1; if (isOverdue(p)) overdue += 1; }
      if (passes(p)) shown.push(feature);
    });
    var batch = [];
    shown.forEach(function (feature) {
      var p = feature.properties, c = feature.geometry.coordinates;
      var marker = L.marker([c[1], c[0]], {icon: icon(p), overdue: isOverdue(p), keyboard: false,
        title: p.code + " – " + name("categories", p.category)});
      marker.on("click", function () { openDetail(p.id); });
      markers.set(p.id, marker);
      batch.push(marker);
    });
    cluster.addLayers(batch);
    document.getElementById("count-open").textContent = num(open);
    document.getElementById("count-overdue").textContent = num(overdue);
    drawList(shown);
  }

  function drawList(shown) {
    shown.sort(function (a, b) {
      var p = a.properties, q = b.properties;
      // What just arrived live leads the list (for a minute), then open before closed, overdue, priority.
      return (fresh.has(q.id) - fresh.has(p.id)) || (q.open - p.open) || (isOverdue(q) - isOverdue(p)) || (RANK[p.priority] - RANK[q.priority]) ||
        (Date.parse(q.reported_at) - Date.parse(p.reported_at));
    });
    var list = document.getElementById("incident-list");
    var rows = shown.slice(0, LIST_MAX).map(function (feature) {
      var p = feature.properties;
      var category = IOC.lookups.categories[p.category];
      var classes = "incident prio-" + p.priority + (isOverdue(p) ? " is-overdue" : "") + (p.open ? "" : " is-closed") +
        (fresh.has(p.id) ? " is-new" : "") + (selected === p.id ? " is-selected" : "");
      return el("li", {className: classes, "data-id": p.id}, [
        el("button", {type: "button", onclick: function () { openDetail(p.id); }}, [
          el("span", {className: "swatch", style: {background: category ? category.color : "#3366cc"}, "aria-hidden": "true"}),
          el("b", {text: p.code}), " ",
          el("span", {className: "prio", text: name("priorities", p.priority)}), " ",
          isOverdue(p) ? el("span", {className: "badge overdue", text: T.overdue}) : null,
          fresh.has(p.id) ? el("span", {className: "badge new", text: T.new}) : null,
          el("span", {className: "line", text: name("categories", p.category) + " · " + name("statuses", p.status)}),
          el("span", {className: "line muted", text: (name("districts", p.district) || "") + " · " + p.reported_text}),
          el("span", {className: "line desc", text: p.description})
        ])
      ]);
    });
    list.replaceChildren.apply(list, rows);
    if (!shown.length) list.appendChild(el("li", {className: "empty", text: T.empty}));
    document.getElementById("list-count").textContent =
      shown.length > LIST_MAX ? T.shown.replace("{shown}", num(LIST_MAX)).replace("{total}", num(shown.length))
        : "(" + num(shown.length) + ")";
  }

  /* -- initial state and live events ---------------------------------------------------------------- */

  function load() {
    return IOC.getJSON("/ioc/incidents.json").then(function (data) {
      features.clear();
      data.features.forEach(apply);
      redraw();
      if (source) source.close();
      source = IOC.liveStream("/ioc/live?since=" + encodeURIComponent(data.cursor), onChange, load);
      window.ioc.ready = true;
    });
  }

  function onChange(data) {
    if (data.gone) { apply(data); }
    else {
      var isNew = !features.has(data.id);
      if (apply(data) && isNew && data.properties.open) {
        fresh.add(data.id);
        setTimeout(function () { fresh.delete(data.id); scheduleRedraw(); }, 60000);
      }
    }
    scheduleRedraw();
    scheduleKpis();
    if (selected === data.id && selectedDetail && (data.gone || data.properties.version > selectedDetail.version)) {
      clearTimeout(detailTimer);
      detailTimer = setTimeout(function () { openDetail(data.id, true); }, 300);
    }
  }

  /* -- KPIs (refetched on events, at most every 5 s) ------------------------------------------------ */

  function scheduleKpis() {
    if (kpiTimer) return;
    var wait = Math.max(0, 5000 - (Date.now() - kpiLast));
    kpiTimer = setTimeout(loadKpis, wait);
  }

  function table(caption, headers, rows) {
    return el("table", {className: "kpi-table"}, [el("caption", {text: caption}),
      el("thead", {}, [el("tr", {}, headers.map(function (h) { return el("th", {scope: "col", text: h}); }))]),
      el("tbody", {}, rows.map(function (row) {
        return el("tr", {}, row.map(function (cell, i) { return el(i ? "td" : "th", i ? {text: cell} : {scope: "row", text: cell}); }));
      }))]);
  }

  function loadKpis() {
    kpiTimer = null;
    kpiLast = Date.now();
    IOC.getJSON("/ioc/kpis.json").then(function (k) {
      var body = document.getElementById("kpi-body");
      var ttc = k.time_to_close;
      body.replaceChildren(
        el("p", {className: "kpi-median"}, [T.median_close + ": ",
          el("b", {id: "kpi-median", text: ttc.median_hours === null ? "–" : num(ttc.median_hours, 1) + " " + T.hours}),
          " (" + num(ttc.closed) + ")"]),
        table(T.by_district, [IOC.config.lang === "en" ? "District" : "Huyện", T.open, T.overdue],
          k.by_district.map(function (r) { return [r.district || "–", num(r.open), num(r.overdue)]; })),
        table(T.by_category, [IOC.config.lang === "en" ? "Category" : "Loại", T.open, T.overdue],
          k.by_category.map(function (r) { return [r.name, num(r.open), num(r.overdue)]; })),
        table(T.on_time, [T.agency, "n", "%"],
          k.on_time.map(function (r) { return [r.name, num(r.counted), r.share === null ? "–" : num(r.share, 1) + " %"]; })));
    }).catch(function () {});
  }

  /* -- the selected incident ------------------------------------------------------------------------- */

  var side = document.getElementById("side"), detail = document.getElementById("detail");
  var overview = document.getElementById("overview");

  function closeDetail() {
    selected = null; selectedDetail = null;
    detail.hidden = true; overview.hidden = false;
    around.clearLayers();
    scheduleRedraw();
  }

  function message(text, bad) {
    var box = document.getElementById("detail-message");
    if (box) { box.textContent = text; box.className = "message" + (bad ? " bad" : ""); }
  }

  function act(body) {
    body.expected_version = selectedDetail.version;
    return IOC.request("POST", "/ioc/incidents/" + selectedDetail.id + "/act", body).then(function (answer) {
      if (answer.ok) { showDetail(answer.data); message(T.saved); return; }
      message(answer.data.description || String(answer.status), true);
      if (answer.status === 412) setTimeout(function () { openDetail(selectedDetail.id, true); }, 1500);
    });
  }

  function openDetail(id, keepMessage) {
    selected = id;
    scheduleRedraw();
    return IOC.getJSON("/ioc/incidents/" + id + ".json").then(function (d) {
      showDetail(d, keepMessage);
      var feature = features.get(id);
      if (feature && !keepMessage) map.setView([d.lat, d.lon], Math.max(map.getZoom(), 15));
      loadAround(d);
    }).catch(function (error) { message(String(error.message || error), true); });
  }

  function field(label, value) {
    return value ? el("div", {className: "field"}, [el("dt", {text: label}), el("dd", {text: value})]) : null;
  }

  function actionForm(a) {
    var inputs = [];
    if (a.needs === "agency") {
      var select = el("select", {name: "agency"}, IOC.config.agencies.map(function (ag) {
        return el("option", {value: ag.code, text: ag.name, selected: ag.code === selectedDetail.agency});
      }));
      inputs.push(el("label", {}, [T.choose_agency + " ", select]));
    }
    if (a.needs === "result") inputs.push(el("label", {}, [T.result + " ", el("textarea", {name: "result", required: true, rows: 2})]));
    if (a.needs === "note") inputs.push(el("label", {}, [T.note + " ", el("textarea", {name: "note", required: true, rows: 2})]));
    if (a.needs === "primary") return null;  // merging goes through the duplicates' buttons
    var form = el("form", {className: "action", "data-action": a.action}, inputs.concat([
      el("button", {type: "submit", text: a.label})]));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = {action: a.action};
      Array.prototype.forEach.call(form.elements, function (input) { if (input.name) body[input.name] = input.value; });
      act(body);
    });
    return form;
  }

  function showDetail(d, keepMessage) {
    selectedDetail = d;
    var operator = IOC.config.operator;
    var children = [
      el("div", {className: "detail-head"}, [
        el("h2", {text: d.tracking_code + " · " + d.category_name}),
        el("button", {type: "button", className: "close", text: T.close, onclick: closeDetail})]),
      el("p", {className: "status status-" + d.status}, [d.status_name, d.overdue ? el("span", {className: "badge overdue", text: T.overdue}) : null]),
      el("p", {id: "detail-message", className: "message", role: "status"}),
      el("p", {className: "desc", text: d.description}),
      el("dl", {}, [field(T.reported, d.reported_at_text), field(T.due, d.due_at_text),
        field(T.priority, name("priorities", d.priority)), field(T.agency, d.agency_name),
        field(T.channel, name("channels", d.channel)), field(T.address, [d.address, d.district].filter(Boolean).join(", ")),
        d.reporter ? field(T.reporter, [d.reporter.name, d.reporter.phone].filter(Boolean).join(" · ")) : null,
        d.supporters ? field("+", num(d.supporters) + " " + T.supporters) : null,
        d.result ? field(T.result, d.result) : null])
    ];
    if (operator && d.actions.length) {
      children.push(el("section", {className: "actions"}, [el("h3", {text: T.actions})]
        .concat(d.actions.map(actionForm))));
    }
    if (operator && !d.closed_at) {
      var prio = el("select", {name: "priority"}, IOC.config.priorities.map(function (p) {
        return el("option", {value: p.code, text: p.name, selected: p.code === d.priority});
      }));
      var prioForm = el("form", {className: "action"}, [el("label", {}, [T.change_priority + " ", prio]),
        el("button", {type: "submit", text: T.send})]);
      prioForm.addEventListener("submit", function (e) { e.preventDefault(); act({action: "priority", priority: prio.value}); });
      children.push(prioForm);
    }
    if (operator) {
      var note = el("textarea", {name: "note", rows: 2, required: true});
      var noteForm = el("form", {className: "action"}, [el("label", {}, [T.add_note + " ", note]), el("button", {type: "submit", text: T.send})]);
      noteForm.addEventListener("submit", function (e) { e.preventDefault(); act({action: "note", note: note.value}); });
      children.push(noteForm);
    }
    if (d.duplicates && d.duplicates.length) {
      children.push(el("section", {className: "duplicates"}, [el("h3", {text: T.duplicates}),
        el("ul", {}, d.duplicates.map(function (dup) {
          return el("li", {}, [el("b", {text: dup.tracking_code}), " " + num(dup.distance_m) + " m · " + dup.status_name + " · ",
            el("span", {text: dup.description}),
            operator && d.actions.some(function (a) { return a.action === "merge"; }) ?
              el("button", {type: "button", className: "merge", "data-primary": dup.id, text: T.merge + " " + dup.tracking_code,
                onclick: function () { act({action: "merge", primary_id: dup.id}); }}) : null]);
        }))]));
    }
    if (d.photos.length) {
      children.push(el("section", {}, [el("h3", {text: T.photos}), el("div", {className: "photos"}, d.photos.map(function (ph) {
        return el("a", {href: ph.url, target: "_blank", rel: "noopener"}, [el("img", {src: ph.thumb, alt: T.photos + " " + ph.id, loading: "lazy"})]);
      }))]));
    }
    if (d.tasks.length) {
      children.push(el("section", {}, [el("h3", {text: T.tasks}), el("ul", {}, d.tasks.map(function (t) {
        return el("li", {text: name("agencies", t.agency) + ": " + t.title + " — " + name("tasks", t.state)});
      }))]));
    }
    if (d.dispatches.length) {
      children.push(el("section", {}, [el("h3", {text: T.dispatches}), el("ul", {}, d.dispatches.map(function (u) {
        return el("li", {text: u.unit_code + " (" + u.kind + ") " + (u.travel_s ? T.eta + " " + num(u.travel_s / 60) + " " + T.minutes : "") +
          (u.arrived_at_text ? " · " + T.arrived + " " + u.arrived_at_text : "")});
      }))]));
    }
    var radius = el("input", {type: "number", name: "radius", min: 50, max: 5000, step: 50, value: aroundRadius});
    var radiusForm = el("form", {className: "action radius"}, [el("label", {}, [T.radius + " ", radius]), el("button", {type: "submit", text: "↻"})]);
    radiusForm.addEventListener("submit", function (e) { e.preventDefault(); aroundRadius = Number(radius.value) || 500; loadAround(d); });
    children.push(el("section", {className: "around"}, [radiusForm, el("div", {id: "around-body"})]));
    children.push(el("section", {}, [el("h3", {text: T.timeline}), IOC.timeline(d.timeline)]));
    var previous = document.getElementById("detail-message");
    var kept = keepMessage && previous ? previous.textContent : "";
    detail.replaceChildren.apply(detail, children.filter(Boolean));
    if (kept) message(kept);
    detail.hidden = false; overview.hidden = true;
    detail.setAttribute("data-id", d.id);
    detail.setAttribute("data-status", d.status);
    side.scrollTop = 0;
  }

  var aroundRadius = 500;
  function loadAround(d) {
    around.clearLayers();
    var category = IOC.lookups.categories[d.category];
    var url = "/ioc/dispatch/nearby?lon=" + d.lon + "&lat=" + d.lat + "&radius=" + aroundRadius;
    IOC.getJSON(url).then(function (n) {
      var body = document.getElementById("around-body");
      if (!body || !selectedDetail || selectedDetail.id !== d.id) return;
      L.circle([d.lat, d.lon], {radius: aroundRadius, color: "#2b6cb0", weight: 1, fillOpacity: 0.05}).addTo(around);
      var sections = [];
      function minutes(s) { return s === null || s === undefined ? T.no_road : num(s / 60, 1) + " " + T.minutes; }
      (n.units || []).forEach(function (u) {
        if (u.route) L.geoJSON(u.route, {style: {color: "#c53030", weight: 3, opacity: 0.7}}).addTo(around);
        L.circleMarker([u.lat, u.lon], {radius: 6, color: "#c53030", fillOpacity: 0.9}).bindTooltip(el("span", {text: u.name + " · " + minutes(u.travel_s)})).addTo(around);
      });
      (n.clinics || []).forEach(function (c) {
        L.circleMarker([c.lat, c.lon], {radius: 6, color: "#2f855a", fillOpacity: 0.9}).bindTooltip(el("span", {text: c.name || ""})).addTo(around);
      });
      (n.cameras || []).forEach(function (c) {
        if (c.lat !== undefined) L.circleMarker([c.lat, c.lon], {radius: 5, color: "#6b46c1", fillOpacity: 0.9}).bindTooltip(el("span", {text: c.camera_code || ""})).addTo(around);
      });
      sections.push(el("h3", {text: T.units}), el("ul", {className: "units"}, (n.units || []).map(function (u) {
        return el("li", {text: u.name + " (" + (IOC.config.lang === "en" ? u.kind_en : u.kind_vi) + ") · " + minutes(u.travel_s)});
      })));
      if (category && category.process !== "timed" || (n.clinics || []).length) {
        sections.push(el("h3", {text: T.clinics}), el("ul", {}, (n.clinics || []).map(function (c) {
          return el("li", {text: (c.name || "") + " · " + minutes(c.travel_s)});
        })));
      }
      if (n.cameras !== null && n.cameras !== undefined) {
        sections.push(el("h3", {text: T.cameras}), el("ul", {className: "cameras"}, n.cameras.length ? n.cameras.map(function (c) {
          var en = IOC.config.lang === "en";
          return el("li", {text: [c.camera_code, c.road_name, en ? c.purpose_en : c.purpose_vi, en ? c.status_en : c.status_vi,
            num(c.distance_m) + " m"].filter(Boolean).join(" · ")});
        }) : [el("li", {text: T.none})]));
      }
      body.replaceChildren.apply(body, sections);
    }).catch(function () {});
  }

  /* -- hotline entry (operators) --------------------------------------------------------------------- */

  var hotline = document.getElementById("hotline-form");
  var pickMarker = null;
  if (hotline) {
    var category = el("select", {name: "category", required: true}, IOC.config.categories.map(function (c) {
      return el("option", {value: c.code, text: c.name});
    }));
    var priority = el("select", {name: "priority"}, [el("option", {value: "", text: "–"})].concat(IOC.config.priorities.map(function (p) {
      return el("option", {value: p.code, text: p.name});
    })));
    var lon = el("input", {name: "lon", type: "hidden"}), lat = el("input", {name: "lat", type: "hidden"});
    var where = el("output", {className: "muted", text: T.pick_on_map});
    [el("label", {}, [T.category ? T.category : "", category]),
      el("label", {}, [T.priority + " ", priority]),
      el("label", {}, [T.description + " ", el("textarea", {name: "description", required: true, rows: 2})]),
      el("label", {}, [T.address + " ", el("input", {name: "address"})]),
      el("label", {}, [T.name + " ", el("input", {name: "name", autocomplete: "off"})]),
      el("label", {}, [T.phone + " ", el("input", {name: "phone", type: "tel", autocomplete: "off"})]),
      el("p", {}, [T.location + ": ", where]), lon, lat,
      el("button", {type: "submit", text: T.send}), el("p", {className: "message", role: "status", id: "hotline-message"})
    ].forEach(function (node) { hotline.appendChild(node); });
    document.getElementById("hotline").addEventListener("toggle", function (e) { pickingLocation = e.target.open; });
    map.on("click", function (e) {
      if (!pickingLocation) return;
      lon.value = e.latlng.lng.toFixed(6); lat.value = e.latlng.lat.toFixed(6);
      where.textContent = num(e.latlng.lat, 5) + "; " + num(e.latlng.lng, 5);
      if (pickMarker) pickMarker.setLatLng(e.latlng); else pickMarker = L.marker(e.latlng).addTo(map);
    });
    hotline.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = {};
      Array.prototype.forEach.call(hotline.elements, function (input) { if (input.name) body[input.name] = input.value; });
      IOC.request("POST", "/ioc/incidents", body).then(function (answer) {
        var box = document.getElementById("hotline-message");
        box.textContent = answer.ok ? T.hotline_done.replace("{code}", answer.data.tracking_code) : (answer.data.description || answer.status);
        if (answer.ok) { hotline.reset(); where.textContent = T.pick_on_map; if (pickMarker) { map.removeLayer(pickMarker); pickMarker = null; } }
      });
    });
  }

  window.ioc = {ready: false, features: features,
    hasMarker: function (id) { return markers.has(id); },
    feature: function (id) { var f = features.get(id); return f ? f.properties : null; },
    open: openDetail};
  load();
  loadKpis();
  setInterval(scheduleRedraw, 60000);   // overdue is a matter of time: recount every minute
})();
