/* A report's status page keeps itself up to date: an EventSource on /phan-anh/<code>/live says when
   the report (or the report it was merged into) changed, and the page then reads the public JSON
   (/phan-anh/<code>/trang-thai.json) and redraws. The stream carries no data of the report itself.
   Where live updates are not available (an old browser, a server without them: the stream answers
   503), the page reads the JSON every poll_s seconds instead. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("status-config").textContent);
  var t = config.texts;
  var liveState = document.getElementById("live-state");
  var merged = null, source = null, poller = null, busy = false, again = false;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function draw(s) {
    var status = document.getElementById("status-name");
    status.textContent = s.status_name;
    status.className = "pa-status pa-status-" + s.status;
    document.getElementById("category-name").textContent = s.category_name;
    document.getElementById("supporters").textContent = s.supporters;

    var mergedBox = document.getElementById("merged");
    mergedBox.textContent = "";
    if (s.merged_into) {
      var link = el("a", null, s.merged_into);
      link.href = "/phan-anh/" + encodeURIComponent(s.merged_into) + "/";
      mergedBox.appendChild(document.createTextNode(t.merged.split("{code}")[0]));
      mergedBox.appendChild(link);
      mergedBox.appendChild(document.createTextNode(t.merged.split("{code}")[1] || ""));
    }
    mergedBox.hidden = !s.merged_into;

    var result = document.getElementById("result");
    result.textContent = "";
    if (s.result) {
      var p = el("p", "pa-result");
      s.result.split("\n").forEach(function (line, i) {
        if (i) { p.appendChild(el("br")); }
        p.appendChild(document.createTextNode(line));
      });
      result.appendChild(p);
    } else {
      result.appendChild(el("p", "pa-help", t.result_none));
    }

    var photos = document.getElementById("photos");
    photos.textContent = "";
    s.photo_urls.forEach(function (photo, i) {
      var item = el("li"), link = el("a"), img = el("img");
      link.href = photo.full;
      img.src = photo.thumb;
      img.alt = t.photos_published + " " + (i + 1);
      link.appendChild(img);
      item.appendChild(link);
      photos.appendChild(item);
    });

    var timeline = document.getElementById("timeline");
    timeline.textContent = "";
    s.timeline.forEach(function (step) {
      var item = el("li"), when = el("time", null, step.at_text);
      when.dateTime = step.at;
      item.appendChild(when);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(el("strong", null, step.label));
      if (step.note) { item.appendChild(el("span", "pa-step-note", step.note)); }
      timeline.appendChild(item);
    });

    if (merged !== null && s.merged_into !== merged && source) {
      // Now following another report: a new stream accepts its changes too.
      source.close();
      openStream();
    }
    merged = s.merged_into;
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(config.json_url, {headers: {Accept: "application/json"}, credentials: "same-origin", cache: "no-store"})
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (s) {
        draw(s);
        document.body.dataset.status = s.status;
        document.body.dataset.updated = String(Date.now());
      })
      .catch(function () { /* the next change or poll tries again */ })
      .finally(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  function startPolling() {
    if (source) { source.close(); source = null; }
    if (poller) { return; }
    document.body.dataset.live = "poll";
    liveState.textContent = t.live_poll.replace("{s}", config.poll_s);
    poller = window.setInterval(refresh, config.poll_s * 1000);
    refresh();
  }

  function openStream() {
    source = new EventSource(config.live_url);
    source.addEventListener("open", function () {
      document.body.dataset.live = "stream";
      liveState.textContent = t.live_on;
      refresh();  // whatever changed while the stream was down
    });
    source.addEventListener("change", refresh);
    source.addEventListener("reload", refresh);
    source.addEventListener("error", function () {
      // A refused stream (503, 404) is closed for good: poll. A dropped one reconnects by itself.
      if (source && source.readyState === EventSource.CLOSED) { startPolling(); }
    });
  }

  if (typeof EventSource === "function") { openStream(); } else { startPolling(); }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { refresh(); }
  });
})();
