/* The agency officers' page (/ioc/co-quan/): the incidents forwarded to their department, live; post
   the result (step "handle") and update command tasks. Uses window.IOC (ioc.js). */
(function () {
  "use strict";
  var IOC = window.IOC, el = IOC.el, T = IOC.T, name = IOC.name;
  var items = new Map(), selected = null, source = null, timer = null;
  var list = document.getElementById("agency-list"), detail = document.getElementById("detail");

  function apply(item) {
    var known = items.get(item.id);
    if (known && known.version && item.version && item.version < known.version) return;
    if (item.gone || item.open === false) items.delete(item.id);
    else items.set(item.id, Object.assign({}, known || {}, item));
  }

  function draw() {
    timer = null;
    var rows = Array.from(items.values()).sort(function (a, b) {
      return (b.overdue - a.overdue) || (b.id - a.id);
    });
    list.replaceChildren.apply(list, rows.slice(0, 300).map(function (i) {
      return el("li", {className: "incident prio-" + i.priority + (i.overdue ? " is-overdue" : ""), "data-id": i.id,
        "data-status": i.status}, [el("button", {type: "button", onclick: function () { open(i.id); }}, [
          el("b", {text: i.tracking_code}), " ", i.overdue ? el("span", {className: "badge overdue", text: T.overdue}) : null,
          el("span", {className: "line", text: (i.category_name || name("categories", i.category)) + " · " + name("statuses", i.status)}),
          el("span", {className: "line muted", text: T.reported + " " + i.reported_at_text + (i.due_at_text ? " · " + T.due + " " + i.due_at_text : "")}),
          el("span", {className: "line desc", text: i.description})])]);
    }));
    if (!rows.length) list.appendChild(el("li", {className: "empty", text: T.empty}));
  }

  function schedule() { if (!timer) timer = setTimeout(draw, 200); }

  function post(d, body) {
    body.expected_version = d.version;
    return IOC.request("POST", "/ioc/incidents/" + d.id + "/act", body).then(function (answer) {
      var box = document.getElementById("detail-message");
      if (answer.ok) { show(answer.data); document.getElementById("detail-message").textContent = T.saved; return; }
      if (box) { box.textContent = answer.data.description || String(answer.status); box.className = "message bad"; }
      if (answer.status === 412) setTimeout(function () { open(d.id); }, 1500);
    });
  }

  function open(id) {
    selected = id;
    return IOC.getJSON("/ioc/incidents/" + id + ".json").then(show);
  }

  function show(d) {
    var children = [
      el("div", {className: "detail-head"}, [el("h2", {text: d.tracking_code + " · " + d.category_name}),
        el("button", {type: "button", className: "close", text: T.close, onclick: function () { detail.hidden = true; selected = null; }})]),
      el("p", {className: "status status-" + d.status, text: d.status_name}),
      el("p", {id: "detail-message", className: "message", role: "status"}),
      el("p", {className: "desc", text: d.description}),
      el("dl", {}, [el("dt", {text: T.reported}), el("dd", {text: d.reported_at_text}),
        el("dt", {text: T.due}), el("dd", {text: d.due_at_text || "–"}),
        el("dt", {text: T.address}), el("dd", {text: [d.address, d.district].filter(Boolean).join(", ") || "–"})])
    ];
    d.actions.forEach(function (a) {
      if (a.action !== "handle") return;
      var result = el("textarea", {name: "result", required: true, rows: 3});
      var form = el("form", {className: "action", "data-action": "handle"}, [el("label", {}, [T.result + " ", result]),
        el("button", {type: "submit", text: a.label})]);
      form.addEventListener("submit", function (e) { e.preventDefault(); post(d, {action: "handle", result: result.value}); });
      children.push(form);
    });
    var mine = IOC.config.my_agencies;
    if (d.tasks.length) {
      children.push(el("h3", {text: T.tasks}), el("ul", {className: "tasks"}, d.tasks.map(function (t) {
        var item = el("li", {}, [name("agencies", t.agency) + ": " + t.title + " — ", el("b", {text: name("tasks", t.state)})]);
        if (mine.indexOf(t.agency) >= 0) {
          var state = el("select", {name: "state", "aria-label": T.state}, IOC.config.task_states.map(function (s) {
            return el("option", {value: s.code, text: s.name, selected: s.code === t.state});
          }));
          var form = el("form", {className: "action inline-form"}, [state, el("button", {type: "submit", text: T.update_task})]);
          form.addEventListener("submit", function (e) { e.preventDefault(); post(d, {action: "task", task_id: t.id, state: state.value}); });
          item.appendChild(form);
        }
        return item;
      })));
    }
    if (d.photos.length) {
      children.push(el("div", {className: "photos"}, d.photos.map(function (ph) {
        return el("img", {src: ph.thumb, alt: T.photos + " " + ph.id, loading: "lazy"});
      })));
    }
    children.push(el("h3", {text: T.timeline}), IOC.timeline(d.timeline));
    detail.replaceChildren.apply(detail, children);
    detail.hidden = false;
    detail.setAttribute("data-id", d.id);
    detail.setAttribute("data-status", d.status);
  }

  function load() {
    return IOC.getJSON("/ioc/co-quan/incidents.json").then(function (data) {
      items.clear();
      data.incidents.forEach(apply);
      draw();
      if (source) source.close();
      source = IOC.liveStream("/ioc/live/co-quan?since=" + encodeURIComponent(data.cursor), function (item) {
        apply(item);
        schedule();
        if (selected === item.id && !item.gone) open(item.id);
      }, load);
      window.agency.ready = true;
    });
  }

  window.agency = {ready: false, items: items, open: open};
  load();
})();
