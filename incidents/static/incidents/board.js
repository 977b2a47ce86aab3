/* The leaders' situation board (/ioc/chi-huy/<id>): the affected area, tasks per agency with their
   state, units on the way with their ETA; refetched when the incident changes (live) and every 15 s
   (tasks do not change the incident itself). Uses window.IOC (ioc.js). */
(function () {
  "use strict";
  var IOC = window.IOC, el = IOC.el, T = IOC.T, num = IOC.num, name = IOC.name;
  var id = IOC.config.incident;
  var map = IOC.newMap("map"), drawn = L.layerGroup().addTo(map), first = true, timer = null;
  IOC.baseMap(map).catch(function () {});
  var body = document.getElementById("board-body");

  function load() {
    timer = null;
    return IOC.getJSON("/ioc/chi-huy/" + id + ".json").then(function (b) {
      drawn.clearLayers();
      var bounds = L.latLngBounds([[b.lat, b.lon]]);
      if (b.area) {
        var area = L.geoJSON(JSON.parse(b.area), {style: {color: "#c53030", weight: 2, fillOpacity: 0.15}}).addTo(drawn);
        bounds.extend(area.getBounds());
      }
      L.circleMarker([b.lat, b.lon], {radius: 9, color: "#c53030", fillOpacity: 0.9}).bindTooltip(b.tracking_code).addTo(drawn);
      if (first) { map.fitBounds(bounds.pad(0.3), {maxZoom: 14}); first = false; }
      var byAgency = {};
      b.tasks.forEach(function (t) { (byAgency[t.agency] = byAgency[t.agency] || []).push(t); });
      var counts = b.task_counts || {};
      body.replaceChildren(
        el("h2", {text: b.tracking_code + " · " + b.category_name}),
        el("p", {className: "status status-" + b.status, text: b.status_name}),
        el("p", {className: "desc", text: b.description}),
        el("p", {className: "muted", text: T.reported + " " + b.reported_at_text + (b.area ? " · " + T.area : "")}),
        el("h3", {text: T.task_counts}),
        el("p", {className: "task-counts"}, IOC.config.task_states.map(function (s) {
          return el("span", {className: "badge task-" + s.code, text: s.name + ": " + num(counts[s.code] || 0)});
        })),
        el("h3", {text: T.tasks}),
        el("table", {className: "kpi-table tasks"}, [el("thead", {}, [el("tr", {}, [el("th", {scope: "col", text: T.agency}),
          el("th", {scope: "col", text: T.tasks}), el("th", {scope: "col", text: T.state})])]),
          el("tbody", {}, Object.keys(byAgency).reduce(function (rows, agency) {
            return rows.concat(byAgency[agency].map(function (t) {
              return el("tr", {className: "task-" + t.state, "data-task": t.id}, [el("th", {scope: "row", text: name("agencies", agency)}),
                el("td", {text: t.title}), el("td", {text: name("tasks", t.state) + " · " + t.updated_at_text})]);
            }));
          }, []))]),
        el("h3", {text: T.units_on_way}),
        el("ul", {className: "units"}, b.dispatches.length ? b.dispatches.map(function (u) {
          return el("li", {text: u.unit_code + " (" + u.kind + ") · " + (u.arrived_at_text ? T.arrived + " " + u.arrived_at_text
            : T.eta + " " + (u.travel_s ? num(u.travel_s / 60) + " " + T.minutes : "–"))});
        }) : [el("li", {text: T.none})]),
        el("h3", {text: T.timeline}), IOC.timeline(b.timeline.slice(-30)));
      body.setAttribute("data-version", b.version);
    }).catch(function () {});
  }

  function schedule() { if (!timer) timer = setTimeout(load, 300); }
  IOC.liveStream("/ioc/live/chi-huy/" + id + "?since=latest", schedule, schedule);
  setInterval(schedule, 15000);
  load();
})();
