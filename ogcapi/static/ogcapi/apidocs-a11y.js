/* Swagger UI and ReDoc render markup that screen readers and keyboards trip on (axe-core:
   nested-interactive, select-name): Swagger UI puts the operation's path link inside its expand
   button, and both leave selects (servers, content types) without a name. Whenever they (re)render,
   links inside buttons become plain text (the button expands the operation, the path is read as its
   label) and unnamed selects get one. */
(function () {
  var names = {servers: "Máy chủ / Server"};

  function hasName(select) {
    if (select.getAttribute("aria-label") || select.getAttribute("aria-labelledby")) { return true; }
    // A label wrapping the select also holds the options' text: only its own words name it.
    return Array.prototype.some.call(select.labels || [], function (label) {
      return label.textContent.replace(select.textContent, "").trim() !== "";
    });
  }

  function repair(root) {
    root.querySelectorAll("button a[href]").forEach(function (link) {
      link.removeAttribute("href");
      link.removeAttribute("tabindex");
    });
    root.querySelectorAll("select").forEach(function (select) {
      if (!hasName(select)) {
        select.setAttribute("aria-label", names[select.id] ||
          (select.classList.contains("dropdown-select") ? "Kiểu nội dung / Content type" : "Lựa chọn / Choice"));
      }
    });
  }

  function start() {
    repair(document.body);
    new MutationObserver(function () { repair(document.body); })
      .observe(document.body, {childList: true, subtree: true});
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
