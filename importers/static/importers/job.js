/* Follows an import: polls its JSON state every second until it is no longer running. */
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) { return; }
  function show(state) {
    var bar = document.getElementById("bar");
    if (state.total) { bar.max = state.total; bar.value = state.done || 0; } else { bar.removeAttribute("value"); }
    var label = document.getElementById("state");
    label.dataset.state = state.state;
    label.textContent = (state.label || state.state) + (state.done ? " — " + state.done.toLocaleString("vi-VN") : "");
    document.getElementById("message").textContent = state.message || "";
    var reasons = document.getElementById("reasons");
    reasons.innerHTML = "";
    (state.reasons || []).forEach(function (pair) {
      var li = document.createElement("li");
      li.textContent = "#" + pair[0] + ": " + pair[1];
      reasons.appendChild(li);
    });
    var rejects = document.getElementById("rejects");
    if (state.has_rejects) {
      rejects.hidden = false;
      rejects.querySelector("a").href = "/data/imports/" + state.record_id + "/rejects.csv";
    }
  }
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (state) {
      show(state);
      if (state.state === "running") { setTimeout(poll, 1000); }
    }).catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
