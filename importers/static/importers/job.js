/* Follows an import: polls its JSON state every second while it is queued or running. The server
   writes the state's name, numbers and progress in the page's language and the Vietnamese formats. */
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) { return; }
  function byId(id) { return document.getElementById(id); }
  function show(state) {
    var bar = byId("bar");
    if (state.ended) { bar.max = 1; bar.value = 1; }
    else if (state.total) { bar.max = state.total; bar.value = state.done || 0; }
    else { bar.removeAttribute("value"); }
    var label = byId("state");
    label.dataset.state = state.state;
    label.className = "state state-" + state.state;
    label.textContent = state.label;
    byId("progress-text").textContent = state.progress || "";
    if (state.accepted_text !== undefined) {
      byId("accepted").textContent = state.accepted_text;
      byId("rejected").textContent = state.rejected_text || "0";
      byId("counts").hidden = false;
    }
    byId("message").textContent = state.message || "";
    var note = byId("queued-note");
    if (note && state.state !== "queued") { note.hidden = true; }
    byId("again").hidden = state.state !== "failed";
    var reasons = byId("reasons");
    reasons.textContent = "";
    (state.reasons || []).forEach(function (pair) {
      var li = document.createElement("li");
      li.textContent = "#" + pair[0] + ": " + pair[1];
      reasons.appendChild(li);
    });
    var record = byId("record-link");
    if (record && state.state === "done" && state.record_id) {
      record.querySelector("a").href = "/data/imports/" + state.record_id + "/";
      record.hidden = false;
    }
    var rejects = byId("rejects");
    if (state.has_rejects) {
      rejects.hidden = false;
      rejects.querySelector("a").href = "/data/imports/" + state.record_id + "/rejects.csv";
    }
  }
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (state) {
      show(state);
      if (!state.ended) { setTimeout(poll, 1000); }
    }).catch(function () { setTimeout(poll, 3000); });
  }
  if (box.dataset.ended !== "1") { poll(); }
})();
