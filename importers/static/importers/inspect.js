/* The check page: a column's fixed-value box shows only when "(fixed value)" is chosen for it, the
   key columns only for "update or add". Without scripts everything stays visible and works. */
(function () {
  "use strict";
  document.querySelectorAll("select[data-fixed]").forEach(function (select) {
    var box = document.getElementById(select.dataset.fixed + "_box");
    var input = document.getElementById(select.dataset.fixed);
    function update() {
      var fixed = select.value === "=";
      box.hidden = !fixed;
      input.required = fixed;
    }
    select.addEventListener("change", function () { update(); if (!box.hidden) { input.focus(); } });
    update();
  });
  var keys = document.getElementById("keys");
  if (keys) {
    var modes = document.querySelectorAll("input[name=mode]");
    var showKeys = function () {
      var chosen = document.querySelector("input[name=mode]:checked");
      keys.hidden = !chosen || chosen.value !== "upsert";
    };
    modes.forEach(function (radio) { radio.addEventListener("change", showKeys); });
    showKeys();
  }
})();
